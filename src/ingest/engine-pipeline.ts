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
import { pathParam } from './path-params.js';

/** What the named pipeline does with a document. */
export type Pipelined = { doc: Record<string, unknown> } | { dropped: true } | { failed: true } | { unknown: ItemError };

/** The request's `pipeline=` (the engine ingest pipeline of its documents, unless an action names its own). */
export function requestPipeline(path: string): string | undefined {
  return pathParam(path, 'pipeline');
}

/** The engine ingest pipeline a write runs by name: the action's `pipeline`, else the request's; `_none` or none: undefined. */
export function namedPipeline(action: string | undefined, request: string | undefined): string | undefined {
  const name = action ?? request;
  return name && name !== '_none' ? name : undefined;
}

const CONTENT_TYPE = new Set(['content-type']);
const isObject = (v: unknown): v is Record<string, unknown> => !!v && typeof v === 'object' && !Array.isArray(v);

/** The bounds of one simulate call: a `_bulk` of more documents under one pipeline makes more calls. */
export const SIMULATE_MAX_DOCS = 500;
export const SIMULATE_MAX_BYTES = 8 * 1024 * 1024;

type SimulateVia = { pool: Pick<UpstreamPool, 'request'>; headers: readonly string[]; signal?: AbortSignal };

/** One entry of a simulate call's `docs`. */
function entryOf(index: string | undefined, id: string | undefined, doc: Record<string, unknown>): string {
  return JSON.stringify({ ...(index !== undefined ? { _index: index } : {}), ...(id !== undefined ? { _id: id } : {}), _source: doc });
}

/**
 * The documents of `entries` as the engine's pipeline `name` leaves each, in order — one
 * `POST /_ingest/pipeline/{name}/_simulate` (the engine answers its `docs` in the order asked), with
 * the client's credentials (`headers` are the client's raw ones). A pipeline the engine does not know
 * is a failure: it refuses the write too. A batch the engine refuses as a whole for another reason
 * (400, 413) is asked again a document at a time, so one document cannot decide the others'.
 */
async function simulateEntries(o: SimulateVia, name: string, entries: readonly string[]): Promise<Pipelined[]> {
  const unknown = (why: string): Pipelined => ({
    unknown: { type: 'exception', reason: `vectors and feature record computed from the document as sent: the engine did not say what its ingest pipeline [${name}] makes of it (${why}), so a field the pipeline changes may not be described`, vlrerank_code: 'VLR_UPSTREAM_ERROR' },
  });
  try {
    const up = await o.pool.request({
      method: 'POST',
      path: `/_ingest/pipeline/${encodeURIComponent(name)}/_simulate`,
      headers: [...withoutHeaders(clientReadHeaders(o.headers), CONTENT_TYPE), 'content-type', 'application/json'],
      body: `{"docs":[${entries.join(',')}]}`,
      signal: o.signal,
      idempotent: true,
    });
    const text = await up.body.text();
    const all = (p: Pipelined) => entries.map(() => p);
    if (up.statusCode === 404 || (up.statusCode === 400 && (entries.length === 1 || /pipeline \[[^\]]*\] does not exist/.test(text)))) return all({ failed: true }); // no such pipeline: the write is refused alike
    if ((up.statusCode === 400 || up.statusCode === 413) && entries.length > 1) return (await Promise.all(entries.map((e) => simulateEntries(o, name, [e])))).flat();
    if (up.statusCode !== 200) return all(unknown(`its simulate API answered ${up.statusCode}`));
    const docs = (JSON.parse(text) as { docs?: unknown[] }).docs;
    return entries.map((_, i) => {
      const d = Array.isArray(docs) ? docs[i] : undefined;
      if (d === null) return { dropped: true };
      if (isObject(d) && d.error !== undefined) return { failed: true };
      const source = isObject(d) && isObject(d.doc) ? d.doc._source : undefined;
      return isObject(source) ? { doc: source } : unknown('its simulate API answered no document');
    });
  } catch (e) {
    o.signal?.throwIfAborted();
    return entries.map(() => unknown((e as Error)?.message ?? String(e)));
  }
}

/** `doc` as the engine's pipeline `name` leaves it (one document: `_doc`, `_create`). */
export async function simulatePipeline(o: SimulateVia, name: string, index: string | undefined, id: string | undefined, doc: Record<string, unknown>): Promise<Pipelined> {
  return (await simulateEntries(o, name, [entryOf(index, id, doc)]))[0]!;
}

/** Documents run through the engine's pipelines by name, asked in batches (a `_bulk`'s: `SimulateBatches`). */
export interface PipelineRuns {
  run(name: string, index: string | undefined, id: string | undefined, doc: Record<string, unknown>): Promise<Pipelined>;
  /**
   * The caller is about to wait for a document: every one waiting is asked for (in the same turn of
   * the event loop, so the documents still on their way to `run` join), and so is every one that
   * comes until `gather()`.
   */
  flush(): void;
  /** The caller reads on: documents are gathered into batches again. */
  gather(): void;
}

interface OpenBatch {
  entries: string[];
  bytes: number;
  waiting: Array<{ resolve: (p: Pipelined) => void; reject: (e: unknown) => void }>;
}

/**
 * A `_bulk`'s simulate calls: the documents of each pipeline gathered into one call of up to
 * SIMULATE_MAX_DOCS documents or SIMULATE_MAX_BYTES, sent when full or at `flush()` — one call per
 * distinct pipeline per body of fewer, where one per document made a `_bulk` of 1,000 documents
 * 1,000 engine requests (held-out probe round 22c, Known gaps).
 */
export class SimulateBatches implements PipelineRuns {
  readonly #open = new Map<string, OpenBatch>();
  #eager = false;
  #scheduled = false;
  constructor(
    private readonly via: SimulateVia,
    private readonly limits: { docs: number; bytes: number } = { docs: SIMULATE_MAX_DOCS, bytes: SIMULATE_MAX_BYTES },
  ) {}

  run(name: string, index: string | undefined, id: string | undefined, doc: Record<string, unknown>): Promise<Pipelined> {
    const entry = entryOf(index, id, doc);
    const bytes = Buffer.byteLength(entry) + 1;
    let b = this.#open.get(name);
    if (b && b.bytes + bytes > this.limits.bytes) this.#send(name, b);
    b = this.#open.get(name);
    if (!b) this.#open.set(name, (b = { entries: [], bytes: 16, waiting: [] }));
    b.entries.push(entry);
    b.bytes += bytes;
    const p = new Promise<Pipelined>((resolve, reject) => b.waiting.push({ resolve, reject }));
    if (b.entries.length >= this.limits.docs || b.bytes >= this.limits.bytes) this.#send(name, b);
    else if (this.#eager) this.#schedule();
    return p;
  }

  flush(): void {
    this.#eager = true;
    this.#schedule();
  }

  gather(): void {
    this.#eager = false;
  }

  // once the documents on their way (promise callbacks of this turn) have joined: a document whose
  // `run` came after a caller's flush would otherwise wait for a batch nobody asks for
  #schedule(): void {
    if (this.#scheduled) return;
    this.#scheduled = true;
    setImmediate(() => {
      this.#scheduled = false;
      for (const [name, b] of this.#open) this.#send(name, b);
    });
  }

  #send(name: string, b: OpenBatch): void {
    this.#open.delete(name);
    simulateEntries(this.via, name, b.entries).then(
      (r) => b.waiting.forEach((w, i) => w.resolve(r[i]!)),
      (e: unknown) => b.waiting.forEach((w) => w.reject(e)),
    );
  }
}
