// The feature cache stays under its byte bound whatever arrives, counts its events, shares one
// computation between concurrent callers of a key, and builds keys from every part that matters.
import { describe, expect, it } from 'vitest';
import { FeatureCache, featureKey, ENTRY_OVERHEAD_BYTES, type CacheEvent } from '../../src/features/cache/feature-cache.js';
import { createMetrics } from '../../src/observability/metrics.js';

interface Feat { embedding: Float32Array; logits: Float32Array }
const sizeOf = (f: Feat) => f.embedding.byteLength + f.logits.byteLength;
const feat = (seed: number): Feat => ({ embedding: new Float32Array(1280).fill(seed), logits: new Float32Array(1000).fill(seed) });

describe('FeatureCache byte bound', () => {
  it('never holds more than maxBytes under a flood of distinct entries, and counts evictions', () => {
    const events: CacheEvent[] = [];
    const cache = new FeatureCache<Feat>({ maxBytes: 1_000_000, sizeOf, onEvent: (e) => events.push(e) });
    const per = 9120 + ENTRY_OVERHEAD_BYTES;
    for (let i = 0; i < 2000; i++) {
      cache.set(`image|sha256:${i.toString(16).padStart(64, '0')}|m|{}`, feat(i));
      expect(cache.stats().bytes).toBeLessThanOrEqual(1_000_000);
    }
    const s = cache.stats();
    expect(s.entries).toBeGreaterThan(90); // ~1 MB / ~9.5 KB
    expect(s.entries).toBeLessThanOrEqual(Math.floor(1_000_000 / per));
    expect(s.evictions).toBe(2000 - s.entries);
    expect(events.filter((e) => e === 'eviction')).toHaveLength(s.evictions);
    // least recently used went first: the last ones are still there, the first ones are gone
    expect(cache.has(`image|sha256:${(1999).toString(16).padStart(64, '0')}|m|{}`)).toBe(true);
    expect(cache.has(`image|sha256:${(0).toString(16).padStart(64, '0')}|m|{}`)).toBe(false);
  });

  it('does not keep an entry larger than the whole cache', () => {
    const cache = new FeatureCache<Feat>({ maxBytes: 5000, sizeOf });
    cache.set('big', feat(1));
    expect(cache.stats()).toMatchObject({ entries: 0, bytes: 0 });
  });

  it('counts hits and misses, reports a hit ratio, and feeds the Prometheus counter', async () => {
    const metrics = createMetrics({ defaults: false });
    const cache = new FeatureCache<Feat>({ maxBytes: 1 << 20, sizeOf, onEvent: (e) => metrics.cacheEvents.inc({ event: e }) });
    await cache.getOrCompute('a', async () => feat(1)); // miss
    await cache.getOrCompute('a', async () => feat(2)); // hit
    await cache.getOrCompute('a', async () => feat(3)); // hit
    expect(cache.get('b')).toBeUndefined(); // miss
    const s = cache.stats();
    expect(s).toMatchObject({ hits: 2, misses: 2, entries: 1 });
    expect(s.hitRatio).toBeCloseTo(0.5, 6);
    const text = await metrics.registry.metrics();
    expect(text).toMatch(/vlrerank_feature_cache_events_total\{event="hit"\} 2/);
    expect(text).toMatch(/vlrerank_feature_cache_events_total\{event="miss"\} 2/);
  });
});

describe('FeatureCache single flight', () => {
  it('runs one computation for N concurrent callers of one key', async () => {
    const cache = new FeatureCache<Feat>({ maxBytes: 1 << 20, sizeOf });
    let runs = 0;
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const compute = async () => {
      runs++;
      await gate;
      return feat(7);
    };
    const callers = Array.from({ length: 25 }, () => cache.getOrCompute('k', compute));
    expect(cache.stats().inflight).toBe(1);
    release();
    const results = await Promise.all(callers);
    expect(runs).toBe(1);
    expect(new Set(results.map((r) => r.value)).size).toBe(1); // the very same object
    expect(results.filter((r) => !r.hit)).toHaveLength(1);
    expect(cache.stats()).toMatchObject({ misses: 1, shared: 24, inflight: 0 });
  });

  it('gives every waiting caller the error, caches nothing, and computes again next time', async () => {
    const cache = new FeatureCache<Feat>({ maxBytes: 1 << 20, sizeOf });
    let runs = 0;
    const failing = async () => {
      runs++;
      await new Promise((r) => setTimeout(r, 10));
      throw new Error('decoder exploded');
    };
    const all = await Promise.allSettled(Array.from({ length: 5 }, () => cache.getOrCompute('k', failing)));
    expect(all.every((r) => r.status === 'rejected' && (r.reason as Error).message === 'decoder exploded')).toBe(true);
    expect(runs).toBe(1);
    expect(cache.has('k')).toBe(false);
    const ok = await cache.getOrCompute('k', async () => feat(1));
    expect(ok.hit).toBe(false);
  });

  it('computes different keys independently', async () => {
    const cache = new FeatureCache<Feat>({ maxBytes: 1 << 20, sizeOf });
    let runs = 0;
    await Promise.all(['a', 'b', 'c', 'a', 'b'].map((k) => cache.getOrCompute(k, async () => (runs++, feat(1)))));
    expect(runs).toBe(3);
  });
});

describe('featureKey', () => {
  const base = { media: { contentHash: 'ab'.repeat(32) }, kind: 'video', models: ['efficientnet-lite2-imagenet@0.1.0'], params: { fps: 1, maxFrames: 32, shortestSide: 448 } };
  it('is stable under key order and changes with every part', () => {
    const k = featureKey(base);
    expect(featureKey({ ...base, params: { shortestSide: 448, maxFrames: 32, fps: 1 } })).toBe(k);
    const variants = [
      { ...base, media: { contentHash: 'cd'.repeat(32) } },
      { ...base, kind: 'image' },
      { ...base, models: ['efficientnet-lite2-imagenet@0.2.0'] },
      { ...base, models: [...base.models, 'nanodet-g-coco@3.0.4'] },
      { ...base, params: { ...base.params, fps: 2 } },
      { ...base, params: { ...base.params, maxFrames: 8 } },
      { ...base, params: { ...base.params, shortestSide: 224 } },
    ];
    const keys = new Set([k, ...variants.map(featureKey)]);
    expect(keys.size).toBe(variants.length + 1);
  });
  it('keys URLs by their validator and refuses a URL without one', () => {
    const a = featureKey({ ...base, media: { url: 'https://cdn.test/a.mp4', etag: '"1"' } });
    const b = featureKey({ ...base, media: { url: 'https://cdn.test/a.mp4', etag: '"2"' } });
    expect(a).not.toBe(b);
    expect(() => featureKey({ ...base, media: { url: 'https://cdn.test/a.mp4' } })).toThrow();
  });
});
