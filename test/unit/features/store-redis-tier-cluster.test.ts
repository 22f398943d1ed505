// The Redis tier on a Redis Cluster of three masters (real redis-server processes): every key
// written and read wherever its slot lives, a request's keys read across slots in one call, the
// lock taken and released on its own slot's node. Given the cluster as a plain URL, 9 writes in 12
// answered MOVED and every MGET CROSSSLOT while health said `ok` (held-out probe round 15a).
import { afterAll, beforeAll, expect, it } from 'vitest';
import { RedisTier } from '../../../src/features/store/redis-tier.js';
import { startRedisCluster, type RedisCluster } from '../../helpers/redis-topologies.js';
import { until } from '../../helpers/until.js';

let cluster: RedisCluster;
let tier: RedisTier;
beforeAll(async () => {
  cluster = await startRedisCluster();
});
afterAll(async () => {
  await tier?.close();
  await cluster?.stop();
});

it('writes, reads and locks keys on every node of the cluster', async () => {
  tier = new RedisTier({ url: `redis://127.0.0.1:${cluster.nodes[0]!.port}`, cluster: true, ttlSeconds: 60, maxValueBytes: 1_000, lockMs: 2_000, commandTimeoutMs: 500, keyPrefix: 'cluster-test:' });
  await until(() => tier.state === 'ok', { tries: 200, everyMs: 25, what: 'the tier connected to the cluster' });
  const keys = Array.from({ length: 30 }, (_, i) => `k${i}`);
  keys.forEach((k, i) => tier.set(k, new Uint8Array([i])));
  await until(() => tier.health().writes + tier.health().errors >= keys.length, { tries: 200, everyMs: 25, what: 'every write answered' });
  expect(tier.health()).toMatchObject({ writes: keys.length, errors: 0 });
  // the keys really are spread over the three masters
  const held = await Promise.all(cluster.nodes.map((n) => n.client().dbsize()));
  expect(held.filter((d) => d > 0)).toHaveLength(3);
  expect((await tier.getMany(keys)).map((v) => v && [...v])).toEqual(keys.map((_, i) => [i]));
  expect([...(await tier.get('k7'))!]).toEqual([7]);
  // the lock: one holder, released, then free again
  const token = await tier.lock('new-photo');
  expect(token).toBeDefined();
  expect(await tier.lock('new-photo')).toBeUndefined();
  tier.unlock('new-photo', token!);
  await until(async () => (await tier.lock('new-photo')) !== undefined, { tries: 100, everyMs: 25, what: 'the lock released' });
  expect(tier.health()).toMatchObject({ state: 'ok', errors: 0 });
});
