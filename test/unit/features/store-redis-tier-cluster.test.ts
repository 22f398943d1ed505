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
  await until(() => tier.state === 'ok', { tries: 1200, everyMs: 25, what: 'the tier connected to the cluster' });
  const keys = Array.from({ length: 30 }, (_, i) => `k${i}`);
  keys.forEach((k, i) => tier.set(k, new Uint8Array([i])));
  await until(() => tier.health().writes + tier.health().errors >= keys.length, { tries: 1200, everyMs: 25, what: 'every write answered' });
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

it('one master of three SIGKILLed: lookups fail at once, not after 16 retries 100 ms apart', async () => {
  const t = new RedisTier({ url: `redis://127.0.0.1:${cluster.nodes[0]!.port}`, cluster: true, ttlSeconds: 60, maxValueBytes: 1_000, lockMs: 2_000, commandTimeoutMs: 500, keyPrefix: 'cluster-kill:' });
  try {
    await until(() => t.state === 'ok', { tries: 1200, everyMs: 25, what: 'the tier connected to the cluster' });
    await cluster.nodes[2]!.kill();
    const live = cluster.nodes[0]!.client();
    await until(async () => String(await live.call('CLUSTER', 'INFO')).includes('cluster_state:fail'), { tries: 600, everyMs: 50, what: 'the cluster down' });
    // every lookup and lock is answered (a miss, a token: compute as without Redis), never thrown —
    // and at once: ioredis retried a command for the dead node every 100 ms, refreshing the slot
    // map (CLUSTER SLOTS on a live node) before each retry, ~1.8 s per lookup (48 ms now). Counted
    // by the live nodes rather than timed; the 5 s periodic refresh may fall inside, once.
    const refreshes = async () => {
      let n = 0;
      for (const node of cluster.nodes.slice(0, 2)) n += Number(/cmdstat_cluster\|slots:calls=(\d+)/.exec(String(await node.client().info('commandstats')))?.[1] ?? 0);
      return n;
    };
    const before = await refreshes();
    expect(await t.getMany(['a', 'b', 'c'])).toEqual([undefined, undefined, undefined]);
    expect(await t.lock('new-photo')).toBeDefined();
    expect((await refreshes()) - before).toBeLessThanOrEqual(1);
    expect(t.health().reason).toMatch(/^(CLUSTERDOWN|Connection is closed)/);
    expect(t.health().errors).toBeGreaterThan(0);
  } finally {
    await t.close();
  }
});
