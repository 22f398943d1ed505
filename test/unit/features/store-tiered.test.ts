// One lookup over the tiers (real lmdb, real redis-server): two replicas asked for the same new
// media at once compute it once (Redis lock); a Redis hit fills the disk tier and L1; a value in a
// tier that does not decode is counted and recomputed, never an error to the caller.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FeatureCache } from '../../../src/features/cache/feature-cache.js';
import { sizeOfPart, type Part } from '../../../src/features/parts.js';
import { encodePart, storedKey } from '../../../src/features/store/codec.js';
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
    for (let i = 0; i < 1500 && !(await c.exists(`tiered-test:f:${storedKey('photo-2')}`)); i++) await new Promise((r) => setTimeout(r, 20));
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
    expect(disk.has(storedKey('photo-2'))).toBe(true);
    expect(b.l1.has('photo-2')).toBe(true);
    // a restart on that folder (an empty L1): the disk tier answers, and says so
    const restarted = replica({ disk });
    expect(restarted.find('photo-2')?.source).toBe('disk');
    expect(restarted.find('photo-2')?.source).toBe('l1');
  });

  it('a stored value that does not decode is counted and recomputed', async () => {
    const c = server.client();
    await c.set(`tiered-test:f:${storedKey('photo-3')}`, 'not a feature part');
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
    for (const k of ['bad-get', 'bad-many-1', 'bad-many-2']) await c.set(`tiered-test:f:${storedKey(k)}`, bad);
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
    const token = await other.lock(storedKey('bad-wait'));
    expect(token).toBeDefined();
    const waited = a.getOrCompute('bad-wait', async () => vec(0.2));
    for (let i = 0; i < 1500 && !lookups.length; i++) await new Promise((r) => setTimeout(r, 5)); // its GET missed: it waits now
    await c.set(`tiered-test:f:${storedKey('bad-wait')}`, bad);
    expect((await waited).source).toBe('computed');
    other.unlock(storedKey('bad-wait'), token!);
    expect(lookups.splice(0)).toEqual(['redis:miss', 'redis:error']);

    expect(redis.health()).toMatchObject({ hits: 0, misses: 1, errors: 4 });
    expect(errors).toBe(4);
  });
});

// Held-out probe round 26a (a rolling upgrade): a build of codec format 2 (CRC-32, probe round 24c)
// beside an older build of format 1 on one L2 folder and one Redis. Under one key each refused the
// other's bytes as unreadable, computed the part again and overwrote them, so a replica of the new
// build started after the old one had searched ran the models again for everything the old had
// touched (8 query vectors: 8 runs, 8 disk and 8 Redis errors), and the old likewise after the new.
// Each format now has its own key (codec.ts `storedKey`). The old build's writes are its format-1
// bytes (no checksum) put where it put them: the part's key.
describe('two codec formats on one folder and one Redis (a rolling upgrade)', () => {
  /** A part as a format-1 build (before round 24c) wrote it: "VLF\x01", header length, header, vectors — no CRC. */
  const formatOneBytes = (part: Part) => {
    const two = Buffer.from(encodePart(part));
    return Buffer.concat([Buffer.from([0x56, 0x4c, 0x46, 0x01]), two.subarray(4, 8), two.subarray(12)]);
  };

  it("a new-format replica keeps its parts beside an old-format build's: neither overwrites the other, nothing is computed twice", async () => {
    const disk = await diskTier();
    const redis = await redisTier();
    const c = server.client();
    const keys = ['text|query-1', 'text|query-2', 'text|query-3'];
    const runs = { n: 0 };
    const compute = (i: number) => async () => (runs.n++, vec(0.1 + i));

    // the new build computes its parts and keeps them in L2 and Redis
    const a = replica({ disk, redis });
    for (const [i, k] of keys.entries()) await a.getOrCompute(k, compute(i));
    expect(runs.n).toBe(3);
    await disk.flushed();
    for (let i = 0; i < 1500 && redis.health().writes < 3; i++) await new Promise((r) => setTimeout(r, 20));

    // the old build, refusing format-2 bytes, computed the same parts and wrote its format 1 at the part's key
    for (const [i, k] of keys.entries()) {
      disk.set(k, formatOneBytes(vec(0.1 + i)));
      await c.set(`tiered-test:f:${k}`, formatOneBytes(vec(0.1 + i)));
    }
    await disk.flushed();

    // a replica of the new build started then (an empty L1, the same folder): its own parts from disk;
    // one with Redis alone (another host): from Redis — no model run, no unreadable value
    const b = replica({ disk, redis });
    for (const [i, k] of keys.entries()) expect((await b.getOrCompute(k, compute(i))).source).toBe('disk');
    const elsewhere = replica({ redis });
    for (const [i, k] of keys.entries()) expect((await elsewhere.getOrCompute(k, compute(i))).source).toBe('redis');
    expect(runs.n).toBe(3);
    expect(disk.health().errors).toBe(0);
    expect(redis.health().errors).toBe(0);

    // the old build's bytes are where it left them: the new build's reads and fills never overwrite them
    await disk.flushed();
    for (const [i, k] of keys.entries()) {
      expect(Buffer.from(disk.get(k)!).equals(formatOneBytes(vec(0.1 + i)))).toBe(true);
      expect((await c.getBuffer(`tiered-test:f:${k}`))!.equals(formatOneBytes(vec(0.1 + i)))).toBe(true);
    }
  });
});
