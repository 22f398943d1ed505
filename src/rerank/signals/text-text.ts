/**
 * text ↔ text: cosine of bge-small-en-v1.5 vectors, the query with bge's query prefix, documents as
 * passages. Passage vectors do not depend on the query, so they are cached by a hash of
 * (encoder, kind, text): a document seen in an earlier request costs no forward pass.
 * The same cache serves visual passages (signals/visual-passage.ts) and OCR text.
 */
import { createHash } from 'node:crypto';
import { LRUCache } from 'lru-cache';
import type { TextEncoderPort } from '../ports.js';
import { dot } from '../vector.js';

export interface TextVectorsResult {
  vectors: Float32Array[];
  /** Per text: served from the cache (or an in-flight request) without a new forward pass. */
  hit: boolean[];
  hits: number;
  misses: number;
}

export class TextVectorCache {
  readonly #encoder: TextEncoderPort;
  readonly #cache: LRUCache<string, Float32Array>;
  readonly #inflight = new Map<string, Promise<Float32Array>>();

  constructor(encoder: TextEncoderPort, options: { maxEntries?: number } = {}) {
    this.#encoder = encoder;
    this.#cache = new LRUCache({ max: options.maxEntries ?? 50_000 });
  }

  get encoder(): TextEncoderPort {
    return this.#encoder;
  }

  #key(text: string, kind: 'query' | 'passage'): string {
    return createHash('sha1').update(`${this.#encoder.id}\0${kind}\0${text}`).digest('base64url');
  }

  /**
   * Vectors for these texts (duplicates embedded once, cached ones not at all), with all misses
   * sent to the encoder in one call so its batching queue sees them together.
   */
  async vectors(texts: string[], kind: 'query' | 'passage'): Promise<TextVectorsResult> {
    const keys = texts.map((t) => this.#key(t, kind));
    const out: Array<Float32Array | Promise<Float32Array>> = new Array(texts.length);
    const missIdx = new Map<string, number>();
    const missTexts: string[] = [];
    let hits = 0;
    const hit = new Array<boolean>(texts.length).fill(false);
    keys.forEach((k, i) => {
      const v = this.#cache.get(k) ?? this.#inflight.get(k);
      if (v) {
        hits++;
        hit[i] = true;
        out[i] = v;
      } else if (!missIdx.has(k)) {
        missIdx.set(k, missTexts.length);
        missTexts.push(texts[i]!);
      }
    });
    if (missTexts.length > 0) {
      const batch = this.#encoder.embed(missTexts, kind);
      const missKeys = [...missIdx.keys()];
      missKeys.forEach((k, j) => {
        const p = batch.then((vs) => vs[j]!);
        p.catch(() => undefined); // awaited only by a concurrent caller; the failure reaches this one below
        this.#inflight.set(k, p);
      });
      try {
        const vs = await batch;
        missKeys.forEach((k, j) => this.#cache.set(k, vs[j]!));
      } finally {
        for (const k of missKeys) this.#inflight.delete(k);
      }
      keys.forEach((k, i) => {
        if (out[i] === undefined) out[i] = this.#cache.get(k)!;
      });
    }
    return { vectors: await Promise.all(out), hit, hits, misses: missTexts.length };
  }

  clear(): void {
    this.#cache.clear();
  }
}

/** The raw text↔text signal: cosine of two unit vectors. */
export function textTextRaw(query: Float32Array, doc: Float32Array): number {
  return dot(query, doc);
}
