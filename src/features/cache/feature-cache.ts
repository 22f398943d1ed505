/**
 * The feature cache: an in-memory LRU (lru-cache) bounded in **bytes**, not entries, so a flood of
 * distinct images can never grow memory past `maxBytes`. Keys name everything that changes the
 * vector: the media (content hash, or URL + ETag/Last-Modified), the model id and revision, and
 * every preprocessing parameter (size, fps, max_frames …) — see `featureKey`.
 *
 * Concurrent requests for one key share one computation (single flight); a failed computation is
 * not cached and every waiting caller gets its error. A caller's AbortSignal ends its own wait at
 * once; the computation's signal aborts only when every caller waiting for it has aborted
 * (util/abort.ts), so one request's budget never cancels what another still waits for.
 * Hit / miss / shared / eviction counters feed
 * the metrics hook (`vlrerank_feature_cache_events_total{event}`) and `stats()` for the UI.
 * Never knows what it stores beyond its size.
 */
import { LRUCache } from 'lru-cache';
import { vlrError } from '../../errors.js';
import { SharedAbort, untilAborted } from '../../util/abort.js';

export type CacheEvent = 'hit' | 'miss' | 'shared' | 'eviction';

export interface FeatureCacheOptions<V> {
  /** Upper bound of the summed `sizeOf` of all entries. */
  maxBytes: number;
  /** Approximate bytes held by one value (typed arrays' byteLength + overhead). */
  sizeOf: (value: V) => number;
  /** Metrics hook, e.g. `(e) => metrics.cacheEvents.inc({ event: e })`. */
  onEvent?: (event: CacheEvent) => void;
  /** Optional time to live in ms (0 = none): remote media may change behind a stable URL. */
  ttlMs?: number;
}

export interface CacheStats {
  entries: number;
  bytes: number;
  maxBytes: number;
  hits: number;
  misses: number;
  /** Callers that joined a computation already under way (counted apart from hits and misses). */
  shared: number;
  evictions: number;
  /** hits / (hits + misses), 0 when nothing was asked yet. */
  hitRatio: number;
  /** Computations under way now. */
  inflight: number;
}

/** Fixed per-entry overhead added to every size (key string, map node, object headers). */
export const ENTRY_OVERHEAD_BYTES = 256;

export class FeatureCache<V extends object> {
  readonly maxBytes: number;
  readonly #lru: LRUCache<string, V>;
  readonly #inflight = new Map<string, { p: Promise<V>; shared: SharedAbort }>();
  readonly #onEvent?: (event: CacheEvent) => void;
  #hits = 0;
  #misses = 0;
  #shared = 0;
  #evictions = 0;

  constructor(options: FeatureCacheOptions<V>) {
    if (!(options.maxBytes > 0)) throw vlrError('VLR_CONFIG_INVALID', 'cache.maxBytes must be a positive integer');
    this.maxBytes = options.maxBytes;
    this.#onEvent = options.onEvent;
    this.#lru = new LRUCache<string, V>({
      maxSize: options.maxBytes,
      // lru-cache wants a positive integer; an entry larger than maxSize is simply not kept.
      sizeCalculation: (v, k) => Math.max(1, Math.ceil(options.sizeOf(v) + k.length * 2 + ENTRY_OVERHEAD_BYTES)),
      ttl: options.ttlMs || undefined,
      dispose: (_v, _k, reason) => {
        if (reason === 'evict') {
          this.#evictions++;
          this.#onEvent?.('eviction');
        }
      },
    });
  }

  /** Look up without computing; counts a hit or a miss. */
  get(key: string): V | undefined {
    const v = this.#lru.get(key);
    this.#count(v ? 'hit' : 'miss');
    return v;
  }

  /** Look up without counting (to test for a better entry before the real lookup). */
  peek(key: string): V | undefined {
    return this.#lru.get(key, { updateAgeOnGet: false });
  }

  has(key: string): boolean {
    return this.#lru.has(key);
  }

  set(key: string, value: V): void {
    this.#lru.set(key, value);
  }

  delete(key: string): void {
    this.#lru.delete(key);
  }

  /**
   * The cached value, or the result of `compute()`, computed once however many callers ask at
   * the same time. `hit` is true for cached values and for callers that joined a computation.
   * `signal` ends this caller's wait; `compute` gets a signal that aborts when no caller waits.
   */
  async getOrCompute(key: string, compute: (signal: AbortSignal) => Promise<V>, signal?: AbortSignal): Promise<{ value: V; hit: boolean }> {
    const cached = this.#lru.get(key);
    if (cached) {
      this.#count('hit');
      return { value: cached, hit: true };
    }
    signal?.throwIfAborted();
    const running = this.#inflight.get(key);
    // a computation every earlier caller gave up on is being cancelled: start a fresh one
    if (running && running.shared.join(signal)) {
      this.#count('shared');
      return { value: await untilAborted(running.p, signal), hit: true };
    }
    this.#count('miss');
    const shared = new SharedAbort();
    shared.join(signal);
    const entry = { p: (async () => compute(shared.signal))(), shared };
    this.#inflight.set(key, entry);
    // settled before any waiter resumes (registered first): waiters see the value cached, nothing in flight
    const settle = () => {
      shared.done();
      if (this.#inflight.get(key) === entry) this.#inflight.delete(key);
    };
    entry.p.then(
      (value) => {
        this.#lru.set(key, value);
        settle();
      },
      settle,
    );
    return { value: await untilAborted(entry.p, signal), hit: false };
  }

  clear(): void {
    this.#lru.clear();
  }

  stats(): CacheStats {
    const asked = this.#hits + this.#misses;
    return {
      entries: this.#lru.size,
      bytes: this.#lru.calculatedSize,
      maxBytes: this.maxBytes,
      hits: this.#hits,
      misses: this.#misses,
      shared: this.#shared,
      evictions: this.#evictions,
      hitRatio: asked ? this.#hits / asked : 0,
      inflight: this.#inflight.size,
    };
  }

  #count(e: 'hit' | 'miss' | 'shared'): void {
    if (e === 'hit') this.#hits++;
    else if (e === 'miss') this.#misses++;
    else this.#shared++;
    this.#onEvent?.(e);
  }
}

/** What identifies the media in a key: its content hash, or a URL with its validator. */
export type MediaIdentity = { contentHash: string } | { url: string; etag?: string; lastModified?: string };

export interface FeatureKeyParts {
  media: MediaIdentity;
  /** What is computed, e.g. `image`, `video`, `ocr`. */
  kind: string;
  /** Every model that contributes, with its revision: `efficientnet-lite2-imagenet@0.1.0`. */
  models: readonly string[];
  /** Every parameter that changes the result (preprocessing, fps, max_frames, thresholds …). */
  params?: Record<string, unknown>;
}

/**
 * A stable key: the same parts always give the same string (object keys sorted), any changed
 * part gives another. A URL without ETag or Last-Modified cannot identify content, so it is refused.
 */
export function featureKey(parts: FeatureKeyParts): string {
  return featureKeyOf(parts)(parts.media);
}

/**
 * `featureKey` with the kind, models and parameters fixed: they are serialised once, and each call
 * adds only the media. A warm request asks the key of every part of every document; serialising
 * the same preprocessing settings each time was 7 % of a warm 50-document request (profiled).
 */
export function featureKeyOf(parts: Omit<FeatureKeyParts, 'media'>): (media: MediaIdentity) => string {
  const tail = `${[...parts.models].sort().join('+')}|${stableStringify(parts.params ?? {})}`;
  return (m) => {
    let media: string;
    if ('contentHash' in m) media = `sha256:${m.contentHash}`;
    else {
      const { url, etag, lastModified } = m;
      if (!etag && !lastModified) throw vlrError('VLR_INTERNAL', 'a URL identifies cached features only with an ETag or Last-Modified');
      media = `url:${url}#${etag ? `etag=${etag}` : `lm=${lastModified}`}`;
    }
    return `${parts.kind}|${media}|${tail}`;
  };
}

export function stableStringify(v: unknown): string {
  if (v === null || typeof v !== 'object') return JSON.stringify(v) ?? 'undefined';
  if (Array.isArray(v)) return `[${v.map(stableStringify).join(',')}]`;
  const o = v as Record<string, unknown>;
  return `{${Object.keys(o)
    .filter((k) => o[k] !== undefined)
    .sort()
    .map((k) => `${JSON.stringify(k)}:${stableStringify(o[k])}`)
    .join(',')}}`;
}
