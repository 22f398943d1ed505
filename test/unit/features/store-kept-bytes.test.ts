// A text vector just computed is float16-encoded once (stop 27): kept() hands out the vector as the
// tiers keep it (what the request scores with: rounded to float16 directly since perf14a, no
// bytes made), and the set() that follows encodes it once for the disk tier and Redis — before
// stop 27 it was encoded twice. The bytes each tier holds decode to the vector scored with, bit for bit. Real lmdb, real redis-server;
// the codec's encoder is counted (wrapped, not replaced). As the extractor's text tier does it:
// kept(part), then set(key, a new part around the kept vector).
import { afterAll, beforeAll, expect, it, vi } from 'vitest';
import * as codec from '../../../src/features/store/codec.js';
import { FeatureCache } from '../../../src/features/cache/feature-cache.js';
import { sizeOfPart, type Part } from '../../../src/features/parts.js';
import { DiskTier } from '../../../src/features/store/disk-tier.js';
import { RedisTier } from '../../../src/features/store/redis-tier.js';
import { TieredFeatures } from '../../../src/features/store/tiered.js';
import { startRedis, tempStoreDir, type RedisServer } from '../../helpers/store.js';
import { until as poll } from '../../helpers/until.js';

const until = (cond: () => boolean | Promise<boolean>) => poll(cond, { tries: 400, everyMs: 25 });

const encodes = vi.hoisted(() => ({ n: 0 }));
vi.mock('../../../src/features/store/codec.js', async (original) => {
  const real = await original<typeof import('../../../src/features/store/codec.js')>();
  return { ...real, encodePart: (p: Part) => (encodes.n++, real.encodePart(p)) };
});

let server: RedisServer;
const closers: Array<() => unknown> = [];
beforeAll(async () => {
  server = await startRedis();
});
afterAll(async () => {
  for (const c of closers.reverse()) await c();
  await server?.stop();
});

it('one encode per new text vector; disk and Redis hold the bytes of the vector scored with', async () => {
  const dir = tempStoreDir('kept-bytes');
  const disk = await DiskTier.open({ path: dir.path, maxBytes: 16 << 20 });
  const redis = new RedisTier({ url: server.url, ttlSeconds: 60, maxValueBytes: 1 << 20, lockMs: 5_000, commandTimeoutMs: 500, keyPrefix: 'kept-bytes:' });
  closers.push(dir.cleanup, () => disk.close(), () => redis.close());
  await until(() => redis.state === 'ok');
  const store = new TieredFeatures(new FeatureCache<Part>({ maxBytes: 1 << 20, sizeOf: sizeOfPart }), { disk, redis });
  const computed = Float32Array.from({ length: 384 }, (_, i) => Math.sin(i * 0.37) / 13.7);

  encodes.n = 0;
  const kept = store.kept({ kind: 'text', value: computed });
  const scored = (kept as Extract<Part, { kind: 'text' }>).value;
  store.set('text-1', { kind: 'text', value: scored });
  await disk.flushed();
  await until(() => redis.health().writes === 1);
  expect(encodes.n).toBe(1);

  const fromDisk = disk.get(codec.storedKey('text-1'))!;
  const fromRedis = await redis.get(codec.storedKey('text-1'));
  const encoded = codec.encodePart({ kind: 'text', value: scored });
  expect(Buffer.from(fromDisk).equals(Buffer.from(encoded))).toBe(true);
  expect(Buffer.from(fromRedis!).equals(Buffer.from(encoded))).toBe(true);
  for (const bytes of [fromDisk, fromRedis!]) {
    const back = codec.decodePart(bytes) as Extract<Part, { kind: 'text' }>;
    expect(Buffer.from(back.value.buffer, back.value.byteOffset, back.value.byteLength).equals(Buffer.from(scored.buffer, scored.byteOffset, scored.byteLength))).toBe(true);
  }
  // a vector set without kept() (not computed here) is encoded for its writes as before
  encodes.n = 0;
  store.set('text-2', { kind: 'text', value: Float32Array.from(computed) });
  await disk.flushed();
  await until(() => redis.health().writes === 2);
  expect(encodes.n).toBe(1);
});
