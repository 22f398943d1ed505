/**
 * text ↔ text: cosine of bge-small-en-v1.5 vectors, the query with bge's query prefix, documents as
 * passages. Passage vectors do not depend on the query, so they are cached by a hash of
 * (encoder, kind, text): a document seen in an earlier request costs no forward pass.
 * The same cache serves visual passages (signals/visual-passage.ts) and OCR text.
 */
import { createHash } from 'node:crypto';
import { LRUCache } from 'lru-cache';
import type { TextEncoderPort } from '../ports.js';
import { fanOutSignal, SharedAbort, untilAborted } from '../../util/abort.js';
import { dot } from '../../util/vector.js';

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
  /** Vectors being computed, each with the requests waiting for it (util/abort.ts). */
  readonly #inflight = new Map<string, { p: Promise<Float32Array>; shared: SharedAbort }>();

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
   * `signal` ends this caller's wait; a text leaves the encoder's queue only when every request
   * waiting for it has aborted (another request asking for the same text keeps it alive).
   */
  async vectors(texts: string[], kind: 'query' | 'passage', parent?: AbortSignal): Promise<TextVectorsResult> {
    parent?.throwIfAborted();
    const fan = fanOutSignal(parent); // one listener per text below
    try {
      return await this.#vectors(texts, kind, fan.signal);
    } finally {
      fan.dispose();
    }
  }

  async #vectors(texts: string[], kind: 'query' | 'passage', signal: AbortSignal | undefined): Promise<TextVectorsResult> {
    const keys = texts.map((t) => this.#key(t, kind));
    const out: Array<Float32Array | Promise<Float32Array>> = new Array(texts.length);
    const missIdx = new Map<string, number>();
    const missTexts: string[] = [];
    let hits = 0;
    const hit = new Array<boolean>(texts.length).fill(false);
    keys.forEach((k, i) => {
      const cached = this.#cache.get(k);
      const running = cached ? undefined : this.#inflight.get(k);
      if (cached) {
        hits++;
        hit[i] = true;
        out[i] = cached;
      } else if (running && !missIdx.has(k) && running.shared.join(signal)) {
        hits++;
        hit[i] = true;
        out[i] = running.p;
      } else if (!missIdx.has(k)) {
        missIdx.set(k, missTexts.length);
        missTexts.push(texts[i]!);
      }
    });
    if (missTexts.length > 0) {
      const missKeys = [...missIdx.keys()];
      const shared = missKeys.map(() => new SharedAbort());
      for (const s of shared) s.join(signal);
      const each = this.#encoder.embedEach
        ? this.#encoder.embedEach(missTexts, kind, shared.map((s) => s.signal))
        : ((all) => missTexts.map((_, j) => all.then((vs) => vs[j]!)))(this.#encoder.embed(missTexts, kind));
      missKeys.forEach((k, j) => {
        const entry = { p: each[j]!, shared: shared[j]! };
        this.#inflight.set(k, entry);
        const settle = () => {
          entry.shared.done();
          if (this.#inflight.get(k) === entry) this.#inflight.delete(k);
        };
        entry.p.then((v) => {
          this.#cache.set(k, v);
          settle();
        }, settle);
      });
      keys.forEach((k, i) => {
        if (out[i] === undefined) out[i] = each[missIdx.get(k)!]!;
      });
    }
    const vectors = await untilAborted(Promise.all(out), signal);
    return { vectors, hit, hits, misses: missTexts.length };
  }

  clear(): void {
    this.#cache.clear();
  }
}

/** The raw text↔text signal: cosine of two unit vectors. */
export function textTextRaw(query: Float32Array, doc: Float32Array): number {
  return dot(query, doc);
}
