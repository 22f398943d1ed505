/**
 * Elasticsearch's Inference API for a vlrerank pipeline's name (held-out probe round 32a): the ES docs
 * have a team create a rerank endpoint, call it (`POST _inference/rerank/{id}`, or `_inference/{id}`)
 * and name it as `inference_id` — which vlrerank already maps to a pipeline in a
 * `text_similarity_reranker` retriever (search/detect.ts). Here the same name is an endpoint:
 * - `POST _inference/rerank/{pipeline}` and `POST _inference/{pipeline}`: `{query, input,
 *   task_settings?: {top_n, return_documents}}` (also `top_n`/`return_documents` at the top level, as
 *   later ES versions take them) → `{"rerank": [{index, relevance_score, text?}]}`, best first,
 *   scored by the pipeline's scorer (weights, backend, fusion, chunking, video sampling, instruction),
 *   under the rerank APIs' admission and budget (`x-vlrerank-budget-ms`, else ES's `?timeout=`, else
 *   `rerank.apiBudgetMs`).
 * - `GET` of those paths: the pipeline described as an endpoint (`{"endpoints": [...]}`, service
 *   `vlrerank`).
 * An id that names no pipeline is not answered here (http/ forwards it untouched); every mistake in a
 * body is a 400 naming the field, never a 500. Never reads a pipeline's index or asks the engine.
 */
import { vlrError } from '../errors.js';
import { resolveMedia } from '../pipelines/document.js';
import type { Pipeline } from '../pipelines/index.js';
import { MAX_BUDGET_MS } from '../rerank/options.js';
import { scoreFusionOf } from '../search/shape.js';
import type { FramePooling } from '../rerank/signals/frame-pooling.js';
import { answerWarnings, callOptions, compatItem, degradedOf, errorHeader, inClientNames, timingHeaders, type ApiAnswer, type ClientNames, type ApiCall, type ApiReranker } from './rerank.js';

/** The task types of Elasticsearch's Inference API (a pipeline is a `rerank` endpoint). */
export const TASK_TYPES = new Set(['rerank', 'text_embedding', 'sparse_embedding', 'completion', 'chat_completion', 'embedding']);
const BODY_FIELDS = new Set(['query', 'input', 'task_settings', 'input_type', 'top_n', 'return_documents']);
const TASK_SETTINGS = new Set(['top_n', 'return_documents']);

const bad = (field: string, rule: string) => vlrError('VLR_BAD_REQUEST', `[${field}] ${rule}`, { details: { field } });

/** A task type in the path must be `rerank`: a pipeline is no other kind of endpoint (ES refuses a mismatch with a 400 too). */
function checkTaskType(taskType: string | undefined, id: string): void {
  if (taskType === undefined || taskType === 'rerank') return;
  if (!TASK_TYPES.has(taskType)) throw bad('task_type', `unknown task_type [${taskType}]`);
  throw bad('task_type', `Incompatible task_type, the requested type [${taskType}] does not match the inference endpoint [${id}]'s type [rerank] (a vlrerank pipeline)`);
}

/** `GET _inference/{id}` / `_inference/rerank/{id}`: the pipeline as an endpoint of the Inference API. */
export function describeEndpoint(p: Pipeline, taskType: string | undefined): Record<string, unknown> {
  checkTaskType(taskType, p.name);
  return {
    endpoints: [
      {
        inference_id: p.name,
        task_type: 'rerank',
        service: 'vlrerank',
        service_settings: { pipeline: p.name, backend: p.scorer.backend, index_patterns: p.index_patterns },
        task_settings: { return_documents: true },
      },
    ],
  };
}

/** ES's `?timeout=` (a time value: `30s`, `500ms`, `2m`) as a budget in ms; undefined when not given. */
function timeoutMs(v: unknown): number | undefined {
  if (v === undefined) return undefined;
  const m = typeof v === 'string' ? /^(\d+)(ms|s|m|h)$/.exec(v.trim()) : null;
  const n = m ? Number(m[1]) * { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[m[2] as 'ms' | 's' | 'm' | 'h'] : NaN;
  if (!(n >= 1)) throw bad('timeout', `must be a time value such as [30s] or [500ms], got [${String(v).slice(0, 40)}]`);
  return Math.min(n, MAX_BUDGET_MS);
}

export type Item = ReturnType<typeof compatItem>;

/**
 * One query or input of the Inference API: a string (text); the object form of Elastic's multimodal
 * rerank (`{type: "text"|"image"|"video", value, format?}`: an image's value a data URI, base64, a URL
 * or a path under `media.roots`); or vlrerank's own `{text, image, video}` / `{content: [parts]}`.
 */
function inferenceItem(x: unknown, field: string): Item {
  if (x !== null && typeof x === 'object' && !Array.isArray(x) && 'type' in x && !('content' in x)) {
    const o = x as { type?: unknown; value?: unknown };
    if (o.type !== 'text' && o.type !== 'image' && o.type !== 'video') throw bad(`${field}.type`, 'must be one of text, image, video');
    if (typeof o.value !== 'string' || o.value === '') throw bad(`${field}.value`, 'must be a non-empty string');
    return o.type === 'text' ? o.value : { [o.type]: o.value };
  }
  return compatItem(x, field);
}

/** A document's media resolved against the pipeline's `fields.media_base`, as the pipeline reads its hits' paths. */
function withBase(item: Item, base: string | undefined): Item {
  if (typeof item === 'string' || !base) return item;
  return { ...item, ...(item.image !== undefined ? { image: resolveMedia(item.image, base) } : {}), ...(item.video !== undefined ? { video: resolveMedia(item.video, base) } : {}) };
}

/**
 * `query` against `documents` with pipeline `p`'s scorer (weights, backend, fusion, chunking, video
 * sampling, instruction): the scores its reranked searches give. Shared by the Inference API and
 * ml-commons' `_predict` (ml-predict.ts).
 */
export function scoreWithPipeline(reranker: ApiReranker, p: Pipeline, query: Item, documents: Item[], options: ReturnType<typeof callOptions>, names: ClientNames, topN?: number): ReturnType<ApiReranker['process']> {
  const s = p.scorer;
  return reranker
    .process(
      {
        query,
        documents,
        ...(topN !== undefined ? { top_n: topN } : {}),
        ...(p.instruction !== undefined ? { instruction: p.instruction } : {}),
        ...(Object.keys(s.weights).length ? { weights: s.weights } : {}),
        backend: s.backend,
        ...(s.fps !== undefined ? { fps: s.fps } : {}),
        ...(s.max_frames !== undefined ? { max_frames: s.max_frames } : {}),
      },
      { ...options, chunking: s.chunking, framePooling: s.frame_pooling as FramePooling | undefined, scoreFusion: scoreFusionOf(p) },
    )
    .catch((e: unknown) => Promise.reject(inClientNames(e, names)));
}

/** `POST _inference/rerank/{pipeline}` or `_inference/{pipeline}`. */
export async function inferenceRerank(reranker: ApiReranker, p: Pipeline, taskType: string | undefined, input: unknown, call: ApiCall & { timeout?: unknown }): Promise<ApiAnswer> {
  checkTaskType(taskType, p.name);
  const timeout = timeoutMs(call.timeout);
  if (input === null || typeof input !== 'object' || Array.isArray(input)) throw bad('(root)', 'the request must be a JSON object with [query] and [input]');
  const body = input as Record<string, unknown>;
  for (const k of Object.keys(body)) if (!BODY_FIELDS.has(k)) throw bad(k, `unknown field [${k}]: a rerank request takes ${[...BODY_FIELDS].join(', ')}`);
  if (body.query === undefined || body.query === null) throw bad('query', `is required for task type [rerank]: the text the [input] documents are ranked against`);
  if (body.input === undefined || body.input === null) throw bad('input', 'is required: a string or an array of strings (the documents to rank)');
  const inputs = Array.isArray(body.input) ? body.input : [body.input];
  if (!inputs.length) throw bad('input', 'must hold at least one document');
  const ts = body.task_settings ?? {};
  if (ts === null || typeof ts !== 'object' || Array.isArray(ts)) throw bad('task_settings', 'must be an object');
  for (const k of Object.keys(ts)) if (!TASK_SETTINGS.has(k)) throw bad(`task_settings.${k}`, `unknown setting [${k}]: a vlrerank pipeline takes ${[...TASK_SETTINGS].join(', ')}`);
  const setting = (k: 'top_n' | 'return_documents') => (ts as Record<string, unknown>)[k] ?? body[k];
  const topN = setting('top_n');
  if (topN !== undefined && !(typeof topN === 'number' && Number.isInteger(topN) && topN >= 1)) throw bad('task_settings.top_n', 'must be a positive integer');
  const returnDocuments = setting('return_documents') ?? true;
  if (typeof returnDocuments !== 'boolean') throw bad('task_settings.return_documents', 'must be a boolean');
  if (body.input_type !== undefined && typeof body.input_type !== 'string') throw bad('input_type', 'must be a string');
  // each input as the client named it: `input[i]`, or `input` for a lone string
  const inputName = (i: number) => (Array.isArray(body.input) ? `input[${i}]` : 'input');
  const query = inferenceItem(body.query, 'query');
  const documents = inputs.map((d, i) => withBase(inferenceItem(d, inputName(i)), p.fields.media_base));
  const options = callOptions(reranker, call);
  // the header wins (a gateway's or a vlrerank's in front), then ES's own `?timeout=`, then rerank.apiBudgetMs
  if (call.budgetHeader === undefined && timeout !== undefined) options.budgetMs = timeout;
  const out = await scoreWithPipeline(reranker, p, query, documents, options, { query: 'query', documents: 'input', document: inputName }, topN as number | undefined);
  const textOf = (i: number) => {
    const d = documents[i];
    return typeof d === 'string' ? d : d?.text;
  };
  const rerank = out.map((x) => {
    const text = returnDocuments ? textOf(x.index) : undefined;
    return { index: x.index, relevance_score: x.score, ...(text !== undefined ? { text } : {}) };
  });
  const warnings = answerWarnings(out, inputName, { instruction: false });
  return { headers: { ...timingHeaders(out), ...errorHeader(out) }, ...degradedOf(out), body: { rerank }, ...(warnings.length ? { warnings } : {}) };
}
