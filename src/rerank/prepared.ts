/**
 * Prepared document sides kept across requests (issue 12, warm rerank API): a document scored
 * before — the same text, the same local photo, unchanged — is scored from the side built for it
 * then (its passage vector, EfficientNet embedding, mixed visual-text vectors), instead of looking
 * up each part in the feature store, planning its texts, looking up their vectors and building the
 * side again (about half of a warm 50-document request's main-thread CPU, profiled).
 *
 * Never stale: the key is the document's text and image reference as given, under a "shape" of
 * everything in the request that changes a side (stages/kept.ts); the models, preprocessing and
 * mix are the owning Reranker's, fixed for its life. A photo is checked on every request — the
 * content hash KnownMedia gives for the file if unchanged (size + mtime, one stat()) must be the
 * one the side was built from — so a changed file misses and is recomputed. Only local photos
 * this process has read qualify (URLs would need revalidation; inline bytes are not worth keying).
 * Bounded in bytes (an LRU); built by the composition root (or the Reranker for library use),
 * never a module global. Holds references to vectors the feature cache also holds, never copies.
 */
import { LRUCache } from 'lru-cache';
import type { PreparedSide } from './pair-score.js';
import type { MediaPort } from './ports.js';
import type { NormalizedDocument } from './types.js';

/** Default byte budget of the kept sides (their vectors, counted even where the feature cache holds them too). */
export const PREPARED_SIDES_MAX_BYTES = 32 * 1024 * 1024;

/** One document's kept side. */
export interface KeptSide {
  side: PreparedSide;
  /** The photo's content hash when the side was built (undefined: no photo). */
  contentHash?: string;
  /** It has a photo (usage counts images; its features are not held here, only the side's vectors). */
  image: boolean;
  /** Parts looked up when it was built (hits + misses): all hits when it is found again. */
  parts: number;
  /** Passage texts it put in the request's text plan (usage counts texts). */
  texts: number;
}

export class PreparedSides {
  readonly #lru: LRUCache<string, KeptSide>;

  constructor(options: { maxBytes?: number } = {}) {
    this.#lru = new LRUCache<string, KeptSide>({ maxSize: options.maxBytes ?? PREPARED_SIDES_MAX_BYTES, sizeCalculation: (k, key) => sideBytes(k.side) + 2 * key.length + 256 });
  }

  get size(): number {
    return this.#lru.size;
  }

  /** The kept sides of these documents still good (input order; a photo: unchanged since, by one stat()). */
  find(shape: string, documents: NormalizedDocument[], media: Pick<MediaPort, 'seenContentHash'>): { sides: Array<KeptSide | undefined>; found: number } {
    const sides = new Array<KeptSide | undefined>(documents.length);
    let found = 0;
    if (this.#lru.size === 0) return { sides, found };
    for (let i = 0; i < documents.length; i++) {
      const d = documents[i]!;
      const key = keyOf(shape, d);
      const k = key === undefined ? undefined : this.#lru.get(key);
      if (!k) continue;
      if (d.image !== undefined && (!media.seenContentHash || media.seenContentHash(d.image) !== k.contentHash)) continue;
      sides[i] = k;
      found++;
    }
    return { sides, found };
  }

  /** Keep the side just built for this document (a video, or a photo without its content hash, is not kept). */
  keep(shape: string, d: NormalizedDocument, kept: KeptSide): void {
    if (d.image !== undefined && (!kept.contentHash || !kept.image)) return;
    const key = keyOf(shape, d);
    if (key !== undefined) this.#lru.set(key, kept);
  }

  clear(): void {
    this.#lru.clear();
  }
}

/** A document's key under a shape (undefined: never kept — a video, or neither text nor image). */
function keyOf(shape: string, d: NormalizedDocument): string | undefined {
  if (d.video !== undefined || (d.text === undefined && d.image === undefined)) return undefined;
  return `${shape}\u0000${d.image === undefined ? '-' : `i${d.image}`}\u0000${d.text === undefined ? '-' : `t${d.text}`}`;
}

function sideBytes(s: PreparedSide): number {
  let n = (s.textPassageVec?.byteLength ?? 0) + (s.textQueryVec?.byteLength ?? 0) + (s.ocrVec?.byteLength ?? 0);
  for (const v of s.visualEmb ?? []) n += v.byteLength;
  for (const v of s.visualText ?? []) n += v.byteLength;
  for (const v of s.visualParts ?? []) n += v.passage.byteLength + v.bridge.byteLength + 2 * v.passageText.length + 64 * v.concepts.length;
  for (const v of s.textChunks?.vectors ?? []) n += v.byteLength;
  if (s.textChunks) n += 2 * s.textChunks.text.length;
  return Math.max(1, n);
}
