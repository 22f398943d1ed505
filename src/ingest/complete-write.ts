/**
 * Completion of a single-document write sent as received because its index refused these
 * credentials' writes lately (refused-writes.ts) — and that the engine stored after all (the rights
 * granted within the minute, a passing 403). Before (fix14), such a document stayed without its kNN
 * vectors and record, only its answer's `vlrerank.error` saying so (clients do not read it): missing
 * from kNN search until someone ran backfill. Now vlrerank computes them as the normal path would
 * (the request's document; an `_update`'s document as stored after it) and writes them with the
 * record write-back's conditional partial update (write-back.ts `conditionalUpdate`): `if_seq_no` and
 * `if_primary_term` of the engine's answer to the write, the write's `routing`, the client's
 * credentials, its `refresh`. A client write landing in between makes it a counted `conflict` (that
 * newer write is handled by its own path), never retried and never clobbering it.
 *
 * The client's answer waits for it (handle.ts): as on the normal path, the document is searchable
 * by vector (with `refresh`) when its client is answered. The answer is the engine's answer to
 * the write (`result`…) with the `_seq_no`, `_primary_term` and `_version` the completing update left
 * (`StoredAt`): a client's next `if_seq_no` write, taken from its answer, matches the stored document.
 */
import { isDeepStrictEqual } from 'node:util';
import { pathParams } from './path-params.js';
import { writeMapping } from '../engine/write-mapping.js';
import { clientReadHeaders, onBehalfHeaders } from '../engine/targets.js';
import type { Pipeline } from '../pipelines/index.js';
import { withFieldSources } from '../pipelines/document.js';
import type { UpstreamPool } from '../proxy/pool.js';
import type { Embedder } from '../rerank/embedder.js';
import { fieldsAnUpdateDrops, sourceDisabled } from './backfill-source.js';
import { writeTarget, type ItemError, type RecordsDeps } from './keeps-records.js';
import { addRecord } from './records.js';
import { addVectors, wantsVectors } from './vectors.js';
import { conditionalUpdate, updateOutcome, type SeqNo, type UpdateItem } from './write-back.js';
import { isObject } from '../util/is-object.js';

/** `written`: vectors and record added; `conflict`: a newer write landed first; `nothing`: nothing to add. */
export type CompletionOutcome = 'written' | 'conflict' | 'refused' | 'failed' | 'nothing';

export interface CompletionDeps extends RecordsDeps {
  pool: Pick<UpstreamPool, 'request'>;
  embedder?: Pick<Embedder, 'mediaVectors' | 'records' | 'recordSignature'>;
}

export interface CompletedWrite {
  op: 'index' | 'update';
  path: string;
  headers: readonly string[];
  signal?: AbortSignal;
  /** The request's document (`_doc`, `_create`); an `_update`'s is read back. */
  doc: Record<string, unknown> | undefined;
  /** The engine's answer to the write (2xx), as text. */
  answer: string;
}

type Written = SeqNo & { _index: string; _id: string; result?: string };
const why = (what: string): ItemError => ({
  type: 'security_exception',
  reason: `vectors not added: this index refused these credentials' writes (403) within the last minute, so the document was sent as received; ${what}; \`vlrerank index backfill\` adds its vectors and record`,
  vlrerank_code: 'VLR_UPSTREAM_ERROR',
});


/** Where the completing update left the document: the answer the client gets carries these, so its next `if_seq_no` write finds them. */
export interface StoredAt {
  _seq_no: number;
  _primary_term: number;
  _version: number;
}

export async function completeWrite(deps: CompletionDeps, pipeline: Pipeline, w: CompletedWrite): Promise<{ outcome: CompletionOutcome; error?: ItemError; stored?: StoredAt }> {
  let a: Partial<Written>;
  try {
    a = JSON.parse(w.answer) as Partial<Written>;
  } catch {
    return { outcome: 'failed', error: why('its answer could not be read to complete it') };
  }
  if ((a.result !== 'created' && a.result !== 'updated') || typeof a._index !== 'string' || typeof a._id !== 'string' || typeof a._seq_no !== 'number' || typeof a._primary_term !== 'number') return { outcome: 'nothing' };
  const q = pathParams(w.path);
  // a partial update moves the version by one: an externally versioned document's next write would be refused
  if (/^external/.test(q.get('version_type') ?? '')) return { outcome: 'failed', error: why('its version is external (a completing update would move it)') };
  const routing = q.get('routing') ?? undefined;
  const read = { headers: w.headers, signal: w.signal };
  const o = { pool: deps.pool, headers: clientReadHeaders(w.headers), signal: w.signal };
  const target = await writeTarget(deps, a._index, read, pipeline, true).catch(() => undefined);
  const mapping = (deps.mappings?.get(a._index, o.headers) ?? (await writeMapping(o, a._index).catch(() => undefined)))?.answer;
  if (!target || mapping === undefined) return { outcome: 'failed', error: why("completing it failed: the index's mapping could not be read") };
  const own = [pipeline.features.field, pipeline.features.keyField, pipeline.vectors.image?.field, pipeline.vectors.bridge?.field].filter((f): f is string => !!f);
  // a partial update rebuilds the document from _source: fields left out of it would lose their indexed values (backfill-source.ts)
  if (sourceDisabled(mapping) || fieldsAnUpdateDrops(mapping, own).length) return { outcome: 'failed', error: why('completing it with a partial update would drop fields the index leaves out of _source') };

  const whole = w.op === 'index' ? (isObject(w.doc) ? w.doc : undefined) : await storedAt(deps, a as Written, routing, o);
  if (whole === 'moved') return { outcome: 'conflict' };
  if (whole === 'unread') return { outcome: 'failed', error: why('completing it failed: the document could not be read back') };
  if (!whole) return { outcome: 'nothing' };
  const doc = structuredClone(whole);
  // an update may have replaced the media: its vectors are computed again, as for the partial document it sent
  if (w.op === 'update') for (const f of own) delete doc[f];
  const asRead = withFieldSources(doc, target.sources); // an alias, a multi-field, a `copy_to` target (fix20c)
  const vec = target.noVectors ? { added: [], error: wantsVectors(doc, pipeline, asRead) ? target.noVectors : undefined } : await addVectors(doc, pipeline, deps.embedder, w.signal, asRead);
  const rec = target.records ? await addRecord(doc, pipeline, deps.embedder, w.signal, asRead, target.records) : { added: false };
  const error = vec.error ?? rec.error;
  const partial = Object.fromEntries(Object.entries(doc).filter(([k, v]) => !isDeepStrictEqual(v, whole[k])));
  if (!Object.keys(partial).length) return { outcome: 'nothing', error };

  const bulk = conditionalUpdate(a._id, routing, a as Written, partial).join('\n') + '\n';
  const refresh = q.get('refresh');
  const path = `/${encodeURIComponent(a._index)}/_bulk${refresh !== null ? `?refresh=${encodeURIComponent(refresh)}` : ''}`;
  const headers = [...Object.entries(onBehalfHeaders(w.headers)).flat(), 'content-type', 'application/x-ndjson', 'accept', 'application/json'];
  const up = await deps.pool.request({ method: 'POST', path, headers, body: bulk, signal: w.signal, idempotent: false });
  const text = await up.body.text();
  let item: UpdateItem | undefined;
  try {
    item = up.statusCode === 200 ? (JSON.parse(text) as { items?: UpdateItem[] }).items?.[0] : undefined;
  } catch {
    item = undefined;
  }
  const outcome = item ? updateOutcome(item) : up.statusCode === 401 || up.statusCode === 403 ? 'refused' : 'failed';
  if (outcome === 'written') return { outcome, error, stored: storedAtOf(item) };
  if (outcome === 'conflict') return { outcome, error };
  return { outcome, error: why(`completing it with its vectors and record failed (${item?.update?.status ?? up.statusCode})`) };
}

/** An `_update`'s document as the write left it; `moved`: the engine holds a newer version already (or deleted it). */
async function storedAt(deps: CompletionDeps, a: Written, routing: string | undefined, o: { headers: string[]; signal?: AbortSignal }): Promise<Record<string, unknown> | 'moved' | 'unread' | undefined> {
  const q = routing !== undefined ? `?routing=${encodeURIComponent(routing)}` : '';
  const up = await deps.pool.request({ method: 'GET', path: `/${encodeURIComponent(a._index)}/_doc/${encodeURIComponent(a._id)}${q}`, headers: o.headers, signal: o.signal, idempotent: true });
  const text = await up.body.text();
  if (up.statusCode === 404) return 'moved'; // deleted since
  if (up.statusCode !== 200) return 'unread';
  try {
    const got = JSON.parse(text) as Partial<Written> & { _source?: unknown };
    if (got._seq_no !== a._seq_no || got._primary_term !== a._primary_term) return 'moved';
    return isObject(got._source) ? got._source : undefined;
  } catch {
    return 'unread';
  }
}

/** The completing update's `_seq_no`, `_primary_term` and `_version`, when its item carries them all. */
function storedAtOf(item: UpdateItem | undefined): StoredAt | undefined {
  const u = item?.update as Partial<StoredAt> | undefined;
  return u && typeof u._seq_no === 'number' && typeof u._primary_term === 'number' && typeof u._version === 'number' ? { _seq_no: u._seq_no, _primary_term: u._primary_term, _version: u._version } : undefined;
}
