/**
 * Text vectors, cache first: the one text-vector cache (document passages, visual passages, OCR
 * text, queries). Vectors do not depend on the request, so they are kept by a hash of (model,
 * kind, text): a text seen in an earlier request costs no forward pass. Misses of one call go to
 * the model in one submission, so its batching queue sees them together; a text already being
 * computed for another request is joined, not computed twice, and leaves the model queue only when
 * every request waiting for it has aborted (util/abort.ts).
 *
 * Where vectors are kept is a tier behind `VectorTier`: the extractor's byte-bounded feature cache
 * (the L1 tier a feature store slots under), or an LRU of its own for a bare text model.
 * Never knows what the texts are for.
 */
import { hash } from 'node:crypto';
import { LRUCache } from 'lru-cache';
import { maxInputChars, type Encoded } from '../models/tokenizer.js';
import type { TextEmbedder, TextKind } from '../models/index.js';
import { fanOutSignal, SharedAbort, untilAborted } from '../util/abort.js';
import type { PartSource } from './store/tier.js';

/** What the cache needs of a text model. */
export interface TextVectorModel {
  /** Stable identity (model id + revision), part of every key. */
  readonly id: string;
  /**
   * Largest input in tokens (its tokenizer reads at most maxInputChars(maxTokens) + 1 characters
   * of a text); when known, keys hash only what the model reads. Optional: without it, the whole text.
   */
  readonly maxTokens?: number;
  /** Unit vectors, one per text, in order; one call = batched forwards. */
  embed(texts: string[], kind: TextKind): Promise<Float32Array[]>;
  /** One promise (and one AbortSignal) per text; optional (`embed` is used without it). */
  embedEach?(texts: string[], kind: TextKind, signals: ReadonlyArray<AbortSignal | undefined>): Promise<Float32Array>[];
  /**
   * As `embedEach`, with how many tokens the model reads for these texts (special tokens included,
   * after truncation): what a request's usage reports. Optional (without it, computed texts count 0 tokens).
   */
  embedCounted?(texts: string[], kind: TextKind, signals: ReadonlyArray<AbortSignal | undefined>): { vectors: Promise<Float32Array>[]; tokens: Promise<number> };
}

/** Where vectors are kept between requests. */
export interface VectorTier {
  get(key: string): Float32Array | undefined;
  /** As `get`, saying which tier answered (`l1`, `disk`); optional (`get` counts as `l1`). */
  find?(key: string): { vector: Float32Array; source: PartSource } | undefined;
  set(key: string, vector: Float32Array): void;
  /**
   * A vector just computed as the tiers below keep it (float16-rounded, configured or not), so the
   * caller scores with what any replica, this one after a restart, or an index record reads back;
   * optional (the vector as computed).
   */
  keep?(vector: Float32Array): Float32Array;
  /**
   * A slower, shared tier (Redis) asked once per call for the keys `get` missed, before the model
   * runs; never throws (undefined for each key it cannot answer).
   */
  lookup?(keys: string[]): Promise<Array<Float32Array | undefined>>;
}

export interface TextVectorsResult {
  vectors: Float32Array[];
  /** Per text: served from a tier (or an in-flight request) without a new forward pass. */
  hit: boolean[];
  /** Per text: where its vector came from (`l1` also for a text another request was computing). */
  source: PartSource[];
  hits: number;
  /** Texts this call sent to the model (a text found in the shared tier is a hit, not a miss). */
  misses: number;
  /** Tokens the model read for those texts (0 for vectors found in a tier or computed for another request). */
  tokens: number;
}

/** Texts up to this long keep their key (at most 8 MiB of texts held by a cache's memo). */
const KEY_MEMO_MAX_CHARS = 512;
const KEY_MEMO_ENTRIES = 8192;

/** A count-bounded LRU tier, for a text model used without a feature extractor. */
function lruTier(maxEntries = 50_000): VectorTier {
  const lru = new LRUCache<string, Float32Array>({ max: maxEntries });
  return { get: (k) => lru.get(k), set: (k, v) => void lru.set(k, v) };
}

export class TextVectorCache {
  readonly #model: TextVectorModel;
  readonly #tier: VectorTier;
  /**
   * Keys of short texts seen lately, by kind: a warm request of 50 documents hashed ~55 texts
   * (sha1 through node:crypto, a few µs each) to find vectors it then got from L1 in less.
   * Bounded: an LRU of KEY_MEMO_ENTRIES texts of at most KEY_MEMO_MAX_CHARS each (the hot ones stay).
   */
  readonly #keys: Record<TextKind, LRUCache<string, string>> = { query: new LRUCache({ max: KEY_MEMO_ENTRIES }), passage: new LRUCache({ max: KEY_MEMO_ENTRIES }) };
  /** Vectors being computed, each with the requests waiting for it. */
  readonly #inflight = new Map<string, { p: Promise<Float32Array>; shared: SharedAbort }>();

  constructor(model: TextVectorModel, tier: VectorTier = lruTier()) {
    this.#model = model;
    this.#tier = tier;
  }

  get model(): TextVectorModel {
    return this.#model;
  }

  /**
   * The key hashes only what the model can read: the tokenizer never looks past
   * maxInputChars(maxTokens) + 1 characters (models/tokenizer.ts), so two texts equal that far get
   * the same vector, and a text longer than that is keyed by that prefix and a mark that it goes
   * on. Hashing a 2.6 MiB text whole cost the event loop ~20 ms per text, 12 of them in one
   * synchronous pass (issue 13: the largest bodies stalled health).
   */
  #key(text: string, kind: TextKind): string {
    const memo = text.length <= KEY_MEMO_MAX_CHARS ? this.#keys[kind] : undefined;
    const kept = memo?.get(text);
    if (kept !== undefined) return kept;
    const key = this.#hashKey(text, kind);
    memo?.set(text, key);
    return key;
  }

  #hashKey(text: string, kind: TextKind): string {
    const reads = this.#model.maxTokens ? maxInputChars(this.#model.maxTokens) + 1 : Infinity;
    // one-shot crypto.hash (~0.7 µs; a createHash object took ~6 µs): the UTF-8 of the joined
    // string is the UTF-8 of its pieces one after another (each joint is a NUL, never a split pair)
    const read = text.length > reads ? `${text.slice(0, reads)}\0longer` : text;
    return `text|${hash('sha1', `${this.#model.id}\0${kind}\0${read}`, 'base64url')}`;
  }

  /**
   * Vectors for these texts (duplicates embedded once, cached ones not at all), with all misses
   * sent to the model in one call so its batching queue sees them together.
   * `signal` ends this caller's wait; a text leaves the model's queue only when every request
   * waiting for it has aborted (another request asking for the same text keeps it alive).
   */
  async vectors(texts: string[], kind: TextKind, parent?: AbortSignal): Promise<TextVectorsResult> {
    parent?.throwIfAborted();
    const fan = fanOutSignal(parent); // one listener per text below
    try {
      return await this.#vectors(texts, kind, fan.signal);
    } finally {
      fan.dispose();
    }
  }

  async #vectors(texts: string[], kind: TextKind, signal: AbortSignal | undefined): Promise<TextVectorsResult> {
    const keys = texts.map((t) => this.#key(t, kind));
    const out: Array<Float32Array | Promise<Float32Array>> = new Array(texts.length);
    const missIdx = new Map<string, number>();
    const missTexts: string[] = [];
    let hits = 0;
    const hit = new Array<boolean>(texts.length).fill(false);
    const source = new Array<PartSource>(texts.length).fill('l1');
    /** Misses the shared tier answered (known before `out` settles). */
    let fromShared: boolean[] = [];
    /** Token counts of the texts this call sent to the model. */
    const counted: Promise<number>[] = [];
    keys.forEach((k, i) => {
      const found = this.#tier.find ? this.#tier.find(k) : ((v) => (v ? { vector: v, source: 'l1' as const } : undefined))(this.#tier.get(k));
      const cached = found?.vector;
      const running = cached ? undefined : this.#inflight.get(k);
      if (cached) {
        hits++;
        hit[i] = true;
        source[i] = found.source;
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
      const keep = this.#tier.keep?.bind(this.#tier);
      const compute = (idx: number[]): Promise<Float32Array>[] => {
        const vs = embed(idx);
        return keep ? vs.map((p) => p.then(keep)) : vs;
      };
      const embed = (idx: number[]): Promise<Float32Array>[] => {
        const ts = idx.map((j) => missTexts[j]!);
        const signals = idx.map((j) => shared[j]!.signal);
        if (this.#model.embedCounted) {
          const r = this.#model.embedCounted(ts, kind, signals);
          counted.push(r.tokens.catch(() => 0));
          return r.vectors;
        }
        return this.#model.embedEach ? this.#model.embedEach(ts, kind, signals) : ((all) => ts.map((_, i) => all.then((vs) => vs[i]!)))(this.#model.embed(ts, kind));
      };
      const all = missKeys.map((_, j) => j);
      const lookup = this.#tier.lookup?.bind(this.#tier);
      let each: Promise<Float32Array>[];
      if (!lookup) each = compute(all);
      else {
        // the shared tier first (one round trip), then the model for what it did not have
        const staged = lookup(missKeys)
          .catch(() => [] as Array<Float32Array | undefined>)
          .then((found) => {
            fromShared = all.map((j) => found[j] !== undefined);
            const rest = all.filter((j) => !found[j]);
            const computed = rest.length ? compute(rest) : [];
            return all.map((j) => (found[j] ? Promise.resolve(found[j]) : computed[rest.indexOf(j)]!));
          });
        each = all.map((j) => staged.then((ps) => ps[j]!));
      }
      missKeys.forEach((k, j) => {
        const entry = { p: each[j]!, shared: shared[j]! };
        this.#inflight.set(k, entry);
        const settle = () => {
          entry.shared.done();
          if (this.#inflight.get(k) === entry) this.#inflight.delete(k);
        };
        entry.p.then((v) => {
          // a vector the shared tier answered is already kept above it (its lookup filled them): no second write to Redis
          if (!fromShared[j]) this.#tier.set(k, v);
          settle();
        }, settle);
      });
      keys.forEach((k, i) => {
        if (out[i] === undefined) out[i] = each[missIdx.get(k)!]!;
      });
    }
    const vectors = await untilAborted(Promise.all(out), signal);
    // misses the shared tier answered are its hits: no forward pass was paid for them
    let computed = 0;
    const missed = new Set<number>();
    keys.forEach((k, i) => {
      const j = missIdx.get(k);
      if (j === undefined || hit[i]) return;
      if (fromShared[j]) {
        hit[i] = true;
        source[i] = 'redis';
        hits++;
      } else {
        source[i] = 'computed';
        if (!missed.has(j)) computed++;
      }
      missed.add(j);
    });
    const tokens = counted.length ? (await Promise.all(counted)).reduce((a, b) => a + b, 0) : 0;
    return { vectors, hit, source, hits, misses: computed, tokens };
  }
}

/**
 * A text embedder as a TextVectorModel that submits texts shortest first, so the batching queue's
 * batches hold texts of similar length: a batch is padded to its longest row, and one 500-token
 * abstract in a batch of captions costs them all (32 SciFact abstracts: 54 s in submission order
 * vs 6 s one by one on a loaded 2-core box). Results come back in input order.
 */
export function shortestFirst(emb: TextEmbedder): Required<TextVectorModel> {
  // each text is tokenised once (a large request yields the event loop between texts), then submitted shortest first
  const orderOf = (encs: Encoded[]) => encs.map((_, i) => i).sort((a, b) => encs[a]!.ids.length - encs[b]!.ids.length || a - b);
  return {
    id: emb.identity,
    maxTokens: emb.text.maxTokens,
    embed: async (texts, kind) => {
      const encs = await emb.encodeAll(texts, kind);
      const order = orderOf(encs);
      const vecs = await emb.embedEncoded(order.map((i) => encs[i]!), undefined, kind);
      const out = new Array<Float32Array>(texts.length);
      order.forEach((i, j) => (out[i] = vecs[j]!));
      return out;
    },
    // the same shortest-first submission, one promise (and one signal) per text
    embedEach: (texts, kind, signals) => counted(texts, kind, signals).vectors,
    embedCounted: (texts, kind, signals) => counted(texts, kind, signals),
  };
  function counted(texts: string[], kind: TextKind, signals: ReadonlyArray<AbortSignal | undefined>): { vectors: Promise<Float32Array>[]; tokens: Promise<number> } {
    const submit = (encs: Encoded[]) => {
      const ps = new Array<Promise<Float32Array>>(texts.length);
      for (const i of orderOf(encs)) ps[i] = emb.submitEncoded(encs[i]!, signals[i], kind);
      return ps;
    };
    const tokensOf = (encs: Encoded[]) => encs.reduce((s, e) => s + e.ids.length, 0);
    const encs = emb.encodeAll(texts, kind);
    if (Array.isArray(encs)) return { vectors: submit(encs), tokens: Promise.resolve(tokensOf(encs)) };
    const subs = encs.then(submit);
    return { vectors: texts.map((_, i) => subs.then((ps) => ps[i]!)), tokens: encs.then(tokensOf, () => 0) };
  }
}
