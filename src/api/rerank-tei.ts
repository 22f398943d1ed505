/**
 * Hugging Face text-embeddings-inference's rerank API on `POST /rerank` (the path TEI serves it on,
 * shared with vLLM's): a body with `texts` instead of `documents` — `{query, texts, raw_scores?,
 * return_text?, truncate?, truncation_direction?}` — is answered as TEI answers it, a bare array
 * best first, `[{index, score, text?}]` (TEI's router `rerank` handler and its `Rank` schema).
 * TEI clients (LlamaIndex's TextEmbeddingsInference reranker, Haystack's TEI ranker, Milvus's TEI
 * ranker) got a 400 "[documents] must be an array" (held-out probe round 11b).
 *
 * `score` is vlrerank's calibrated score in [0, 1] whatever `raw_scores` says (there is no logit to
 * give: it fuses several signals); texts longer than the model reads are cut at its window, the end
 * dropped (`truncate: false` does not refuse them, `truncation_direction: "Left"` is refused).
 *
 * Mistakes in the request get TEI's statuses (`teiStatus`), not vlrerank's 400 for every one.
 */
import { isVlrerankError, vlrError } from '../errors.js';
import { rerankInputRuleOf, type RerankInputRule } from '../rerank/types.js';
import { callOptions, compatItem, degradedOf, errorHeader, timingHeaders, withSampling, type ApiAnswer, type ApiCall, type ApiReranker } from './rerank.js';

/**
 * Does this `/rerank` body speak TEI (`texts`, no `documents`; a `null` is not given, as everywhere on
 * these APIs)? Any `texts` counts, not only an array: `texts: "a"` was taken for a Cohere/vLLM body and
 * answered 400 "[documents] must be an array" in their shape — a field the TEI client never sent —
 * where TEI answers 422 (held-out probe round 31a).
 */
export function isTeiRequest(body: unknown): boolean {
  if (body === null || typeof body !== 'object' || Array.isArray(body)) return false;
  const { texts, documents } = body as { texts?: unknown; documents?: unknown };
  return texts !== undefined && texts !== null && (documents === undefined || documents === null);
}

/** TEI's `error_type` for an error vlrerank answers with this status (TEI: Empty, Validation, Overloaded, Unhealthy, Backend). */
export function teiErrorType(status: number): string {
  if (status === 429) return 'Overloaded';
  if (status === 503) return 'Unhealthy';
  if (status === 400) return 'Empty';
  return status < 500 ? 'Validation' : 'Backend';
}

/**
 * A mistake in a TEI request, with the status TEI answers it with (its router, `http/server.rs`, and
 * the axum `Json` extractor in front of it): `texts` empty 400 (`ErrorType::Empty`), more texts than
 * it takes 413 (`ErrorType::Validation`, "batch size N > maximum allowed batch size M"), a field of
 * the wrong type or value 422 (axum refuses a body its `RerankRequest` cannot be read from). A
 * LlamaIndex or Haystack client branching on 422 met vlrerank's 400 (held-out probe round 11b).
 * The status follows the rule the validator names on its error (`rerankInputRuleOf`), never the
 * words of its message. Other errors (overload, time-out, a body too large or not JSON) keep their status.
 */
const TEI_STATUS: Partial<Record<RerankInputRule, number>> = { too_many_documents: 413, no_documents: 400 };

function teiStatus(e: unknown): unknown {
  if (!isVlrerankError(e) || e.status !== 400) return e;
  const rule = rerankInputRuleOf(e);
  const status = (rule && TEI_STATUS[rule]) ?? 422;
  return status === 400 ? e : vlrError(e.code, e.message, { status, cause: e, details: e.details });
}

interface TeiRequest {
  query?: unknown;
  texts: unknown;
  raw_scores?: unknown;
  return_text?: unknown;
  truncate?: unknown;
  truncation_direction?: unknown;
}

/** `POST /rerank` with TEI's body → TEI's answer. */
export async function rerankTei(reranker: ApiReranker, body: TeiRequest, call: ApiCall = {}): Promise<ApiAnswer> {
  return answerTei(reranker, body, call).catch((e: unknown) => Promise.reject(teiStatus(e)));
}

async function answerTei(reranker: ApiReranker, body: TeiRequest, call: ApiCall): Promise<ApiAnswer> {
  const options = callOptions(reranker, call);
  if (typeof body.query !== 'string') throw vlrError('VLR_BAD_REQUEST', '[query] must be a string', { details: { field: 'query' } });
  for (const k of ['raw_scores', 'return_text', 'truncate'] as const) {
    if (body[k] !== undefined && body[k] !== null && typeof body[k] !== 'boolean') throw vlrError('VLR_BAD_REQUEST', `[${k}] must be a boolean`, { details: { field: k } });
  }
  const direction = body.truncation_direction;
  if (direction !== undefined && direction !== null && !(typeof direction === 'string' && /^right$/i.test(direction))) {
    throw vlrError('VLR_BAD_REQUEST', '[truncation_direction] only "Right" is supported (a text is cut at the end)', { details: { field: 'truncation_direction' } });
  }
  const texts = body.texts;
  if (!Array.isArray(texts)) throw vlrError('VLR_BAD_REQUEST', '[texts] must be an array of strings', { details: { field: 'texts' } });
  // an object text's own `fps`/`max_frames` kept beside its video, as on /v1/rerank
  const documents = texts.map((t, i) => withSampling(compatItem(t, `texts[${i}]`), t));
  // process() names what it was given, `documents`: a TEI client sent `texts`
  const out = await reranker.process({ query: body.query, documents }, options).catch((e: unknown) => {
    throw isVlrerankError(e) && e.message.startsWith('[documents') ? vlrError(e.code, e.message.replace(/^\[documents/, '[texts'), { status: e.status, cause: e, details: { ...e.details, field: 'texts' } }) : e;
  });
  const withText = body.return_text === true;
  return {
    headers: { ...timingHeaders(out), ...errorHeader(out) },
    ...degradedOf(out),
    body: out.map((r) => ({ index: r.index, score: r.score, ...(withText ? { text: typeof texts[r.index] === 'string' ? texts[r.index] : (r.document as { text?: string }).text ?? null } : {}) })),
  };
}
