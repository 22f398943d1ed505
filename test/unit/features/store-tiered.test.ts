// One lookup over the tiers (real lmdb, real redis-server): two replicas asked for the same new
// media at once compute it once (Redis lock); a Redis hit fills the disk tier and L1; a value in a
// tier that does not decode is counted and recomputed, never an error to the caller.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FeatureCache } from '../../../src/features/cache/feature-cache.js';
import { sizeOfPart, type Part } from '../../../src/features/parts.js';
import { DiskTier } from '../../../src/features/store/disk-tier.js';
import { RedisTier } from '../../../src/features/store/redis-tier.js';
import { TieredFeatures, type LowerTiers } from '../../../src/features/store/tiered.js';
import type { TierHooks } from '../../../src/features/store/tier.js';
import { startRedis, tempStoreDir, type RedisServer } from '../../helpers/store.js';

let server: RedisServer;
const closers: Array<() => unknown> = [];
beforeAll(async () => {
  server = await startRedis();
});
afterAll(async () => {
  for (const c of closers.reverse()) await c();
  await server?.stop();
});

async function redisTier(hooks?: TierHooks): Promise<RedisTier> {
  const t = new RedisTier({ url: server.url, ttlSeconds: 60, maxValueBytes: 1 << 20, lockMs: 5_000, commandTimeoutMs: 5_000, keyPrefix: 'tiered-test:', hooks });
  closers.push(() => t.close());
  for (let i = 0; i < 1500 && t.state !== 'ok'; i++) await new Promise((r) => setTimeout(r, 20));
  return t;
}
async function diskTier(): Promise<DiskTier> {
  const d = tempStoreDir('tiered');
  const t = await DiskTier.open({ path: d.path, maxBytes: 16 << 20 });
  closers.push(d.cleanup, () => t.close());
  return t;
}
function replica(lower: LowerTiers): TieredFeatures {
  return new TieredFeatures(new FeatureCache<Part>({ maxBytes: 1 << 20, sizeOf: sizeOfPart }), lower);
}
const vec = (x: number): Part => ({ kind: 'text', value: new Float32Array([x, 1 - x, 0.25]) });
const slowly = (counter: { n: number }, part: Part) => async () => {
  counter.n++;
  await new Promise((r) => setTimeout(r, 300));
  return part;
};

describe('tiered feature lookup', () => {
  it('two replicas asked for the same new media at once compute it once', async () => {
    const a = replica({ redis: await redisTier() });
    const b = replica({ redis: await redisTier() });
    const computed = { n: 0 };
    const [ra, rb] = await Promise.all([a.getOrCompute('photo-1', slowly(computed, vec(0.5))), b.getOrCompute('photo-1', slowly(computed, vec(0.5)))]);
    expect(computed.n).toBe(1);
    expect(Array.from((rb.value as Extract<Part, { kind: 'text' }>).value)).toEqual(Array.from((ra.value as Extract<Part, { kind: 'text' }>).value));
    expect([ra.hit, rb.hit].sort()).toEqual([false, true]); // the waiter's value came from Redis
    expect([ra.source, rb.source].sort()).toEqual(['computed', 'redis']);
  });

  it('a Redis hit fills the disk tier and L1; the next lookup is a local one', async () => {
    const redis = await redisTier();
    const a = replica({ redis });
    await a.getOrCompute('photo-2', async () => vec(0.125));
    const c = server.client();
    for (let i = 0; i < 1500 && !(await c.exists('tiered-test:f:photo-2')); i++) await new Promise((r) => setTimeout(r, 20));
    const disk = await diskTier();
    const b = replica({ disk, redis: await redisTier() });
    const r = await b.getOrCompute('photo-2', async () => {
      throw new Error('must not compute');
    });
    expect(r.hit).toBe(true);
    expect(b.sourceOf(r.value)).toBe('redis');
    expect(r.source).toBe('redis');
    // the same part asked again is an L1 hit of this lookup (not `redis` forever)
    expect((await b.getOrCompute('photo-2', async () => vec(0))).source).toBe('l1');
    await disk.flushed();
    expect(disk.has('photo-2')).toBe(true);
    expect(b.l1.has('photo-2')).toBe(true);
    // a restart on that folder (an empty L1): the disk tier answers, and says so
    const restarted = replica({ disk });
    expect(restarted.find('photo-2')?.source).toBe('disk');
    expect(restarted.find('photo-2')?.source).toBe('l1');
  });

  it('a stored value that does not decode is counted and recomputed', async () => {
    const c = server.client();
    await c.set('tiered-test:f:photo-3', 'not a feature part');
    const redis = await redisTier();
    const a = replica({ redis });
    const computed = { n: 0 };
    const r = await a.getOrCompute('photo-3', slowly(computed, vec(0.75)));
    expect(computed.n).toBe(1);
    expect(r.hit).toBe(false);
    expect(redis.health().errors).toBe(1);
  });

  // a value counted as a hit and an error: health's hits and vlrerank_feature_lookups_total{tier="redis",outcome="hit"}
  // said Redis answered what was recomputed (tier24: the disk tier's fix of round 24c, on Redis's three read paths)
  it('a value that does not decode is its lookup’s error only, never a hit: GET, MGET, and a wait on another replica’s lock', async () => {
    const c = server.client();
    const bad = 'not a feature part';
    for (const k of ['bad-get', 'bad-many-1', 'bad-many-2']) await c.set(`tiered-test:f:${k}`, bad);
    const lookups: string[] = [];
    let errors = 0;
    const redis = await redisTier({ onLookup: (tier, outcome) => lookups.push(`${tier}:${outcome}`), onError: () => errors++ });
    const a = replica({ redis });

    const got = await a.getOrCompute('bad-get', async () => vec(0.1)); // GET
    expect(got.source).toBe('computed');
    expect(lookups.splice(0)).toEqual(['redis:error']);

    expect(await a.holdsAll(['bad-many-1', 'bad-many-2'])).toBe(false); // MGET
    expect(lookups.splice(0)).toEqual(['redis:error', 'redis:error']);

    // another replica holds the lock and writes a value that does not decode: the waiter computes
    const other = await redisTier();
    const token = await other.lock('bad-wait');
    expect(token).toBeDefined();
    const waited = a.getOrCompute('bad-wait', async () => vec(0.2));
    for (let i = 0; i < 1500 && !lookups.length; i++) await new Promise((r) => setTimeout(r, 5)); // its GET missed: it waits now
    await c.set('tiered-test:f:bad-wait', bad);
    expect((await waited).source).toBe('computed');
    other.unlock('bad-wait', token!);
    expect(lookups.splice(0)).toEqual(['redis:miss', 'redis:error']);

    expect(redis.health()).toMatchObject({ hits: 0, misses: 1, errors: 4 });
    expect(errors).toBe(4);
  });
});
