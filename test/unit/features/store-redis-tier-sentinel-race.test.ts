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
import { afterAll, beforeAll, expect, it } from 'vitest';
import { RedisTier } from '../../../src/features/store/redis-tier.js';
import { startSentinelSet, type SentinelSet } from '../../helpers/redis-topologies.js';
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

let set: SentinelSet;
let relay: Awaited<ReturnType<typeof slowSentinel>>;
let tier: RedisTier | undefined;
let watched: Redis | undefined;
beforeAll(async () => {
  set = await startSentinelSet('race');
  relay = await slowSentinel(Number(set.sentinels[0]!.split(':')[1]));
});
afterAll(async () => {
  await tier?.close();
  watched?.disconnect();
  await relay?.close();
  await set?.stop();
});

it('follows a failover announced while it asks a slow sentinel for the primary', async () => {
  // the slow sentinel first: ioredis asks the sentinels in order
  tier = new RedisTier({ url: 'redis://race', sentinels: [relay.address, ...set.sentinels.slice(1)], ttlSeconds: 60, maxValueBytes: 1_000, lockMs: 2_000, commandTimeoutMs: 500, keyPrefix: 'race-test:' });
  await until(() => tier!.state === 'ok', { tries: 1200, everyMs: 25, what: 'the tier connected through the sentinels' });
  // the failover detector (one subscriber of +switch-master per sentinel) is listening on the second sentinel
  watched = new Redis(`redis://${set.sentinels[1]}`, { maxRetriesPerRequest: 0 });
  const subscribers = async () => String(await watched!.call('CLIENT', 'LIST')).split('\n').filter((l) => / sub=[1-9]/.test(l)).length;
  await until(async () => (await subscribers()) === 1, { tries: 1200, everyMs: 25, what: 'the failover detector subscribed' });

  relay.hold();
  await set.primary.kill();
  // the sentinels promote the replica and say so: the detector of the closed connection disconnects
  // the connector (and its own subscriptions) while the reconnect's question is held at the slow sentinel
  await until(async () => (await set.primaryPort()) === set.replica.port && (await subscribers()) === 0, { tries: 600, everyMs: 100, what: 'the sentinels switched and the failover detector acted on it' });
  expect(tier.state).toBe('down');
  relay.release();

  await until(() => tier!.state === 'ok', { tries: 600, everyMs: 50, what: 'the tier reconnected to the promoted replica' });
  tier.set('after', new Uint8Array([3]));
  const promoted = set.replica.client();
  await until(async () => (await promoted.exists('race-test:f:after')) === 1, { tries: 1200, everyMs: 25, what: 'a write landed on the promoted replica' });
  expect(tier.health().reason).toBeUndefined();
});
