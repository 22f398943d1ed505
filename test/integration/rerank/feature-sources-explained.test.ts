/**
 * Explanations and usage name the feature-store tier each feature came from, through real
 * servers over one real disk folder (lmdb) and one real redis-server: A computes a photo and texts
 * (`computed`); B, restarted on A's folder, says `disk` for the photo and the texts, and `l1` when
 * asked again (a part read from disk once is an L1 hit afterwards, not `disk` forever); C, sharing
 * only Redis, says `redis` and counts the texts it read there as cache hits, not misses, with no
 * model run for them.
 */
import { afterAll, describe, expect, it } from 'vitest';
import type { RunningServer } from '../../../src/server/start.js';
import { counterSum } from '../../helpers/metrics.js';
import { startColdServer } from '../../helpers/rerank-server.js';
import { startRedis, tempStoreDir } from '../../helpers/store.js';

const PHOTO = 'skimage-clip-smoke/images/coffee.png';
const DOCS = [{ text: 'A cup of coffee on a saucer, seen from above.', image: PHOTO }, { text: 'A plate of pasta with tomato sauce.' }];
const QUERY = { text: 'a cup of coffee' };

const cleanups: Array<() => unknown> = [];
afterAll(async () => {
  for (const c of cleanups.reverse()) await c();
});

interface Out {
  results: Array<{ index: number; explanation: { features: Record<string, string>; cache: { hits: number; misses: number } } }>;
  usage: { cache_hits: number; cache_misses: number; feature_sources: Record<string, number>; model_calls: Record<string, number> };
}

async function rerank(srv: RunningServer): Promise<Out> {
  const res = await fetch(`${srv.url}/_vlrerank/rerank`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query: QUERY, documents: DOCS, explain: true }) });
  const json = (await res.json()) as Out;
  expect(res.status, JSON.stringify(json)).toBe(200);
  return json;
}
const features = (o: Out, index: number) => o.results.find((r) => r.index === index)!.explanation.features;

const runsOf = (srv: RunningServer, model: string) => counterSum(srv.url, 'vlrerank_model_runs_total', { model });

const server = (flags: Record<string, unknown>) => startColdServer(cleanups, flags);

describe('explanations name the tier features came from', () => {
  it('computed on A; disk on B (A restarted on its folder), then l1; redis on C, counted as hits', async () => {
    const dir = tempStoreDir('sources');
    cleanups.push(dir.cleanup);
    const redis = await startRedis();
    cleanups.push(() => redis.stop());
    const redisFlags = { 'store.redis.url': redis.url, 'store.redis.commandTimeoutMs': 500, 'store.redis.keyPrefix': 'scale2-sources:' };

    const a = await server({ 'store.disk.path': dir.path, ...redisFlags });
    const first = await rerank(a);
    expect(features(first, 0)).toEqual({ text: 'computed', image: 'computed' });
    expect(features(first, 1)).toEqual({ text: 'computed' });
    expect(first.usage.cache_misses).toBeGreaterThan(0);
    // A's writes to Redis and to the disk are asynchronous: wait until Redis holds them, then stop A
    const c0 = redis.client();
    const stored = async () => (await c0.keys('scale2-sources:f:*')).length;
    for (let i = 0; i < 1200 && (await stored()) < 6; i++) await new Promise((r) => setTimeout(r, 25));
    await a.close();

    const b = await server({ 'store.disk.path': dir.path });
    const fromDisk = await rerank(b);
    expect(features(fromDisk, 0)).toEqual({ text: 'disk', image: 'disk' });
    expect(features(fromDisk, 1)).toEqual({ text: 'disk' });
    expect(fromDisk.usage.cache_misses).toBe(0);
    expect(fromDisk.usage.feature_sources).toEqual({ disk: 3 });
    expect(await runsOf(b, 'efficientnet-lite2-imagenet')).toBe(0);
    const again = await rerank(b);
    expect(features(again, 0)).toEqual({ text: 'l1', image: 'l1' });
    expect(features(again, 1)).toEqual({ text: 'l1' });

    const c = await server(redisFlags);
    for (let i = 0; i < 600 && (await fetch(`${c.url}/_vlrerank/health`).then((r) => r.json() as Promise<any>)).feature_store.redis.state !== 'ok'; i++) await new Promise((r) => setTimeout(r, 50));
    const fromRedis = await rerank(c);
    expect(features(fromRedis, 0)).toEqual({ text: 'redis', image: 'redis' });
    expect(features(fromRedis, 1)).toEqual({ text: 'redis' });
    // texts read from Redis are hits of that tier, not misses: no text model run for them
    expect(fromRedis.usage.cache_misses).toBe(0);
    expect(fromRedis.results.every((r) => r.explanation.cache.misses === 0)).toBe(true);
    expect(fromRedis.usage.model_calls).toEqual({});
    expect(await runsOf(c, 'bge-small-en-v1.5')).toBe(0);
    expect(await runsOf(c, 'efficientnet-lite2-imagenet')).toBe(0);
    expect(await counterSum(c.url, 'vlrerank_feature_lookups_total', { tier: 'redis', outcome: 'hit' })).toBeGreaterThanOrEqual(4);
  });
});
