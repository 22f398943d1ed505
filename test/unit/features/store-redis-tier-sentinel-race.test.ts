// The Redis tier through Redis Sentinel when the failover is announced while the client is asking a
// sentinel for the primary (real redis-server processes: a primary, a replica, three sentinels; one
// sentinel reached through a relay that holds its answers — a sentinel slow to answer, which a busy
// machine makes and a real sentinel cannot be made to on demand).
//
// The primary is SIGKILLed; the client's reconnect asks the slow sentinel, which still names the dead
// primary and whose answer is held; meanwhile the sentinels promote the replica and publish
// +switch-master, which the failover detector of the closed connection (still subscribed) acts on by
// disconnecting the connector. ioredis 6 then ended the client for good ("Connection is closed.",
// status `end`, never `ready` again): the tier stayed `down` while every sentinel named the promoted
// replica (flake23: "follows a failover" failed 5 times in 21 under load). Fix23s.
import { createServer, connect, type AddressInfo, type Server, type Socket } from 'node:net';
import { Redis } from 'ioredis';
import { afterAll, expect, it } from 'vitest';
import { RedisTier } from '../../../src/features/store/redis-tier.js';
import { startSentinelSet } from '../../helpers/redis-topologies.js';
import { until } from '../../helpers/until.js';

/** A TCP relay to `port` whose answers are held (buffered) while `held`, and passed on at `release()`. */
async function slowSentinel(port: number): Promise<{ address: string; hold(): void; release(): void; close(): Promise<void> }> {
  let held = false;
  const waiting: Array<() => void> = [];
  const sockets = new Set<Socket>();
  const server: Server = createServer((client) => {
    const upstream = connect(port, '127.0.0.1');
    for (const s of [client, upstream]) {
      sockets.add(s);
      s.on('error', () => {});
      s.on('close', () => {
        client.destroy();
        upstream.destroy();
      });
    }
    client.pipe(upstream);
    upstream.on('data', (chunk: Buffer) => {
      if (held) waiting.push(() => client.write(chunk));
      else client.write(chunk);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    address: `127.0.0.1:${(server.address() as AddressInfo).port}`,
    hold: () => (held = true),
    release: () => {
      held = false;
      for (const w of waiting.splice(0)) w();
    },
    close: () =>
      new Promise<void>((r) => {
        for (const s of sockets) s.destroy();
        server.close(() => r());
      }),
  };
}

const cleanups: Array<() => unknown> = [];
afterAll(async () => {
  for (const c of cleanups.reverse()) await c();
});

/**
 * A primary, its replica and three sentinels, the first reached through a relay holding its answers
 * on demand, and a tier whose sentinels list that slow one first (ioredis asks them in order).
 * `subscribers()`: the +switch-master subscribers on the second sentinel (the tier's failover detector).
 * (A sentinel's answer is waited for at most `commandTimeoutMs`, at least 1 s.)
 */
async function slowFirstSentinel(name: string, commandTimeoutMs = 500) {
  const set = await startSentinelSet(name);
  cleanups.push(() => set.stop());
  const relay = await slowSentinel(Number(set.sentinels[0]!.split(':')[1]));
  cleanups.push(() => relay.close());
  const tier = new RedisTier({ url: `redis://${name}`, sentinels: [relay.address, ...set.sentinels.slice(1)], ttlSeconds: 60, maxValueBytes: 1_000, lockMs: 2_000, commandTimeoutMs, keyPrefix: `${name}-test:` });
  cleanups.push(() => tier.close());
  const watched = new Redis(`redis://${set.sentinels[1]}`, { maxRetriesPerRequest: 0 });
  cleanups.push(() => watched.disconnect());
  const subscribers = async () => String(await watched.call('CLIENT', 'LIST')).split('\n').filter((l) => / sub=[1-9]/.test(l)).length;
  await until(() => tier.state === 'ok', { tries: 1200, everyMs: 25, what: 'the tier connected through the sentinels' });
  await until(async () => (await subscribers()) === 1, { tries: 1200, everyMs: 25, what: 'the failover detector subscribed' });
  return { set, relay, tier, subscribers };
}

/** The tier is back, on the promoted replica: a write lands there, and health has no reason left. */
async function onPromoted(tier: RedisTier, set: Awaited<ReturnType<typeof startSentinelSet>>, name: string): Promise<void> {
  await until(() => tier.state === 'ok', { tries: 600, everyMs: 50, what: 'the tier reconnected to the promoted replica' });
  // (written again until one lands: a write is fire-and-forget, and under load one can fail)
  const promoted = set.replica.client();
  await until(
    async () => {
      tier.set('after', new Uint8Array([3]));
      return (await promoted.exists(`${name}-test:f:after`)) === 1;
    },
    { tries: 300, everyMs: 100, what: 'a write landed on the promoted replica' },
  );
  expect(tier.health().reason).toBeUndefined();
}

it('follows a failover announced while it asks a slow sentinel for the primary', async () => {
  // (a command time-out long enough for the held question to outlast the failover)
  const { set, relay, tier, subscribers } = await slowFirstSentinel('race', 120_000);
  relay.hold();
  await set.primary.kill();
  // the sentinels promote the replica and say so: the detector of the closed connection disconnects
  // the connector (and its own subscriptions) while the reconnect's question is held at the slow sentinel
  await until(async () => (await set.primaryPort()) === set.replica.port && (await subscribers()) === 0, { tries: 600, everyMs: 100, what: 'the sentinels switched and the failover detector acted on it' });
  expect(tier.state).toBe('down');
  relay.release();
  await onPromoted(tier, set, 'race');
});

it('a sentinel that never answers: the tier asks the next one', async () => {
  // a sentinel hung (stopped, or its host gone without a reset): the question had no time-out, and
  // the tier waited on it for ever while the two others named the promoted replica
  const { set, relay, tier } = await slowFirstSentinel('hung');
  relay.hold();
  await set.primary.kill();
  await until(async () => (await set.primaryPort()) === set.replica.port, { tries: 600, everyMs: 100, what: 'the sentinels switched' });
  await onPromoted(tier, set, 'hung');
});
