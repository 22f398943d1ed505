/**
 * OpenSearch ml-commons' `_predict` for a vlrerank pipeline's name (held-out probe round 32b): the
 * OpenSearch reranking docs have a team register a cross-encoder (a `text_similarity` model) and
 * call it directly — `POST /_plugins/_ml/models/{model_id}/_predict` (the official client's
 * `ml.predictModel`) or `POST /_plugins/_ml/_predict/text_similarity/{model_id}` (`ml.predict`) with
 * `{"query_text": "…", "text_docs": ["…", …]}`. Here a pipeline's name is such a model: the answer is
 * ml-commons' text_similarity shape, one `inference_results` entry per document **in input order**
 * (ml-commons does not sort), each `{"output": [{"name": "similarity", "data_type": "FLOAT32",
 * "shape": [1], "data": [score]}]}`, the score the pipeline's scorer gives (calibrated, as in its
 * reranked searches — not a cross-encoder's raw logit). Admission and budget are the rerank APIs'.
 * An id that names no pipeline is not answered here (http/ forwards it untouched); every mistake in
 * a body is a 400 naming the field. Never reads a pipeline's index or asks the engine.
 */
import { vlrError } from '../errors.js';
import type { Pipeline } from '../pipelines/index.js';
import { scoreWithPipeline } from './inference.js';
import { answerWarnings, callOptions, degradedOf, errorHeader, timingHeaders, type ApiAnswer, type ApiCall, type ApiReranker } from './rerank.js';

const BODY_FIELDS = new Set(['query_text', 'text_docs']);

const bad = (field: string, rule: string) => vlrError('VLR_BAD_REQUEST', `[${field}] ${rule}`, { details: { field } });

/** `_predict/{algorithm}/{id}`: a pipeline is a `text_similarity` model (ml-commons reads the name case-insensitively). */
function checkAlgorithm(algorithm: string | undefined, id: string): void {
  if (algorithm === undefined || algorithm.toLowerCase() === 'text_similarity') return;
  throw bad('algorithm', `model [${id}] is a vlrerank pipeline, a [text_similarity] model: it cannot predict as [${algorithm}]`);
}

/** `POST /_plugins/_ml/models/{pipeline}/_predict` or `/_plugins/_ml/_predict/{algorithm}/{pipeline}`. */
export async function mlPredict(reranker: ApiReranker, p: Pipeline, algorithm: string | undefined, input: unknown, call: ApiCall): Promise<ApiAnswer> {
  checkAlgorithm(algorithm, p.name);
  if (input === null || typeof input !== 'object' || Array.isArray(input)) throw bad('(root)', 'the request must be a JSON object with [query_text] and [text_docs]');
  const body = input as Record<string, unknown>;
  for (const k of Object.keys(body)) if (!BODY_FIELDS.has(k)) throw bad(k, `unknown field [${k}]: a text_similarity prediction takes ${[...BODY_FIELDS].join(', ')}`);
  if (typeof body.query_text !== 'string' || body.query_text === '') throw bad('query_text', 'is required: a non-empty string, the text the [text_docs] are compared with');
  if (!Array.isArray(body.text_docs) || !body.text_docs.length) throw bad('text_docs', 'is required: a non-empty array of strings');
  const docs = body.text_docs.map((d, i) => {
    if (typeof d !== 'string') throw bad(`text_docs[${i}]`, 'must be a string');
    return d;
  });
  const name = (i: number) => `text_docs[${i}]`;
  const out = await scoreWithPipeline(reranker, p, body.query_text, docs, callOptions(reranker, call), { query: 'query_text', documents: 'text_docs', document: name });
  const inference_results = out.scores.map((score) => ({ output: [{ name: 'similarity', data_type: 'FLOAT32', shape: [1], data: [score] }] }));
  const warnings = answerWarnings(out, name, { instruction: false });
  return { headers: { ...timingHeaders(out), ...errorHeader(out) }, ...degradedOf(out), body: { inference_results }, ...(warnings.length ? { warnings } : {}) };
}
