// L3, the Redis tier, against a real redis-server started by the test: values round-trip with a
// TTL, oversized values are not written, the NX lock lets one caller compute while another waits
// for its value, and Redis killed mid-test turns every call into a fast miss (state down) until a
// server answers on the port again.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RedisTier } from '../../../src/features/store/redis-tier.js';
import { startRedis, type RedisServer } from '../../helpers/store.js';
import { until as poll } from '../../helpers/until.js';

let server: RedisServer;
const tiers: RedisTier[] = [];
beforeAll(async () => {
  server = await startRedis();
});
afterAll(async () => {
  for (const t of tiers) await t.close();
  await server?.stop();
});

async function tier(o: Partial<{ lockMs: number; maxValueBytes: number; url: string }> = {}): Promise<RedisTier> {
  const t = new RedisTier({ url: o.url ?? server.url, ttlSeconds: 60, maxValueBytes: o.maxValueBytes ?? 1_000, lockMs: o.lockMs ?? 2_000, commandTimeoutMs: 200, keyPrefix: 'store-tiers-test:' });
  tiers.push(t);
  for (let i = 0; i < 1500 && t.state !== 'ok'; i++) await new Promise((r) => setTimeout(r, 20));
  return t;
}

/** Poll every 25 ms, at most 200 times. */
const until = (cond: () => boolean | Promise<boolean>) => poll(cond, { tries: 1200, everyMs: 25 });

describe('redis tier', () => {
  it('round-trips a value with a TTL and skips values above the size cap', async () => {
    const t = await tier();
    expect(t.state).toBe('ok');
    expect(await t.get('a')).toBeUndefined();
    t.set('a', new Uint8Array([1, 2, 3]));
    t.set('big', new Uint8Array(2_000));
    const c = server.client();
    await until(async () => (await c.exists('store-tiers-test:f:a')) === 1);
    expect(Buffer.from((await t.get('a'))!)).toEqual(Buffer.from([1, 2, 3]));
    const ttl = await c.ttl('store-tiers-test:f:a');
    expect(ttl).toBeGreaterThan(0);
    expect(ttl).toBeLessThanOrEqual(60);
    expect(await c.exists('store-tiers-test:f:big')).toBe(0);
    expect(t.health()).toMatchObject({ state: 'ok', hits: 1, misses: 1, skipped: 1 });
  });

  it('one replica holds the lock; the other waits for its value instead of computing', async () => {
    const a = await tier();
    const b = await tier();
    const token = await a.lock('photo');
    expect(token).toBeDefined();
    expect(await b.lock('photo')).toBeUndefined(); // held by a
    const waiting = b.waitFor('photo');
    setTimeout(() => a.set('photo', new Uint8Array([9])), 100);
    expect(Buffer.from((await waiting)!)).toEqual(Buffer.from([9]));
    a.unlock('photo', token!);
    await until(async () => (await b.lock('photo')) !== undefined); // released
  });

  it('a holder that gives up releases the waiter at once (no value: compute)', async () => {
    const a = await tier({ lockMs: 60_000 });
    const b = await tier({ lockMs: 60_000 });
    const token = (await a.lock('gone'))!;
    const waiting = b.waitFor('gone');
    setTimeout(() => a.unlock('gone', token), 50);
    expect(await waiting).toBeUndefined(); // long before 60 s: the lock is gone, so b computes
  });

  it('Redis killed: calls answer undefined at once, state down; back when a server answers again', async () => {
    const own = await startRedis();
    const t = await tier({ url: own.url });
    t.set('k', new Uint8Array([1]));
    await until(async () => (await t.get('k')) !== undefined);
    await own.kill();
    await until(() => t.state === 'down');
    expect(await t.get('k')).toBeUndefined();
    expect(await t.lock('k')).toBeDefined(); // cannot say: compute, as without Redis
    t.set('k2', new Uint8Array([2])); // dropped, never thrown
    expect(t.health()).toMatchObject({ state: 'down' });
    const again = await startRedis(own.port);
    try {
      await until(() => t.state === 'ok');
      expect(await t.get('k')).toBeUndefined(); // a fresh server (no persistence)
    } finally {
      await again.stop();
    }
  });
});
