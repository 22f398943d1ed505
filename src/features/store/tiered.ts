/**
 * One lookup over every tier of the feature store, under the API the extractors already use
 * (`PartStore`, which the bare L1 FeatureCache satisfies too): L1 (in-process LRU, single flight)
 * miss → L2 disk → L3 Redis → compute. A hit in a lower tier fills the upper ones; a computed part
 * is written to every lower tier asynchronously (never delaying the answer). L1 and L2 are
 * synchronous (lmdb reads are memory-mapped), so `has`/`peek`/`get` stay synchronous; Redis is
 * asked only inside the L1 single flight, with its lock held around the computation so replicas
 * compute a new media once.
 *
 * Keys come from parts.ts and already name every model, revision and parameter, so a part made by
 * another model revision or with other parameters is never read: it is simply another key.
 * A lower tier that fails is skipped (disk-tier.ts, redis-tier.ts); a stored value that does not
 * decode is counted as an error and recomputed. The lower tiers keep a part under its key with the
 * codec's format (codec.ts `storedKey`), so another build's format is another key, never overwritten.
 * Never computes features itself.
 */
import type { FeatureCache } from '../cache/feature-cache.js';
import type { Part } from '../parts.js';
import { asFloat16 } from '../../util/vector-codec.js';
import { decodePart, encodePart, storedKey } from './codec.js';
import type { DiskTier } from './disk-tier.js';
import type { RedisTier } from './redis-tier.js';
import type { PartSource, TierHealth } from './tier.js';

export { costlierSource, type PartSource } from './tier.js';

/** What the image, video and text extractors need of a feature store. */
export interface PartStore {
  /** `source`: the tier that answered this call (`l1` also for a computation already under way here). */
  getOrCompute(key: string, compute: (signal: AbortSignal) => Promise<Part>, signal?: AbortSignal): Promise<{ value: Part; hit: boolean; source: PartSource }>;
  has(key: string): boolean;
  peek(key: string): Part | undefined;
  get(key: string): Part | undefined;
  /** As `get`, saying which tier answered (counts the lookup). */
  find(key: string): { value: Part; source: PartSource } | undefined;
  set(key: string, value: Part): void;
  /** Are all of `keys` held by some tier? Those L1 and the disk miss are asked of the shared tier (Redis) in one round trip, filling L1. */
  holdsAll(keys: string[]): Promise<boolean>;
}

export interface LowerTiers {
  disk?: DiskTier;
  redis?: RedisTier;
}

/** Redis's bytes as a part, the bytes kept for the disk tier (throws on bytes that do not decode). */
const decodeShared = (bytes: Uint8Array) => ({ part: decodePart(bytes), bytes });

export class TieredFeatures implements PartStore {
  readonly l1: FeatureCache<Part>;
  readonly #disk: DiskTier | undefined;
  readonly #redis: RedisTier | undefined;
  /** Parts that came from a lower tier (their L1 fill counts as a hit for the caller). */
  readonly #source = new WeakMap<Part, PartSource>();
  constructor(l1: FeatureCache<Part>, lower: LowerTiers = {}) {
    this.l1 = l1;
    this.#disk = lower.disk;
    this.#redis = lower.redis;
  }

  /**
   * The lower tier `part` was first read from in this process, else `l1` (computed here). A part
   * stays the same object in L1, so a later L1 hit of it still says `disk`/`redis`: the source
   * of one lookup is what `getOrCompute` and `find` return.
   */
  sourceOf(part: Part): PartSource {
    return this.#source.get(part) ?? 'l1';
  }

  has(key: string): boolean {
    return this.l1.has(key) || (this.#disk?.has(storedKey(key)) ?? false);
  }

  /** L1, then the disk tier (filling L1); counts nothing in L1. */
  peek(key: string): Part | undefined {
    return this.l1.peek(key) ?? (this.#disk?.has(storedKey(key)) ? this.#fromDisk(key) : undefined);
  }

  /** L1, then the disk tier (filling L1); counts the lookup. */
  get(key: string): Part | undefined {
    return this.l1.get(key) ?? this.#fromDisk(key);
  }

  find(key: string): { value: Part; source: PartSource } | undefined {
    const local = this.l1.get(key);
    if (local) return { value: local, source: 'l1' };
    const disk = this.#fromDisk(key);
    return disk ? { value: disk, source: 'disk' } : undefined;
  }

  set(key: string, value: Part): void {
    this.l1.set(key, value);
    this.#writeLower(key, value);
  }

  /**
   * The shared tier only (Redis), for keys L1 and the disk missed, in one round trip: text vectors
   * of a request. Found parts fill L1 and the disk tier. Never throws (a failing Redis: all undefined).
   */
  async lookupShared(keys: string[]): Promise<Array<Part | undefined>> {
    if (!this.#redis || this.#redis.state !== 'ok') return keys.map(() => undefined);
    const found = await this.#redis.getMany(keys.map(storedKey), decodeShared);
    return found.map((got, i) => this.#fromRedis(keys[i]!, got));
  }

  async holdsAll(keys: string[]): Promise<boolean> {
    const missing = keys.filter((k) => !this.has(k));
    if (!missing.length) return true;
    if (!this.#redis) return false;
    return (await this.lookupShared(missing)).every((p) => p !== undefined);
  }

  /** True when a shared tier (Redis) may answer what L1 and the disk missed. */
  get hasShared(): boolean {
    return this.#redis !== undefined;
  }

  async getOrCompute(key: string, compute: (signal: AbortSignal) => Promise<Part>, signal?: AbortSignal): Promise<{ value: Part; hit: boolean; source: PartSource }> {
    const r = await this.l1.getOrCompute(key, (s) => this.#lowerOrCompute(key, compute, s), signal);
    // not an L1 hit: this call's own flight read a lower tier (its part is marked) or computed it
    const source: PartSource = r.hit ? 'l1' : (this.#source.get(r.value) ?? 'computed');
    return { value: r.value, hit: source !== 'computed', source };
  }

  async #lowerOrCompute(key: string, compute: (signal: AbortSignal) => Promise<Part>, signal: AbortSignal): Promise<Part> {
    const local = this.#fromDisk(key);
    if (local) return local;
    const redis = this.#redis;
    if (!redis) return this.#computed(key, await compute(signal));
    const at = storedKey(key);
    const shared = this.#fromRedis(key, await redis.get(at, decodeShared));
    if (shared) return shared;
    const token = await redis.lock(at);
    if (token === undefined) {
      // another replica computes it: wait briefly for its value, then compute anyway
      const theirs = this.#fromRedis(key, await redis.waitFor(at, signal, decodeShared));
      if (theirs) return theirs;
      return this.#computed(key, await compute(signal));
    }
    try {
      return this.#computed(key, await compute(signal));
    } finally {
      redis.unlock(at, token);
    }
  }

  /**
   * `part` as the disk and Redis tiers keep it (vectors as float16, codec.ts), whether or not either
   * is configured. A replica answers from what it computed, another from what the first stored: the
   * same request scored 0.465084 on one replica and 0.465046 on the other (and a replica itself
   * after a restart, reading its disk) — held-out probe round 9. A process with no lower tier (disk
   * off, the library's `process()`) and a search scored from the index's float16 records differed
   * likewise (0.59635 vs 0.596313, up to 5.7e-4) — round 10a. Kept as stored, a score is a function
   * of the pair alone, not of the store. Not storable: `part` itself (kept in L1 only).
   */
  kept(part: Part): Part {
    // a text vector (a new query's, between its model run and its request's scores) is rounded
    // directly, without its bytes: the write that follows encodes it on the disk tier's own later
    // turn, and encoding the rounded vector gives the bytes the vector itself would (float16
    // rounding is idempotent). Encoding it here to hand out the decoded bytes cost ~50–170 µs.
    if (part.kind === 'text') return { kind: 'text', value: asFloat16(part.value) };
    try {
      return decodePart(encodePart(part));
    } catch {
      return part;
    }
  }

  #computed(key: string, value: Part): Part {
    let bytes: Uint8Array;
    let kept: Part;
    try {
      bytes = encodePart(value);
      kept = decodePart(bytes);
    } catch {
      return value; // not storable: kept in L1 only
    }
    if (this.#redis?.state === 'ok') this.#redis.set(storedKey(key), bytes);
    this.#disk?.set(storedKey(key), bytes);
    return kept;
  }

  /** The disk tier's part (decoded there: a value that does not decode is its lookup's error, never a hit); fills L1. */
  #fromDisk(key: string): Part | undefined {
    const part = this.#disk?.get(storedKey(key), decodePart);
    if (part) this.#filled(key, part, 'disk');
    return part;
  }

  /** A part Redis answered (decoded there: a value that does not decode is its lookup's error, never a hit); fills the disk tier and L1. */
  #fromRedis(key: string, got: { part: Part; bytes: Uint8Array } | undefined): Part | undefined {
    if (!got) return undefined;
    this.#filled(key, got.part, 'redis');
    this.#disk?.set(storedKey(key), got.bytes);
    return got.part;
  }

  #filled(key: string, part: Part, tier: 'disk' | 'redis'): void {
    this.#source.set(part, tier);
    this.l1.set(key, part);
  }

  #writeLower(key: string, value: Part): void {
    const redis = this.#redis?.state === 'ok' ? this.#redis : undefined;
    if (!this.#disk?.usable && !redis) return;
    const encode = () => {
      try {
        return encodePart(value);
      } catch {
        return undefined; // not storable: kept in L1 only
      }
    };
    // Redis gets the bytes at once; without it the disk tier encodes on its write's own later turn
    // (a query's vector just computed is set here before its request resumes, and its float16
    // encoding need not come first)
    const bytes = redis ? encode() : undefined;
    if (redis && bytes) redis.set(storedKey(key), bytes);
    this.#disk?.set(storedKey(key), bytes ?? encode);
  }

  /** The `feature_store` section of /_vlrerank/health. */
  health(): Record<string, TierHealth | Record<string, unknown>> {
    const s = this.l1.stats();
    return {
      l1: { state: 'ok', entries: s.entries, bytes: s.bytes, maxBytes: s.maxBytes, hits: s.hits, misses: s.misses, shared: s.shared, evictions: s.evictions },
      disk: this.#disk ? { path: this.#disk.path, ...this.#disk.health() } : { state: 'off' },
      redis: this.#redis ? this.#redis.health() : { state: 'off' },
    };
  }
}
