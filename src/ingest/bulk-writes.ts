/**
 * What the earlier actions of one `_bulk` make of a document, for a later action on the same id
 * in the same body: an `update` after an `index` of that id read the engine for the stored
 * document — not there yet (the engine applies the body's actions in order, after vlrerank has
 * rewritten them) — and its record described the partial `doc` alone, without the text part
 * (held-out probe round 8a: right ranking, a text embed per search until a backfill). Each action
 * on an id of an ingest index claims the id: it gets the result of the action before it (awaited,
 * as that line's transform may still be running) and settles its own.
 *
 * Bounded: documents are kept up to MAX_KEPT_BYTES of their source lines per body; past it a
 * later action reads the engine as before. Never reads the engine itself.
 */
import type { Pipeline } from '../pipelines/index.js';
import { mergedForUpdate } from './records.js';

/** A document as an action leaves it: its source, deleted, or unknown (not kept, a script, a line not read). */
export type Written = { doc: Record<string, unknown> } | { deleted: true } | undefined;

/** Source bytes of the documents kept per body. */
export const MAX_KEPT_BYTES = 32 * 1024 * 1024;
/** Ids followed per body: past it, an id not yet seen is not followed (its later actions read the engine). */
export const MAX_KEPT_IDS = 100_000;

export interface Claim {
  /** The document as the body's earlier action on this id leaves it (undefined: no earlier action). */
  prior?: Promise<Written>;
  /** This action's result (first call wins; `bytes`: its source line's size, for the bound). */
  settle(w: Written, bytes?: number): void;
}

export class BulkWrites {
  readonly #docs = new Map<string, Promise<Written>>();
  #bytes = 0;

  /** Claim the next action on `id` of `index` (with its routing). Without an id: nothing to claim. */
  claim(index: string | undefined, id: string | undefined, routing?: string): Claim {
    if (index === undefined || id === undefined) return { settle: () => undefined };
    const key = `${index}\u0000${id}\u0000${routing ?? ''}`;
    const prior = this.#docs.get(key);
    if (!prior && this.#docs.size >= MAX_KEPT_IDS) return { settle: () => undefined };
    let resolve!: (w: Written) => void;
    let settled = false;
    this.#docs.set(key, new Promise<Written>((r) => (resolve = r)));
    return {
      ...(prior ? { prior } : {}),
      settle: (w, bytes = 0) => {
        if (settled) return;
        settled = true;
        if (w && 'doc' in w && this.#bytes + bytes > MAX_KEPT_BYTES) return resolve(undefined);
        if (w && 'doc' in w) this.#bytes += bytes;
        resolve(w);
      },
    };
  }
}

/** The document this action leaves (bulk-writes.ts), as the engine keeps its `_source`: without the record and its signature. */
export function leaves(op: string, doc: Record<string, unknown>, read: { stored?: Record<string, unknown> } | undefined, pipeline: Pick<Pipeline, 'features'>): Written {
  const kept = (d: Record<string, unknown>): Written => {
    const { [pipeline.features.field]: _r, [pipeline.features.keyField]: _k, ...rest } = d;
    return { doc: rest };
  };
  if (op !== 'update') return kept(doc);
  const partial = doc.doc && typeof doc.doc === 'object' && !Array.isArray(doc.doc) ? (doc.doc as Record<string, unknown>) : undefined;
  if (doc.script !== undefined || read === undefined) return undefined; // a script's result, or a document never read: unknown
  if (read.stored) return partial ? kept(mergedForUpdate(read.stored, partial)) : undefined;
  const upsert = doc.upsert && typeof doc.upsert === 'object' && !Array.isArray(doc.upsert) ? (doc.upsert as Record<string, unknown>) : doc.doc_as_upsert === true ? partial : undefined;
  return upsert ? kept(upsert) : { deleted: true };
}
