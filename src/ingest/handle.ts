/**
 * The ingest room's handlers: `_bulk`, `_doc`, `_create` and `_update` requests for indices whose
 * pipeline sets `vectors.ingest` get the vectors of their image/video fields added before they are
 * forwarded. `_bulk` is transformed as a stream (bulk.ts); a single document is read (bounded, by
 * http/) and rewritten. A compressed `_bulk` body (gzip, deflate, br) is decoded by http/ on its way
 * here and sent on uncompressed (an unknown coding is forwarded as sent, for the engine to judge). Requests for
 * other indices never leave the streaming proxy path: `/{index}/_bulk` on an index without an
 * ingest pipeline is not parsed (its action lines naming another `_index` are therefore not
 * vectorised — send those to `/_bulk`).
 *
 * On plain data: http/ decides with `wantsBulk` / `wantsDocument` whether to hand a request here,
 * and writes the answer returned.
 */
import type { Readable } from 'node:stream';
import type { Pipeline, PipelineRegistry } from '../pipelines/index.js';
import { withFieldSources } from '../pipelines/document.js';
import { forwardRequestHeaders, forwardResponseHeaders, withoutHeaders } from '../proxy/hop-by-hop.js';
import type { UpstreamPool, UpstreamResponse } from '../proxy/pool.js';
import type { Embedder } from '../rerank/embedder.js';
import { assertJsonDepth } from '../util/json-depth.js';
import type { JsonParser } from '../util/json-worker.js';
import { DUPLICATE_KEY, transformBulk, type BulkReport } from './bulk.js';
import { bulkAnswer, mergeBulkResponse, slotOf } from './bulk-report.js';
import { retriesRejectedItems } from './bulk-clients.js';
import { hasDuplicateKeys } from '../util/json-duplicate-keys.js';
import { stringifyAsSent } from '../util/json-tokens.js';
import { addRecord, dropUnkeptRecord, isNoopUpdate, mergedForUpdate, touchesMedia, type RecordTarget } from './records.js';
import { recordMissing, unreadNote, unreadValuesNote, vectorsUnknown, writeTarget, type ItemError, type WriteTarget } from './keeps-records.js';
import { isEngineRefusal } from '../engine/auth-refusal.js';
import { addVectors, wantsVectors } from './vectors.js';
import { ingestPipelineOf, mayBeAlias as mayBeAliasName, type AliasPipelines } from './alias.js';
import { clientReadHeaders } from '../engine/targets.js';
import { recordFieldMapped } from '../engine/mapping.js';
import type { WriteMappings } from '../engine/write-mapping.js';
import { codingsOf, knownCoding } from '../util/content-coding.js';
import type { RefusedWrites } from './refused-writes.js';
import { requestPipeline, SimulateBatches, simulatePipeline } from './engine-pipeline.js';
import type { IndexPipelines } from './index-pipelines.js';
import { pathParam } from './path-params.js';
import { completeWrite, type CompletionOutcome, type StoredAt } from './complete-write.js';
import { clientConditioned, conditionedPath, updateTries } from './update-condition.js';
import { settleRacedUpdates } from './raced-updates.js';
import type { SeqNo } from './write-back.js';

const REWRITTEN_REQUEST = new Set(['content-length', 'content-encoding', 'accept-encoding']);
const CONTENT_LENGTH = new Set(['content-length']);
const ACCEPT_ENCODING = new Set(['accept-encoding']);

export interface IngestDeps {
  pipelines: PipelineRegistry;
  pool: Pick<UpstreamPool, 'request'>;
  embedder?: Pick<Embedder, 'mediaVectors' | 'records' | 'recordSignature'>;
  /** Deepest JSON nesting of a single document parsed here (server.maxJsonDepth); deeper → 400. */
  maxJsonDepth?: number;
  /** Parses `_bulk` lines of SMALL_BODY bytes and more off the main thread (built by the composition root); without it, here. */
  jsonWorker?: JsonParser;
  /** Pipelines of aliases no pattern covers (writes through an alias); without it, names only. */
  aliases?: AliasPipelines;
  /** Mappings of concrete indices kept briefly for single-document writes (engine/write-mapping.ts); without it, read at every write. */
  mappings?: WriteMappings;
  /** Time (ms) a `_bulk` has for adding vectors and records (pipelines.bulkBudgetMs); documents not done by then are answered 429, not stored. */
  bulkBudgetMs?: number;
  /** A `_bulk` past its time budget: how many of its documents were answered 429 (not stored). */
  onDeferred?: (documents: number) => void;
  /** A `_bulk` whose client left: how many of its documents were stored as received (no vectors, no records). */
  onAsReceived?: (documents: number) => void;
  /** Indices whose writes the engine refused (403; a `_bulk` item's index block 429 too) to given credentials lately: sent as received, for its refusal at once (refused-writes.ts). */
  refusedWrites?: RefusedWrites;
  /** The engine ingest pipelines indices run by themselves (`default_pipeline`, `final_pipeline`), kept briefly (index-pipelines.ts); without it, only a pipeline a write names is simulated. */
  indexPipelines?: IndexPipelines;
  /** A write sent as received for `refusedWrites` that the engine stored after all, completed with its vectors and record (complete-write.ts): how. */
  onCompletion?: (outcome: CompletionOutcome) => void;
}

export interface WriteRequest {
  /** Index of the path (undefined for `/_bulk`). */
  index: string | undefined;
  method: string;
  /** Path and query string as the client sent them. */
  path: string;
  /** The client's raw header list. */
  headers: readonly string[];
  /** The client gone: our own work on the request stops. */
  signal?: AbortSignal;
  /**
   * The client's body cut short: the upstream request is cut with it (the engine stores nothing of a
   * cut body). A `_bulk` whose client left after sending all of it still completes upstream, as it
   * would sent to the engine directly. Without it, `signal`.
   */
  bodyCut?: AbortSignal;
}

/** The upstream's answer for the client: streamed as it came, or a body we merged our report into. */
export interface WriteAnswer {
  status: number;
  headers: string[];
  body: Readable | string;
}

/**
 * Is this `_bulk` read action by action (vectors for the documents of indices a pipeline ingests)?
 * Yes whenever some pipeline ingests, whatever the path's index: an action's `_index` overrides the
 * path's, and `POST /logs/_bulk` with `{"index":{"_index":"grocery"}}` was forwarded untouched, its
 * documents stored in a pipeline's index without vectors or records (held-out probe round 4) — as
 * `/_bulk` without an index already was read. Lines of other indices are forwarded as received.
 * A compressed body: no.
 */
export function wantsBulk(pipelines: PipelineRegistry, contentEncoding: string | string[] | undefined): boolean {
  if (!pipelines.ingests) return false;
  // a compressed body is decoded on its way here (http/): the official clients' `compression`
  // (opensearch-js `compression: 'gzip'`, the ES client's `compression: true`) compresses every
  // `_bulk`, and forwarding those as sent stored their documents without vectors or records,
  // unsaid (held-out probe round 11c); several codings stacked or an unknown one stay the engine's
  const codings = codingsOf(contentEncoding);
  return codings.length === 0 || (codings.length === 1 && knownCoding(codings[0]!) !== undefined);
}

/**
 * The pipeline adding vectors to single documents written to this index, if any — for a data
 * stream's backing index (`.ds-…`, where its documents are updated), the stream's: forwarded
 * untouched, an `_update` there dropped the document's record (held-out probe round 11a).
 */
export function wantsDocument(pipelines: PipelineRegistry, index: string | undefined): Pipeline | undefined {
  return ingestPipelineOf(pipelines, index);
}

/** As `wantsDocument`, and through an alias no pattern covers: the pipeline of the index it writes to. */
export async function wantsDocumentThrough(deps: IngestDeps, req: WriteRequest): Promise<Pipeline | undefined> {
  const index = req.index ?? '';
  return wantsDocument(deps.pipelines, index) ?? (await aliasPipeline(deps, index, req));
}

/** Will `wantsDocumentThrough` ask the engine (a name no pattern covers that may be an alias)? */
export function mayBeAlias(deps: IngestDeps, index: string | undefined): boolean {
  return !!deps.aliases && mayBeAliasName(deps.pipelines, index);
}

async function aliasPipeline(deps: IngestDeps, index: string, req: WriteRequest): Promise<Pipeline | undefined> {
  return (await deps.aliases?.ingestFor(index, { pool: deps.pool, pipelines: deps.pipelines, headers: clientReadHeaders(req.headers), signal: req.signal }))?.pipeline;
}

/** Request headers for a body we rewrote: no length or encoding of the original, no compressed answer. */
function rewrittenHeaders(raw: readonly string[]): string[] {
  return withoutHeaders(forwardRequestHeaders(raw), REWRITTEN_REQUEST);
}

/**
 * `read`: the answer's text, when it was read already (to judge a kept mapping by it). A `merge` that
 * gives back the very object it was handed added nothing: the engine's text is answered as it came.
 */
async function answer(up: UpstreamResponse, merge?: (b: Record<string, unknown>) => Record<string, unknown>, read?: string): Promise<WriteAnswer> {
  if (!merge) return { status: up.statusCode, headers: forwardResponseHeaders(up.rawHeaders!), body: read ?? up.body };
  const text = read ?? (await up.body.text());
  let out = text;
  try {
    const parsed = JSON.parse(text) as Record<string, unknown>;
    const merged = merge(parsed);
    if (merged !== parsed) out = JSON.stringify(merged);
  } catch {
    /* not JSON: forward as is */
  }
  const headers = withoutHeaders(forwardResponseHeaders(up.rawHeaders!), CONTENT_LENGTH);
  return { status: up.statusCode, headers: [...headers, 'content-length', String(Buffer.byteLength(out))], body: out };
}

/** `_bulk` (after `wantsBulk`): the body transformed as a stream on its way upstream. */
export async function handleBulk(deps: IngestDeps, req: WriteRequest, body: Readable): Promise<WriteAnswer> {
  const report: BulkReport = { failures: new Map(), added: new Map() };
  const aliasFor = deps.aliases ? (i: string) => aliasPipeline(deps, i, req) : undefined;
  // indices whose writes these credentials were refused lately: asked once per index and body
  const refused = new Map<string, boolean>();
  const refusedLately = deps.refusedWrites && ((i: string) => refused.get(i) ?? (refused.set(i, deps.refusedWrites!.has(i, req.headers)), refused.get(i)!));
  const targetOn = memo(async (i) => writeTarget(deps, i, req, deps.pipelines.forIndex(i) ?? ingestPipelineOf(deps.pipelines, i) ?? (await aliasFor?.(i))));
  const transformed = transformBulk(body, { pathIndex: req.index, registry: deps.pipelines, embedder: deps.embedder, jsonWorker: deps.jsonWorker, concurrency: 4, budgetMs: retriesRejectedItems(req.headers) ? deps.bulkBudgetMs : 0, signal: req.signal, stored: (i, id, routing) => storedVersion(deps, i, id, req, routing ?? routingOf(req.path)), targetOn, aliasFor, enginePipeline: requestPipeline(req.path), pipelined: new SimulateBatches({ pool: deps.pool, headers: req.headers, signal: req.signal, settings: deps.indexPipelines }), refusedLately }, report);
  const up = await deps.pool.request({ method: req.method, path: req.path, headers: rewrittenHeaders(req.headers), body: transformed, signal: req.bodyCut ?? req.signal, rawHeaders: true, idempotent: false });
  if (report.asReceived) deps.onAsReceived?.(report.asReceived);
  if (report.deferred?.size) deps.onDeferred?.(report.deferred.size);
  for (const i of report.deferred ?? []) report.resend?.delete(i);
  // the answer is read to learn its index refusals when ingest items were in it (refused-writes.ts)
  const learns = !!deps.refusedWrites && !!report.targets?.size;
  const raced = !!report.readVersions?.size; // updates whose records were made from a document read: checked against the answer (raced-updates.ts)
  const merged = () => (report.failures.size || report.added.size || report.notes?.size || report.deferred?.size ? (b: Record<string, unknown>) => mergeBulkResponse(b, report, deps.bulkBudgetMs) : undefined);
  if ((!report.resend?.size && !learns && !raced) || up.statusCode !== 200 || up.headers['content-encoding'] !== undefined) return answer(up, merged());
  let text = await up.body.text();
  if (learns) deps.refusedWrites!.learnFromBulk(req.headers, report, text);
  if (report.resend?.size) text = await resendRolledOver(deps, req, report, text);
  if (raced) text = await settleRacedUpdates(deps, req, report, text);
  return answer(up, merged(), text);
}

/** An item refused for what vlrerank added, as the engine says it (a mapping refusal). */
const ADDITION_REFUSED = new Set(['mapper_parsing_exception', 'document_parsing_exception', 'strict_dynamic_mapping_exception', 'mapper_exception', 'illegal_argument_exception']);

/**
 * Documents written through an alias or a data stream were given vectors or a record by the mapping
 * of the index it wrote to when the `_bulk` began; a rollover while they were computed sent them to
 * a new index that may not map them (held-out probe round 19b):
 * - vectors: it refused each one (`mapper [image_vector] cannot be changed from type [float] to
 *   [long]`; 24 of 24 photos lost where the engine directly stores them) — those items are sent once
 *   more as the client sent them;
 * - a record: it stored it by guess, base64 `text` in every reader's `_source` (600 of 600 notes,
 *   counted as documents with records) — those documents are written again as the client sent them
 *   (an `index` at the `_seq_no` the engine answered: one the client changed since is left as it is).
 * One `_bulk` for both (the same path and parameters), their answers put in the items' places, each
 * saying why it has no vectors or record. Returns the engine's answer text as the client should see it.
 */
async function resendRolledOver(deps: IngestDeps, req: WriteRequest, report: BulkReport, text: string): Promise<string> {
  type Item = { _index?: string; _id?: string; status?: number; _seq_no?: number; _primary_term?: number; _version?: number; error?: { type?: string } };
  const answer = bulkAnswer<Item>(text);
  if (!answer) return text;
  const { body, items } = answer;
  const slot = slotOf(items, report.ids); // the engine's item of each request item (out of order after its own pipelines)
  const itemAt = (i: number) => (items[slot(i)] ? Object.values(items[slot(i)]!)[0] : undefined);
  const moved = [...report.resend!].filter(([i, r]) => itemAt(i)?._index !== undefined && itemAt(i)!._index !== r.judgedBy);
  const refused = moved.filter(([i]) => itemAt(i)!.status === 400 && ADDITION_REFUSED.has(itemAt(i)!.error?.type ?? ''));
  // stored with a record in an index that does not keep records (read once per index, the client's credentials)
  const keeps = new Map<string, Promise<boolean>>();
  const keepsRecords = (index: string, field: string) => {
    const key = `${index}\u0000${field}`;
    if (!keeps.has(key)) {
      const read = deps.pool.request({ method: 'GET', path: `/${encodeURIComponent(index)}/_mapping`, headers: clientReadHeaders(req.headers), signal: req.signal, idempotent: true });
      keeps.set(key, read.then(async (up) => up.statusCode === 200 && recordFieldMapped(JSON.parse(await up.body.text()), field)).catch(() => true));
    }
    return keeps.get(key)!;
  };
  const stored: typeof moved = [];
  for (const m of moved) {
    const [i, r] = m;
    const it = itemAt(i)!;
    const op = Object.keys(items[slot(i)]!)[0];
    if ((op === 'index' || op === 'create') && (it.status ?? 500) < 300 && (report.added.get(i)?.recorded ?? 0) > 0 && it._seq_no !== undefined && !(await keepsRecords(it._index!, r.recordField))) stored.push(m);
  }
  if (!refused.length && !stored.length) return text;
  const overwrite = ([i, r]: (typeof moved)[number]) => {
    const it = itemAt(i)!;
    const routing = (JSON.parse(r.action) as Record<string, { routing?: unknown }>)[Object.keys(items[slot(i)]!)[0]!]?.routing;
    return JSON.stringify({ index: { _index: it._index, _id: it._id, if_seq_no: it._seq_no, if_primary_term: it._primary_term, ...(routing !== undefined ? { routing } : {}) } });
  };
  const lines = [...refused.flatMap(([, r]) => [r.action, r.source.toString('utf8')]), ...stored.flatMap((m) => [overwrite(m), m[1].source.toString('utf8')])].join('\n') + '\n';
  const up = await deps.pool.request({ method: 'POST', path: req.path, headers: rewrittenHeaders(req.headers), body: lines, signal: req.signal, idempotent: false });
  const second = bulkAnswer<Item>(await up.body.text());
  if (up.statusCode !== 200 || !second || second.items.length !== refused.length + stored.length) return text;
  const why = (r: { judgedBy: string }, now: string, what: string) => ({
    type: 'mapper_exception',
    reason: `${what}: [${now}], where a rollover sent this write while it was computed for [${r.judgedBy}], does not map them: stored as sent; map them in the template the next indices are made from ("vlrerank index setup" says how), then "vlrerank index backfill" adds them`,
    vlrerank_code: 'VLR_BAD_REQUEST',
  });
  refused.forEach(([i, r], k) => {
    items[slot(i)] = second.items[k]!;
    report.added.delete(i);
    const again = Object.values(items[slot(i)]!)[0];
    // refused as sent too: the engine's own answer, as directly (nothing of vlrerank's to explain)
    if ((again?.status ?? 500) < 300) report.failures.set(i, why(r, again?._index ?? 'another index', 'vectors not added (the engine refused the document with them)'));
    else report.failures.delete(i);
  });
  stored.forEach(([i, r], k) => {
    const again = Object.values(second.items[refused.length + k]!)[0];
    if ((again?.status ?? 500) >= 300) return; // changed by the client meanwhile: left as the engine answered (its record shows)
    const op = Object.keys(items[slot(i)]!)[0]!;
    items[slot(i)] = { [op]: { ...itemAt(i)!, _version: again!._version, _seq_no: again!._seq_no, _primary_term: again!._primary_term } };
    report.added.delete(i);
    report.failures.set(i, why(r, itemAt(i)!._index!, 'feature record not kept (it would show in _source)'));
  });
  body.errors = items.some((it) => (Object.values(it)[0]?.status ?? 200) >= 300);
  return JSON.stringify(body);
}

/** Once per index and request; a failure (keeps-records.ts) is every caller's, each saying why. */
function memo(fn: (index: string) => Promise<WriteTarget>): (index: string) => Promise<WriteTarget> {
  const seen = new Map<string, Promise<WriteTarget>>();
  return (i) => {
    let p = seen.get(i);
    if (!p) {
      seen.set(i, (p = fn(i)));
      p.catch(() => undefined); // awaited by every caller; not an unhandled rejection meanwhile
    }
    return p;
  };
}

/** The stored `_source` of a document (undefined when there is none), read with the client's own credentials and the write's routing, with the version (`_version`, `_seq_no`, `_primary_term`) it was read at. */
async function storedVersion(deps: IngestDeps, index: string, id: string, req: WriteRequest, routing?: string): Promise<{ source: Record<string, unknown>; at?: SeqNo; version?: number } | undefined> {
  const q = routing !== undefined ? `?routing=${encodeURIComponent(routing)}` : '';
  const up = await deps.pool.request({ method: 'GET', path: `/${encodeURIComponent(index)}/_doc/${encodeURIComponent(id)}${q}`, headers: clientReadHeaders(req.headers), signal: req.signal, idempotent: true });
  const text = await up.body.text();
  if (up.statusCode !== 200) return undefined;
  try {
    const got = JSON.parse(text) as { _source?: unknown; _seq_no?: unknown; _primary_term?: unknown; _version?: unknown };
    const s = got._source;
    if (!s || typeof s !== 'object' || Array.isArray(s)) return undefined;
    const at = typeof got._seq_no === 'number' && typeof got._primary_term === 'number' ? { _seq_no: got._seq_no, _primary_term: got._primary_term } : undefined;
    return { source: s as Record<string, unknown>, at, version: typeof got._version === 'number' ? got._version : undefined };
  } catch {
    return undefined;
  }
}

/** `/{index}/_update/{id}`: the document id of the path, and its `routing` parameter. */
function updateTarget(path: string): { index: string; id: string; routing?: string } | undefined {
  const m = /^\/([^/?]+)\/_update\/([^/?]+)/.exec(path);
  return m ? { index: decodeURIComponent(m[1]!), id: decodeURIComponent(m[2]!), routing: routingOf(path) } : undefined;
}

/** `/{index}/_doc/{id}`, `/{index}/_create/{id}`: the document id of the path (undefined: the engine makes one). */
function docIdOf(path: string): string | undefined {
  const m = /^\/[^/?]+\/_(?:doc|create)\/([^/?]+)/.exec(path);
  return m ? decodeURIComponent(m[1]!) : undefined;
}

/** The request's `routing` query parameter (a `_bulk`'s default for its actions). */
function routingOf(path: string): string | undefined {
  return pathParam(path, 'routing');
}

type DocumentBody = { raw: Buffer; text: string | undefined; parsed?: { value: unknown } };

/**
 * A refusal of what vlrerank added (vectors at another size, a field the index does not map as
 * the kept mapping said), and a write that was its index's first (`_seq_no` 0: created, maybe
 * again under its old name): the kept mapping of the index is dropped (engine/write-mapping.ts).
 */
const MAPPING_REFUSED = /"type":"(?:mapper_parsing_exception|document_parsing_exception|strict_dynamic_mapping_exception|mapper_exception|illegal_argument_exception)"/;
const FIRST_WRITE = /"_seq_no":0[,}]/;
const AGAIN = Symbol('again');
/** An update conditioned by vlrerank met a newer write: read the stored document again (update-condition.ts). */
const READ_AGAIN = Symbol('read again');

/**
 * One document (`_doc`, `_create`; `_update`'s `doc` and `upsert`) for `pipeline` (from
 * `wantsDocument`), judged by its index's kept mapping when there is one; refused for what that
 * mapping let vlrerank add, it is judged again by a fresh read and sent once more.
 */
export async function handleDocument(deps: IngestDeps, pipeline: Pipeline, op: 'index' | 'update', req: WriteRequest, body: DocumentBody): Promise<WriteAnswer> {
  let reuse = true;
  let tries = updateTries(req.path);
  for (;;) {
    const out = await writeDocument(deps, pipeline, op, req, body, reuse, --tries > 0);
    if (out !== AGAIN && out !== READ_AGAIN) return out;
    if (out === AGAIN) reuse = false; // judged again by a fresh read of the mapping, once
    // re-parsed from its text: the try before added to the parsed document
    body = { raw: body.raw, text: body.text ?? body.raw.toString('utf8') };
  }
}

async function writeDocument(deps: IngestDeps, pipeline: Pipeline, op: 'index' | 'update', req: WriteRequest, body: DocumentBody, reuse: boolean, mayReadAgain = false): Promise<WriteAnswer | typeof AGAIN | typeof READ_AGAIN> {
  let doc: Record<string, unknown> | undefined;
  if (body.parsed) doc = body.parsed.value as Record<string, unknown> | undefined; // a large body: depth-checked and parsed in the JSON worker (http/)
  else {
    if (body.text) assertJsonDepth(body.text, deps.maxJsonDepth ?? 1000); // the document is cloned and re-serialised below
    try {
      doc = body.text ? (JSON.parse(body.text) as Record<string, unknown>) : undefined;
    } catch {
      doc = undefined;
    }
  }
  let error: Awaited<ReturnType<typeof addVectors>>['error'];
  let note: ItemError | undefined; // said when there is no error (keeps-records.ts `unreadNote`)
  let added = 0;
  let strippedRecord = false; // a carried record taken out (dropUnkeptRecord): the document is sent re-serialised
  let readAt: SeqNo | undefined; // an update's record made from the stored document as read at this version
  const index = req.index ?? '';
  // the index's mapping unreadable (twice): the document is written without its record, and says why
  let recordsFault: unknown;
  // refused (403) lately to these credentials: no mapping read, no vectors or record — the engine's 403 at once
  const refusedLately = deps.refusedWrites?.has(index, req.headers) ?? false;
  const on = refusedLately ? undefined : await writeTarget(deps, index, req, pipeline, reuse).catch((e: unknown) => {
    req.signal?.throwIfAborted();
    recordsFault = e;
    return undefined;
  });
  const records = on?.records;
  // credentials the engine does not authenticate: the write can only be its 401 — no vectors or record computed for it
  const sent = doc; // a write sent as received is completed from it, once stored (complete-write.ts)
  if (refusedLately || (isEngineRefusal(recordsFault) && recordsFault.status === 401)) doc = undefined;
  if (doc && typeof doc === 'object' && !Array.isArray(doc)) {
    // the engine's ingest pipelines it runs (`?pipeline=`, or the index's default, then its final): vectors and record of what it stores (engine-pipeline.ts)
    const ran = op === 'index' ? await simulatePipeline({ pool: deps.pool, headers: req.headers, signal: req.signal, settings: deps.indexPipelines }, requestPipeline(req.path), index, docIdOf(req.path), doc) : undefined;
    if (ran && 'unknown' in ran) note = ran.unknown;
    const readOf = (t: Record<string, unknown>) => (ran && 'doc' in ran && t === doc ? ran.doc : t);
    // dropped or refused by that pipeline: not stored, nothing to compute (the engine answers as directly)
    const targets = ran && ('dropped' in ran || 'failed' in ran) ? [] : op === 'update' ? (['doc', 'upsert'] as const).map((k) => doc![k]).filter((t): t is Record<string, unknown> => !!t && typeof t === 'object' && !Array.isArray(t)) : [doc];
    for (const t of targets) {
      const target = op === 'update' && t === doc.doc ? updateTarget(req.path) : undefined;
      const read = target && (records || touchesMedia(t, pipeline)) ? await storedVersion(deps, target.index, target.id, req, target.routing) : undefined;
      const stored = read?.source;
      if (target && doc.detect_noop !== false && isNoopUpdate(stored, t)) continue; // the engine's `noop`, kept
      // vectors the index does not map would be mapped by guess: stored as sent, the answer says why
      const noVectors = on?.noVectors ?? (recordsFault !== undefined ? vectorsUnknown(recordsFault) : undefined);
      // an alias, a multi-field, a `copy_to` target read as the search reads them (fix20c)
      const asRead = withFieldSources(readOf(t), on?.sources);
      const r = noVectors ? { added: [], error: wantsVectors(t, pipeline, asRead) ? noVectors : undefined } : await addVectors(t, pipeline, deps.embedder, undefined, asRead);
      error ??= r.error;
      added += r.added.length;
      // an update's partial `doc` gets the record of the document it makes (stored ⊕ partial)
      const whole = target ? mergedForUpdate(stored, t) : readOf(t);
      const wholeAsRead = withFieldSources(whole, on?.sources);
      note ??= unreadNote(wholeAsRead, pipeline, on, index) ?? unreadValuesNote(wholeAsRead, pipeline);
      error ??= recordMissing(recordsFault, t, whole, pipeline);
      if (!records) {
        // a record the client carried over into an index that keeps none would land in _source
        const dropped = on ? dropUnkeptRecord(t, pipeline, index) : undefined;
        error ??= dropped;
        strippedRecord ||= dropped !== undefined;
        continue;
      }
      const f = await addRecord(t, pipeline, deps.embedder, req.signal, wholeAsRead, records);
      error ??= f.error;
      added += f.added ? 1 : 0;
      if (f.added && target && read?.at) readAt = read.at;
    }
  }
  let changed = added > 0 || strippedRecord;
  // re-serialised, a repeated key would keep its last value where the engine refuses the document
  if (changed && hasDuplicateKeys(body.text ?? body.raw.toString('utf8'))) {
    changed = false;
    error = DUPLICATE_KEY;
  }
  // the answer of a write into an index whose mapping is kept is read (it may say to drop it)
  const watched = deps.mappings?.has(index) ?? false;
  // the record describes the stored document as read: the update lands on that version only (update-condition.ts)
  const condition = changed && readAt && !clientConditioned(req.path) ? readAt : undefined;
  const up = await deps.pool.request({
    method: req.method,
    path: condition ? conditionedPath(req.path, condition) : req.path,
    // an answer that gets vlrerank's report merged in, or is read, is asked for uncompressed
    headers: changed ? rewrittenHeaders(req.headers) : error || note || watched || refusedLately ? withoutHeaders(forwardRequestHeaders(req.headers), ACCEPT_ENCODING) : forwardRequestHeaders(req.headers),
    // what the client sent kept as sent (its longs past 2^53, `-0.0`, number spellings: util/json-tokens.ts)
    body: changed ? stringifyAsSent(doc, body.text ?? body.raw.toString('utf8')) : body.raw.length ? body.raw : null,
    rawHeaders: true,
  });
  // another write landed between the read and the update: read, compute and send again (its record would describe the other's document)
  if (condition && up.statusCode === 409 && mayReadAgain) {
    await up.body.dump();
    return READ_AGAIN;
  }
  deps.refusedWrites?.note(index, req.headers, up.statusCode);
  // allowed after all (rights granted within the memo's time): stored as received, then completed with its vectors and record
  const completed = refusedLately && up.statusCode < 300 && up.headers['content-encoding'] === undefined ? await up.body.text() : undefined;
  const done = completed !== undefined ? await completion(deps, pipeline, op, req, sent, completed) : undefined;
  if (done) error = done.error;
  // completed: the answer names the version the completing update left, so the client's next if_seq_no write matches it
  const stored = done?.stored;
  const merge = error || note || stored ? (b: Record<string, unknown>) => ({ ...b, ...stored, ...(error ? { vlrerank: { vectors: false, error } } : note ? { vlrerank: { note } } : {}) }) : undefined;
  if (!watched || !deps.mappings || up.statusCode >= 500 || up.headers['content-encoding'] !== undefined) return answer(up, merge, completed);
  const text = completed ?? (await up.body.text());
  if (on?.kept && changed && up.statusCode === 400 && body.text !== undefined && MAPPING_REFUSED.test(text)) {
    deps.mappings.drop(index);
    return AGAIN;
  }
  if (FIRST_WRITE.test(text)) deps.mappings.drop(index);
  return answer(up, merge, text);
}

/** complete-write.ts for a write sent as received and stored after all; its `vlrerank.error` when it could not be completed. */
async function completion(deps: IngestDeps, pipeline: Pipeline, op: 'index' | 'update', req: WriteRequest, doc: Record<string, unknown> | undefined, answer: string): Promise<{ error?: ItemError; stored?: StoredAt }> {
  const r = await completeWrite(deps, pipeline, { op, path: req.path, headers: req.headers, signal: req.signal, doc, answer }).catch((e: unknown) => {
    req.signal?.throwIfAborted();
    const reason = `vectors not added: the document was sent as received (its index refused these credentials' writes lately) and completing it failed: ${(e as Error)?.message ?? e}; \`vlrerank index backfill\` adds them`;
    return { outcome: 'failed' as const, error: { type: 'exception', reason, vlrerank_code: 'VLR_UPSTREAM_ERROR' } };
  });
  deps.onCompletion?.(r.outcome);
  return { error: r.error, stored: 'stored' in r ? r.stored : undefined };
}
