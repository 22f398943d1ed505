/**
 * The rerank APIs as plain handlers (http/ mounts them, parses the JSON, and shapes errors in each
 * API's own way):
 * - `POST /_vlrerank/rerank`: the library's input shape → `{results, scores, usage, timings, instruction}`.
 * - `POST /v1/rerank`, `/v2/rerank`, `/rerank`: compatible with Cohere (v1 and v2 clients), Jina,
 *   vLLM/SGLang/Xinference: `query` and documents as strings, `{text,image,video}` objects or
 *   `{content:[parts]}` (OpenAI-style parts), `top_n`, `return_documents`, `instruction`, Cohere v1's
 *   `rank_fields` (objects ranked on the fields named) →
 *   `{id, model, results:[{index, relevance_score, document?}], usage, meta}`; on `/rerank`, TEI's
 *   `{query, texts}` → `[{index, score, text?}]` (rerank-tei.ts), and on it and `/v1/rerank`
 *   Infinity's body (`raw_scores` beside `documents`) in Infinity's shape (rerank-infinity.ts).
 * Both return per-stage timing headers: x-vlrerank-queue-ms, -features-ms, -inference-ms, -total-ms.
 * Each call has a time budget (budget.ts: `x-vlrerank-budget-ms`, else `rerank.apiBudgetMs`): media
 * not arrived in time are named like failed media; past it a 504 in the API's shape.
 */
import { randomUUID } from 'node:crypto';
import { isVlrerankError, vlrError } from '../errors.js';
import type { Reranker } from '../rerank/reranker.js';
import type { RerankInput, RerankOutput } from '../rerank/types.js';
import { apiBudgetMs } from './budget.js';

export type CompatVersion = 'v1' | 'v2' | 'plain';

export interface ApiAnswer {
  headers: Record<string, string>;
  /** Why the answer is degraded (the access line's `rerank.degraded`; not sent): see degradedOf. */
  degraded?: string;
  /** The JSON answer: an object, or TEI's bare array (rerank-tei.ts). */
  body: Record<string, unknown> | unknown[];
  /** What the caller is told in `Warning` headers, on APIs whose answers have no place for it (Elasticsearch's Inference API, ml-commons' `_predict`). */
  warnings?: string[];
}

export function timingHeaders(out: Pick<RerankOutput, 'timings'>): Record<string, string> {
  return {
    'x-vlrerank-queue-ms': String(out.timings.queue_ms),
    'x-vlrerank-features-ms': String(out.timings.features_ms),
    'x-vlrerank-inference-ms': String(out.timings.inference_ms),
    'x-vlrerank-total-ms': String(out.timings.total_ms),
  };
}

/**
 * Documents whose image or video could not be read (a directory, a missing file, a refused URL)
 * are scored on their text alone; the client must be able to see that without asking for an
 * explanation (issue 13): a count header on every answer, and the errors in the body.
 */
export function errorHeader(out: Pick<RerankOutput, 'errors'>): Record<string, string> {
  return out.errors.length ? { 'x-vlrerank-document-errors': String(out.errors.length) } : {};
}

/**
 * An answer scored without part of what it was asked (held-out probe round 27c: the access line said
 * `degraded: false` for every API call, while the stage metrics counted these `degraded`): `timeout`
 * when the budget's media cut-off gave media up, `failed` when the remote workers failed
 * (`backend: both`). A photo that is not there is the data's, not a degraded answer.
 */
export function degradedOf(out: Pick<RerankOutput, 'errors' | 'remoteError'>): { degraded?: string } {
  if (out.remoteError) return { degraded: 'failed' };
  return out.errors.some((e) => e.code === 'VLR_MEDIA_TIMEOUT') ? { degraded: 'timeout' } : {};
}

/** One line per unreadable document, as the compatible APIs' `meta.warnings` carry them (`name`: the document as the client knows it). */
function documentWarnings(out: RerankOutput, name: (i: number) => string = (i) => `documents[${i}]`): string[] {
  return out.errors.map((e) => `${name(e.index)} scored without its media: ${e.code}: ${e.reason}`);
}

/**
 * Everything a caller is told of a scored request: the instruction's note (`instruction: false` where the
 * instruction is a pipeline's, not the caller's), the query's (cut, tiny photo), each document scored without its media.
 */
export function answerWarnings(out: RerankOutput, name?: (i: number) => string, opts: { instruction?: boolean } = {}): string[] {
  const note = opts.instruction !== false && out.instruction.note ? [`instruction ${out.instruction.note}`] : [];
  return [...note, ...(out.warnings ?? []), ...documentWarnings(out, name)];
}

/** The fields a client sent, for an error process() names in its own (`query`, `documents`, `documents[k]`). */
export interface ClientNames {
  query: string;
  /** The list of documents as a whole (`text_2`, `input`, `text_docs`). */
  documents: string;
  /** The k-th document process() was given. */
  document: (k: number) => string | undefined;
}

/**
 * process() names what it was given (`[query]`, `[documents]`, `[documents[k]]…`): an API whose
 * client sent other fields (vLLM's `text_1`/`text_2`, whose k-th of a group is not its k-th pair;
 * the Inference API's `input`; ml-commons' `text_docs`) renames them, or the error names a field the
 * client never sent — "[documents] too many documents" to a client that sent `input` (held-out probe
 * rounds 31a, 32a). Other errors are returned as they are.
 */
export function inClientNames(e: unknown, names: ClientNames): unknown {
  if (!isVlrerankError(e)) return e;
  const m = /^\[(query|documents(?:\[(\d+)\])?)/.exec(e.message);
  if (!m) return e;
  const name = m[1] === 'query' ? names.query : m[2] === undefined ? names.documents : names.document(Number(m[2]));
  if (name === undefined) return e;
  const message = `[${name}${e.message.slice(m[0].length)}`;
  const field = typeof e.details?.field === 'string' && e.details.field.startsWith(m[1]!) ? `${name}${e.details.field.slice(m[1]!.length)}` : name;
  // no `cause`: its `caused_by` would say the same in the names the client did not send
  return vlrError(e.code, message, { status: e.status, details: { ...e.details, field } });
}

/** The kind of work of every rerank API call, for admission's service times (ProcessOptions.kind). */
export const API_WORK = 'api';

/** What the handlers need of the reranker: process(), and the configured API budget (`rerank.apiBudgetMs`). */
export type ApiReranker = Pick<Reranker, 'process'> & { options?: { apiBudgetMs?: number } };

/** One call's context from the HTTP room: the client hanging up, who it is, its `x-vlrerank-budget-ms` header. */
export interface ApiCall {
  signal?: AbortSignal;
  client?: string;
  budgetHeader?: string | string[];
}

/** process()'s options of one API call: signal, client, kind, and its budget (a bad header is a 400 here, before any work). */
export function callOptions(reranker: ApiReranker, call: ApiCall): { signal?: AbortSignal; client?: string; kind: string; budgetMs?: number } {
  const budgetMs = apiBudgetMs(call.budgetHeader, reranker.options?.apiBudgetMs);
  return { signal: call.signal, client: call.client, kind: API_WORK, ...(budgetMs !== undefined ? { budgetMs } : {}) };
}

/** `POST /_vlrerank/rerank`. */
export async function rerankNative(reranker: ApiReranker, input: unknown, call: ApiCall = {}): Promise<ApiAnswer> {
  // the client's JSON as it came: process() checks it (a 400 naming the field)
  const out = await reranker.process(input as RerankInput, callOptions(reranker, call));
  return {
    headers: { ...timingHeaders(out), ...errorHeader(out) },
    ...degradedOf(out),
    // `errors`: documents whose media could not be read, scored on what was left — always, not only with explain
    // `remote_error`: `backend: both` and every remote worker failed — scored on the local signals alone, and why
    body: { results: [...out], scores: out.scores, errors: out.errors, usage: out.usage, timings: out.timings, instruction: out.instruction, ...(out.remoteError ? { remote_error: out.remoteError } : {}), ...(out.warnings?.length ? { warnings: out.warnings } : {}) },
  };
}

type Item = { text?: string; image?: string; video?: string; fps?: number; max_frames?: number };

/**
 * A document object's own video sampling (`fps`, `max_frames`, as on /_vlrerank/rerank), kept beside
 * its video; `process()` checks the values and names the field. They were dropped: `{video, fps: 3}`
 * sampled at the default silently (held-out probe round 8b).
 */
export function withSampling(item: Item | string, doc: unknown): Item | string {
  if (typeof item === 'string' || item.video === undefined || doc === null || typeof doc !== 'object') return item;
  const o = doc as Record<string, unknown>;
  return { ...item, ...(o.fps != null ? { fps: o.fps as number } : {}), ...(o.max_frames != null ? { max_frames: o.max_frames as number } : {}) };
}

/** One query or document of the compatible APIs → the library's `{text,image,video}`. */
export function compatItem(x: unknown, field: string, firstPart = 0): Item | string {
  if (typeof x === 'string') return x;
  if (x === null || typeof x !== 'object' || Array.isArray(x)) throw vlrError('VLR_BAD_REQUEST', `[${field}] must be a string or an object`, { details: { field } });
  const o = x as Record<string, unknown>;
  if (Array.isArray(o.content)) {
    const out: Item = {};
    // a `text` beside the parts is part of the item (it was dropped silently: the parts alone were
    // ranked, held-out probe round 31a); an `image`/`video` beside them below, as one more part
    if (o.text != null && typeof o.text !== 'string') throw vlrError('VLR_BAD_REQUEST', `[${field}.text] must be a string`, { details: { field: `${field}.text` } });
    const texts: string[] = typeof o.text === 'string' ? [o.text] : [];
    o.content.forEach((p, i) => {
      // firstPart: where this item's parts sit in a `{content}` side (contentParts), for the field names
      const f = `${field}.content[${firstPart + i}]`;
      const part = p as Record<string, unknown>;
      if (part === null || typeof part !== 'object') throw vlrError('VLR_BAD_REQUEST', `[${f}] must be an object`, { details: { field: f } });
      const url = (v: unknown) => (typeof v === 'string' ? v : typeof (v as { url?: unknown })?.url === 'string' ? (v as { url: string }).url : undefined);
      switch (part.type) {
        case 'text':
          if (typeof part.text !== 'string') throw vlrError('VLR_BAD_REQUEST', `[${f}.text] must be a string`, { details: { field: `${f}.text` } });
          texts.push(part.text);
          break;
        case 'image_url':
        case 'image':
        case 'video_url':
        case 'video': {
          // {type: image_url, image_url: {url}} (OpenAI style) or {type: image, image: url}; the same for video
          const kind = part.type === 'image_url' || part.type === 'image' ? 'image' : 'video';
          const u = url(part[`${kind}_url`] ?? part[kind]);
          if (!u) throw vlrError('VLR_BAD_REQUEST', `[${f}.${kind}_url.url] must be a string`, { details: { field: `${f}.${kind}_url.url` } });
          if (out[kind] !== undefined) throw vlrError('VLR_BAD_REQUEST', `[${f}] only one ${kind} per item is supported`, { details: { field: f } });
          out[kind] = u;
          break;
        }
        default:
          throw vlrError('VLR_BAD_REQUEST', `[${f}.type] must be one of text, image_url, video_url`, { details: { field: `${f}.type` } });
      }
    });
    if (texts.length) out.text = texts.join('\n');
    for (const k of ['image', 'video'] as const) {
      if (o[k] == null) continue;
      const u = typeof o[k] === 'string' ? o[k] : (o[k] as { url?: unknown }).url;
      if (typeof u !== 'string') throw vlrError('VLR_BAD_REQUEST', `[${field}.${k}] must be a string`, { details: { field: `${field}.${k}` } });
      if (out[k] !== undefined) throw vlrError('VLR_BAD_REQUEST', `[${field}] only one ${k} per item is supported`, { details: { field } });
      out[k] = u;
    }
    return out;
  }
  const out: Item = {};
  for (const k of ['text', 'image', 'video'] as const) {
    // `null` is not given, as on the request (pydantic-built clients send unset fields so)
    if (o[k] === undefined || o[k] === null) continue;
    const v = k === 'text' ? o[k] : typeof o[k] === 'object' && o[k] !== null ? (o[k] as { url?: unknown }).url : o[k];
    if (typeof v !== 'string') throw vlrError('VLR_BAD_REQUEST', `[${field}.${k}] must be a string`, { details: { field: `${field}.${k}` } });
    out[k] = v;
  }
  if (!Object.keys(out).length) throw vlrError('VLR_BAD_REQUEST', `[${field}] needs text, image, video or content`, { details: { field } });
  return out;
}

/**
 * vLLM's `ScoreMultiModalParam` as a whole side — ONE `{content: [parts]}` object in place of a list —
 * is a list: each part its own input ("preserves 1:N scoring behavior", vllm/entrypoints/score_utils.py
 * `_normalize`), as vLLM's examples send documents and `text_2`. Its parts as `{content: [part]}`
 * items, or undefined when `v` is not that object. Merged into one item, two photos were a 400 and a
 * text and a photo one document (held-out probe round 13b).
 */
export function contentParts(v: unknown, field: string): Array<{ content: unknown[] }> | undefined {
  if (v === null || typeof v !== 'object' || Array.isArray(v) || !('content' in v)) return undefined;
  const c = (v as { content: unknown }).content;
  if (!Array.isArray(c)) throw vlrError('VLR_BAD_REQUEST', `[${field}.content] must be an array of content parts`, { details: { field: `${field}.content` } });
  return c.map((part) => ({ content: [part] }));
}

/** vLLM's RerankDocument for one part of a `{content}` side: `{text}` for a text part, else `{multi_modal: part}`. */
function partDocument(d: { content: unknown[] }): Record<string, unknown> {
  const part = d.content[0] as { type?: unknown; text?: unknown };
  return part?.type === 'text' ? { text: part.text } : { multi_modal: part };
}

/**
 * Cohere v1's `rank_fields`: a document object is ranked on the fields named, in that order, each
 * as a `name: value` line (Cohere's own rendering of structured documents); a field a document
 * lacks is left out, and a document with none of them is a 400 naming the document — unless it has
 * a photo, a clip or `content` parts, which it is then ranked on alone. Its `image` or `video`, if
 * any, is kept beside the fields' text.
 */
function rankFieldsText(doc: unknown, fields: readonly string[], field: string): Item | unknown {
  if (doc === null || typeof doc !== 'object' || Array.isArray(doc)) return doc;
  const o = doc as Record<string, unknown>;
  const lines: string[] = [];
  for (const f of fields) {
    // the document's own fields only: `constructor` or `toString` named in rank_fields read Object's
    // methods off a document without them — a 400 "must be a string" (held-out probe round 24b)
    const v = Object.hasOwn(o, f) ? o[f] : undefined;
    if (v === undefined || v === null) continue;
    if (typeof v !== 'string' && typeof v !== 'number' && typeof v !== 'boolean') {
      throw vlrError('VLR_BAD_REQUEST', `[${field}.${f}] a field named in rank_fields must be a string, number or boolean`, { details: { field: `${field}.${f}` } });
    }
    lines.push(`${f}: ${v}`);
  }
  if (!lines.length) {
    // a photo or clip alone is still something to rank on: a catalog's photo-only item beside titled
    // ones was a 400 for the whole request (held-out probe round 31a)
    if (['image', 'video', 'content'].some((k) => o[k] !== undefined && o[k] !== null)) return doc;
    throw vlrError('VLR_BAD_REQUEST', `[${field}] has none of the rank_fields [${fields.join(', ')}]`, { details: { field } });
  }
  // a photo or clip of the document still counts beside the fields' text — one in its `content`
  // parts too (they were dropped: ranked on the fields alone, held-out probe round 31a)
  const media = Array.isArray(o.content) ? (compatItem({ content: o.content }, field) as Item) : (o as Item);
  return { text: lines.join('\n'), ...(media.image != null ? { image: media.image } : {}), ...(media.video != null ? { video: media.video } : {}) };
}

interface CompatRequest {
  model?: unknown;
  rank_fields?: unknown;
  query?: unknown;
  documents?: unknown;
  top_n?: unknown;
  return_documents?: unknown;
  instruction?: unknown;
  max_tokens_per_doc?: unknown;
  truncate_prompt_tokens?: unknown;
  fps?: unknown;
  max_frames?: unknown;
}

/** `POST /v1/rerank`, `/v2/rerank`, `/rerank`. */
export async function rerankCompat(reranker: ApiReranker, version: CompatVersion, input: unknown, call: ApiCall = {}): Promise<ApiAnswer> {
  const options = callOptions(reranker, call);
  if (input === null || typeof input !== 'object' || Array.isArray(input)) throw vlrError('VLR_BAD_REQUEST', '[(root)] the request must be a JSON object', { details: { field: '(root)' } });
  // an optional field sent as `null` is not given, as Cohere's, vLLM's and Jina's APIs read it: Cohere's
  // Python SDK sends a `None` argument as null, and langchain-cohere passes max_tokens_per_doc=None on
  // every call — each was a 400 (held-out probe round 13b)
  const body = Object.fromEntries(Object.entries(input).filter(([, v]) => v !== null)) as CompatRequest;
  if (body.query === undefined) throw vlrError('VLR_BAD_REQUEST', '[query] is required', { details: { field: 'query' } });
  // vLLM's `{content: [parts]}` for the whole list: one document per part
  const parts = contentParts(body.documents, 'documents');
  if (parts) body.documents = parts;
  else if (!Array.isArray(body.documents)) throw vlrError('VLR_BAD_REQUEST', '[documents] must be an array', { details: { field: 'documents' } });
  // vLLM's RerankRequest defaults top_n to 0, meaning every document (its clients may send it): so here
  if (body.top_n !== undefined && (typeof body.top_n !== 'number' || !Number.isInteger(body.top_n) || body.top_n < 0)) {
    throw vlrError('VLR_BAD_REQUEST', '[top_n] must be a positive integer (0: every document, as vLLM)', { details: { field: 'top_n' } });
  }
  const topN = body.top_n === 0 ? undefined : (body.top_n as number | undefined);
  if (body.return_documents !== undefined && typeof body.return_documents !== 'boolean') {
    throw vlrError('VLR_BAD_REQUEST', '[return_documents] must be a boolean', { details: { field: 'return_documents' } });
  }
  // Cohere v2's per-document token cap: each document text is read to that many tokens at most (below
  // the text model's window; at or above it the model's own cut applies)
  if (body.max_tokens_per_doc !== undefined && !(typeof body.max_tokens_per_doc === 'number' && Number.isInteger(body.max_tokens_per_doc) && body.max_tokens_per_doc >= 1)) {
    throw vlrError('VLR_BAD_REQUEST', '[max_tokens_per_doc] must be a positive integer', { details: { field: 'max_tokens_per_doc' } });
  }
  // vLLM's `truncate_prompt_tokens` (-1: the model's own length) cuts each document as /score does with
  // it: ignored here, one pair scored differently by /rerank and /score (held-out probe round 11b)
  const tpt = body.truncate_prompt_tokens;
  if (tpt !== undefined && tpt !== null && tpt !== -1 && !(typeof tpt === 'number' && Number.isInteger(tpt) && tpt >= 1)) {
    throw vlrError('VLR_BAD_REQUEST', '[truncate_prompt_tokens] must be a positive integer or -1', { details: { field: 'truncate_prompt_tokens' } });
  }
  const maxTokensPerDoc = (body.max_tokens_per_doc as number | undefined) ?? (typeof tpt === 'number' && tpt >= 1 ? tpt : undefined);
  if (body.instruction !== undefined && typeof body.instruction !== 'string') throw vlrError('VLR_BAD_REQUEST', '[instruction] must be a string', { details: { field: 'instruction' } });
  const rankFields = body.rank_fields;
  if (rankFields !== undefined && (!Array.isArray(rankFields) || rankFields.length === 0 || !rankFields.every((f) => typeof f === 'string' && f !== ''))) {
    throw vlrError('VLR_BAD_REQUEST', '[rank_fields] must be a non-empty array of field names', { details: { field: 'rank_fields' } });
  }
  const field = (i: number) => (parts ? 'documents' : `documents[${i}]`);
  const documents = (body.documents as unknown[]).map((d, i) => withSampling(compatItem(rankFields ? rankFieldsText(d, rankFields as string[], field(i)) : d, field(i), parts ? i : 0), d));
  const query = compatItem(body.query, 'query');
  const out = await reranker.process(
    {
      query,
      documents,
      ...(topN !== undefined ? { top_n: topN } : {}),
      ...(body.instruction !== undefined ? { instruction: body.instruction as string } : {}),
      // the request's default video sampling, as on /_vlrerank/rerank (was dropped)
      ...(body.fps !== undefined ? { fps: body.fps as number } : {}),
      ...(body.max_frames !== undefined ? { max_frames: body.max_frames as number } : {}),
    },
    { ...options, ...(maxTokensPerDoc !== undefined ? { maxTokensPerDoc } : {}) },
  );
  // Cohere v2 defaults return_documents to false; v1, Jina and vLLM return them by default.
  const withDocs = (body.return_documents as boolean | undefined) ?? version !== 'v2';
  const model = typeof body.model === 'string' ? body.model : 'vlrerank';
  const results = out.map((x) => {
    const d = (body.documents as unknown[])[x.index];
    const document = typeof d === 'string' ? { text: d } : parts ? partDocument(d as { content: unknown[] }) : d;
    return { index: x.index, relevance_score: x.score, ...(withDocs ? { document } : {}) };
  });
  const warnings = answerWarnings(out);
  return {
    headers: { ...timingHeaders(out), ...errorHeader(out) },
    ...degradedOf(out),
    body: {
      id: randomUUID(),
      model,
      results,
      usage: { total_tokens: out.usage.tokens, documents: out.usage.documents, images: out.usage.images, video_frames: out.usage.video_frames },
      meta: {
        api_version: { version: version === 'v2' ? '2' : '1' },
        // Cohere's unit: a query with up to 100 documents (a reseller billing by it was told 1 for 1,000)
        billed_units: { search_units: Math.max(1, Math.ceil(out.usage.documents / 100)) },
        // lets a vlrerank in front of this one (remote backend) report the instruction truthfully
        ...(out.instruction.given ? { instruction_used: out.instruction.used } : {}),
        ...(warnings.length ? { warnings } : {}),
      },
      ...(out.errors.length ? { errors: out.errors } : {}),
    },
  };
}
