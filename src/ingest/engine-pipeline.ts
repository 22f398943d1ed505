/**
 * A write that names one of the engine's own ingest pipelines (`?pipeline=` on `_doc`, `_create` or
 * `_bulk`, an action's `pipeline`) is stored as that pipeline leaves it — after vlrerank added its
 * vectors and record. Computed from the document as sent, they described another photo than the one
 * stored when the pipeline set, renamed or removed a field vlrerank reads (a `set` of the photo from
 * another field: the kNN vectors of the photo sent beside the photo stored, held-out probe round
 * 22c). So such a document is first run through the pipeline by the engine's simulate API and the
 * vectors and record are computed from what it gives back; a document the pipeline drops or fails
 * gets nothing computed (the engine answers for it as directly). The index's `default_pipeline` and
 * `final_pipeline` are not simulated (docs/RELIABILITY.md "Known gaps").
 */
import { clientReadHeaders } from '../engine/targets.js';
import { withoutHeaders } from '../proxy/hop-by-hop.js';
import type { UpstreamPool } from '../proxy/pool.js';
import type { ItemError } from './keeps-records.js';

/** What the named pipeline does with a document. */
export type Pipelined = { doc: Record<string, unknown> } | { dropped: true } | { failed: true } | { unknown: ItemError };

/** The request's `pipeline=` (the engine ingest pipeline of its documents, unless an action names its own). */
export function requestPipeline(path: string): string | undefined {
  const q = path.indexOf('?');
  return q < 0 ? undefined : (new URLSearchParams(path.slice(q + 1)).get('pipeline') ?? undefined);
}

/** The engine ingest pipeline a write runs by name: the action's `pipeline`, else the request's; `_none` or none: undefined. */
export function namedPipeline(action: string | undefined, request: string | undefined): string | undefined {
  const name = action ?? request;
  return name && name !== '_none' ? name : undefined;
}

const CONTENT_TYPE = new Set(['content-type']);
const isObject = (v: unknown): v is Record<string, unknown> => !!v && typeof v === 'object' && !Array.isArray(v);

/**
 * `doc` as the engine's pipeline `name` leaves it (`POST /_ingest/pipeline/{name}/_simulate`, with the
 * client's credentials: `headers` are the client's raw ones). A pipeline the engine does not know is a failure: it refuses the write too.
 */
export async function simulatePipeline(o: { pool: Pick<UpstreamPool, 'request'>; headers: readonly string[]; signal?: AbortSignal }, name: string, index: string | undefined, id: string | undefined, doc: Record<string, unknown>): Promise<Pipelined> {
  const unknown = (why: string): Pipelined => ({
    unknown: { type: 'exception', reason: `vectors and feature record computed from the document as sent: the engine did not say what its ingest pipeline [${name}] makes of it (${why}), so a field the pipeline changes may not be described`, vlrerank_code: 'VLR_UPSTREAM_ERROR' },
  });
  try {
    const up = await o.pool.request({
      method: 'POST',
      path: `/_ingest/pipeline/${encodeURIComponent(name)}/_simulate`,
      headers: [...withoutHeaders(clientReadHeaders(o.headers), CONTENT_TYPE), 'content-type', 'application/json'],
      body: JSON.stringify({ docs: [{ ...(index !== undefined ? { _index: index } : {}), ...(id !== undefined ? { _id: id } : {}), _source: doc }] }),
      signal: o.signal,
      idempotent: true,
    });
    const text = await up.body.text();
    if (up.statusCode === 400 || up.statusCode === 404) return { failed: true }; // no such pipeline: the write is refused alike
    if (up.statusCode !== 200) return unknown(`its simulate API answered ${up.statusCode}`);
    const first = (JSON.parse(text) as { docs?: unknown[] }).docs?.[0];
    if (first === null) return { dropped: true };
    if (isObject(first) && first.error !== undefined) return { failed: true };
    const source = isObject(first) && isObject(first.doc) ? first.doc._source : undefined;
    return isObject(source) ? { doc: source } : unknown('its simulate API answered no document');
  } catch (e) {
    o.signal?.throwIfAborted();
    return unknown((e as Error)?.message ?? String(e));
  }
}
