/**
 * Infinity's rerank API (michaelfeil/infinity, `POST /rerank`, or `/v1/rerank` under its
 * `--url-prefix /v1`): `{query, documents, return_documents = false, raw_scores = false, model,
 * top_n?}` → `{object: "rerank", results: [{relevance_score, index, document?}], model, usage:
 * {prompt_tokens, total_tokens}, id, created}` with `document` a string (pymodels.py `ReRankResult`).
 * It was answered in vLLM's shape: `document` an object `{text}`, documents returned by default,
 * `usage` without the `prompt_tokens` Infinity's generated client requires (`Usage.from_dict` pops
 * it), `raw_scores` ignored (held-out probe round 31a).
 *
 * Recognised by `raw_scores` in a body with `documents`: Infinity's Python client (`infinity_client`,
 * `RerankInput.to_dict`) always sends it, false by default, and no Cohere, Jina or vLLM rerank body
 * has it (TEI's has, with `texts` instead of `documents`: rerank-tei.ts). An Infinity caller that
 * sends neither (a hand-written request) gets vLLM's shape, whose fields it reads the same but
 * `document`.
 *
 * `raw_scores: true`: Infinity gives the model's logit, the score its sigmoid. vlrerank's score is a
 * calibrated fusion of several signals with no one logit, so it gives the logit of that score:
 * `sigmoid(raw) = relevance_score`, the relation Infinity's two answers have (clamped to ±16.1, the
 * logit of 1e-7, for a score of 0 or 1).
 */
import { vlrError } from '../errors.js';
import { INFINITY_UNNAMED_MODEL, SERVED_MODEL } from './discovery.js';
import { contentParts, rerankCompat, type ApiAnswer, type ApiCall, type ApiReranker } from './rerank.js';

/** Does this body speak Infinity (`raw_scores` given, `documents` not TEI's `texts`)? */
export function isInfinityRequest(body: unknown): boolean {
  if (body === null || typeof body !== 'object' || Array.isArray(body)) return false;
  const o = body as { raw_scores?: unknown; documents?: unknown };
  return o.raw_scores !== undefined && o.raw_scores !== null && o.documents !== undefined && o.documents !== null;
}

const EDGE = 1e-7;

/** The logit of a score in [0, 1], finite. */
export function logitOf(score: number): number {
  const p = Math.min(1 - EDGE, Math.max(EDGE, score));
  return Math.log(p / (1 - p));
}

/** A document as Infinity returns it: a string — a document object's text, null when it has none (a photo alone). */
function documentText(d: unknown): string | null {
  if (typeof d === 'string') return d;
  if (d !== null && typeof d === 'object') {
    const o = d as { text?: unknown; content?: unknown };
    if (typeof o.text === 'string') return o.text;
    if (Array.isArray(o.content)) {
      const texts = o.content.filter((p) => (p as { type?: unknown })?.type === 'text' && typeof (p as { text?: unknown }).text === 'string').map((p) => (p as { text: string }).text);
      return texts.length ? texts.join('\n') : null;
    }
  }
  return null;
}

/** `POST /rerank` (or `/v1/rerank`) with Infinity's body → Infinity's answer. */
export async function rerankInfinity(reranker: ApiReranker, body: Record<string, unknown>, call: ApiCall = {}): Promise<ApiAnswer> {
  for (const k of ['raw_scores', 'return_documents'] as const) {
    if (body[k] !== undefined && body[k] !== null && typeof body[k] !== 'boolean') throw vlrError('VLR_BAD_REQUEST', `[${k}] must be a boolean`, { details: { field: k } });
  }
  // the documents are echoed here, as strings: the compatible answer's objects are not asked for
  const a = await rerankCompat(reranker, 'plain', { ...body, return_documents: false }, call);
  const compat = a.body as { id: string; results: Array<{ index: number; relevance_score: number }>; usage: { total_tokens: number; documents: number; images: number; video_frames: number }; meta: { warnings?: string[] }; errors?: unknown[] };
  // vLLM's `{content: [parts]}` for the whole list is one document per part there too
  const documents = Array.isArray(body.documents) ? body.documents : (contentParts(body.documents, 'documents') ?? []);
  const raw = body.raw_scores === true;
  const withDocs = body.return_documents === true;
  // Infinity answers with the model it serves; its client names none as "default/not-specified"
  const model = typeof body.model === 'string' && body.model !== INFINITY_UNNAMED_MODEL ? body.model : SERVED_MODEL;
  return {
    ...a,
    body: {
      object: 'rerank',
      results: compat.results.map((r) => ({ relevance_score: raw ? logitOf(r.relevance_score) : r.relevance_score, index: r.index, ...(withDocs ? { document: documentText(documents[r.index]) } : {}) })),
      model,
      usage: { prompt_tokens: compat.usage.total_tokens, total_tokens: compat.usage.total_tokens, documents: compat.usage.documents, images: compat.usage.images, video_frames: compat.usage.video_frames },
      id: compat.id,
      created: Math.floor(Date.now() / 1000),
      ...(compat.meta.warnings ? { meta: { warnings: compat.meta.warnings } } : {}),
      ...(compat.errors ? { errors: compat.errors } : {}),
    },
  };
}
