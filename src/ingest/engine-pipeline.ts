/**
 * A write runs the engine's own ingest pipelines before the engine stores it: the one it names
 * (`?pipeline=` on `_doc`, `_create` or `_bulk`, an action's `pipeline`) or else the index's
 * `index.default_pipeline`, then the index's `index.final_pipeline` (Elasticsearch's and
 * OpenSearch's order: `pipeline=_none` skips the default, never the final). vlrerank's vectors and
 * record, computed from the document as sent, described another photo than the one stored when a
 * pipeline set, renamed or removed a field vlrerank reads (a `set` of the photo from another field:
 * the kNN vectors of the photo sent beside the photo stored, held-out probe round 22c). So such a
 * document is first run through those pipelines by the engine's simulate API — one
 * `POST /_ingest/pipeline/{id}/_simulate` per pipeline, in order, each on what the one before left
 * (a `pipeline` processor chaining them would need ingest-common, which the thin Elasticsearch and
 * OpenSearch 2.19 builds lack) — and the vectors and record are computed from what it gives back;
 * a document a pipeline drops or fails gets nothing computed (the engine answers for it as
 * directly). The index's pipelines are read from its settings (index-pipelines.ts, kept briefly:
 * fix23p). A pipeline that sends the document to another `_index` ends the simulation there: the
 * document as it left, and the item's note says the pipelines of that index were not simulated.
 */
import { clientReadHeaders } from '../engine/targets.js';
import { withoutHeaders } from '../proxy/hop-by-hop.js';
import type { UpstreamPool } from '../proxy/pool.js';
import type { ItemError } from './keeps-records.js';
import { pathParam } from './path-params.js';
import type { IndexPipelines, IndexPipelineSettings } from './index-pipelines.js';
import { isObject } from '../util/is-object.js';

/**
 * What the pipelines do with a document: the document they leave (with a note when it is not
 * wholly known: a pipeline sent it to another index), dropped, failed (not stored), or unknown
 * (the engine would not say: the document as sent, and the note).
 */
export type Pipelined = { doc: Record<string, unknown>; unknown?: ItemError } | { dropped: true } | { failed: true } | { unknown: ItemError };

/** The request's `pipeline=` (the engine ingest pipeline of its documents, unless an action names its own). */
export function requestPipeline(path: string): string | undefined {
  return pathParam(path, 'pipeline');
}

/**
 * The pipelines a write runs, in order: the one it names (`requested`: the action's `pipeline`, else
 * the request's; `_none`: none) or else the index's default, then the index's final.
 */
export function pipelinesRun(requested: string | undefined, index: IndexPipelineSettings | undefined): string[] {
  const first = requested ? (requested === '_none' ? undefined : requested) : index?.default;
  return [first, index?.final].filter((p): p is string => !!p);
}

const CONTENT_TYPE = new Set(['content-type']);

/** The bounds of one simulate call: a `_bulk` of more documents under one pipeline makes more calls. */
export const SIMULATE_MAX_DOCS = 500;
export const SIMULATE_MAX_BYTES = 8 * 1024 * 1024;

type SimulateVia = {
  pool: Pick<UpstreamPool, 'request'>;
  headers: readonly string[];
  signal?: AbortSignal;
  /** The index's default and final pipelines (index-pipelines.ts); without it, only a pipeline the write names runs. */
  settings?: Pick<IndexPipelines, 'of'>;
};

/** A document to run through pipelines: the index and id the write names, and its source. */
interface Entry {
  index: string | undefined;
  id: string | undefined;
  doc: Record<string, unknown>;
}

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
async function simulateEntries(o: SimulateVia, name: string, entries: readonly string[], indices: ReadonlyArray<string | undefined> = []): Promise<Array<Pipelined | { doc: Record<string, unknown>; movedTo: string }>> {
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
    const one = (k: number) => simulateEntries(o, name, [entries[k]!], [indices[k]]);
    if (up.statusCode === 404 || (up.statusCode === 400 && (entries.length === 1 || /pipeline \[[^\]]*\] does not exist/.test(text)))) return all({ failed: true }); // no such pipeline: the write is refused alike
    if ((up.statusCode === 400 || up.statusCode === 413) && entries.length > 1) return (await Promise.all(entries.map((_, k) => one(k)))).flat();
    if (up.statusCode !== 200) return all(unknown(`its simulate API answered ${up.statusCode}`));
    const docs = (JSON.parse(text) as { docs?: unknown[] }).docs;
    return entries.map((_, i) => {
      const d = Array.isArray(docs) ? docs[i] : undefined;
      if (d === null) return { dropped: true };
      if (isObject(d) && d.error !== undefined) return { failed: true };
      const source = isObject(d) && isObject(d.doc) ? d.doc._source : undefined;
      if (!isObject(source)) return unknown('its simulate API answered no document');
      const to = isObject(d) && isObject(d.doc) && typeof d.doc._index === 'string' ? d.doc._index : undefined;
      return to !== undefined && to !== indices[i] ? { doc: source, movedTo: to } : { doc: source };
    });
  } catch (e) {
    o.signal?.throwIfAborted();
    return entries.map(() => unknown((e as Error)?.message ?? String(e)));
  }
}

/**
 * `entries` as the pipelines `stages` leave each, in order: each pipeline asked once for every
 * document the ones before left (a dropped, failed, unknown or moved document goes no further).
 */
async function simulateChain(o: SimulateVia, stages: readonly string[], entries: readonly Entry[], first?: readonly string[]): Promise<Pipelined[]> {
  const out: Pipelined[] = entries.map((e) => ({ doc: e.doc }));
  for (const [k, name] of stages.entries()) {
    const live = entries.flatMap((_, i) => ('doc' in out[i]! && !('unknown' in out[i]!) ? [i] : []));
    if (!live.length) break;
    const asked = live.map((i) => (k === 0 && first ? first[i]! : entryOf(entries[i]!.index, entries[i]!.id, (out[i] as { doc: Record<string, unknown> }).doc)));
    const got = await simulateEntries(o, name, asked, live.map((i) => entries[i]!.index));
    live.forEach((i, j) => {
      const g = got[j]!;
      if ('movedTo' in g) {
        const reason = `vectors and feature record computed from the document as the engine's ingest pipeline [${name}] leaves it: that pipeline sends it to index [${g.movedTo}], whose own pipelines were not simulated`;
        out[i] = { doc: g.doc, unknown: { type: 'exception', reason, vlrerank_code: 'VLR_BAD_REQUEST' } };
      } else if ('unknown' in g && k > 0) out[i] = { doc: (out[i] as { doc: Record<string, unknown> }).doc, unknown: g.unknown };
      else out[i] = g;
    });
  }
  return out;
}

/** The pipelines a write of `requested` (`?pipeline=`, an action's) into `index` runs, from its settings when `o` can read them. */
async function stagesOf(o: SimulateVia, requested: string | undefined, index: string | undefined): Promise<string[]> {
  // a named pipeline reads them too: the index's final pipeline runs after it (and after `_none`)
  const settings = index !== undefined && o.settings ? await o.settings.of(index, o) : undefined;
  return pipelinesRun(requested, settings);
}

/** `doc` as the pipelines a write of it runs leave it (one document: `_doc`, `_create`); undefined: no pipeline runs. */
export async function simulatePipeline(o: SimulateVia, requested: string | undefined, index: string | undefined, id: string | undefined, doc: Record<string, unknown>): Promise<Pipelined | undefined> {
  const stages = await stagesOf(o, requested, index);
  return stages.length ? (await simulateChain(o, stages, [{ index, id, doc }]))[0]! : undefined;
}

/** Documents run through the engine's pipelines, asked in batches (a `_bulk`'s: `SimulateBatches`). */
export interface PipelineRuns {
  /** `requested`: the pipeline the write names (the action's, else the request's); undefined: no pipeline runs. */
  run(requested: string | undefined, index: string | undefined, id: string | undefined, doc: Record<string, unknown>): Promise<Pipelined | undefined>;
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
  stages: string[];
  entries: string[];
  docs: Entry[];
  bytes: number;
  waiting: Array<{ resolve: (p: Pipelined) => void; reject: (e: unknown) => void }>;
}

/**
 * A `_bulk`'s simulate calls: the documents of each series of pipelines gathered into one call of up to
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

  async run(requested: string | undefined, index: string | undefined, id: string | undefined, doc: Record<string, unknown>): Promise<Pipelined | undefined> {
    // the index's settings: read once per index and kept (index-pipelines.ts), never per document
    const stages = await stagesOf(this.via, requested, index);
    return stages.length ? this.#join(stages, { index, id, doc }) : undefined;
  }

  #join(stages: string[], e: Entry): Promise<Pipelined> {
    const name = stages.join('\u0000');
    const entry = entryOf(e.index, e.id, e.doc);
    const bytes = Buffer.byteLength(entry) + 1;
    let b = this.#open.get(name);
    if (b && b.bytes + bytes > this.limits.bytes) this.#send(name, b);
    b = this.#open.get(name);
    if (!b) this.#open.set(name, (b = { stages, entries: [], docs: [], bytes: 16, waiting: [] }));
    b.entries.push(entry);
    b.docs.push(e);
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
    simulateChain(this.via, b.stages, b.docs, b.entries).then(
      (r) => b.waiting.forEach((w, i) => w.resolve(r[i]!)),
      (e: unknown) => b.waiting.forEach((w) => w.reject(e)),
    );
  }
}
