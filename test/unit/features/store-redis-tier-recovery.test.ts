// A Redis tier that failed and recovered shows `ok` without the old failure as its reason
// (held-out probe round 9: the reason stayed in health after the tier recovered). A real
// redis-server is stopped and started again on the same port; a command refused on a live
// connection (OOM under `maxmemory` with `noeviction`) then accepted again likewise.
import { afterAll, expect, it } from 'vitest';
import { RedisTier } from '../../../src/features/store/redis-tier.js';
import { freePort } from '../../helpers/ports.js';
import { startRedis, type RedisServer } from '../../helpers/store.js';
import { until as poll } from '../../helpers/until.js';

const servers: RedisServer[] = [];
const tiers: RedisTier[] = [];
afterAll(async () => {
  for (const t of tiers) await t.close();
  for (const s of servers) await s.stop();
});

const until = (cond: () => boolean | Promise<boolean>) => poll(cond, { tries: 400, everyMs: 25 });

function tier(url: string): RedisTier {
  const t = new RedisTier({ url, ttlSeconds: 60, maxValueBytes: 1_000, lockMs: 2_000, commandTimeoutMs: 500, keyPrefix: 'recovery-test:' });
  tiers.push(t);
  return t;
}

it('redis-server stopped then started again: ok, no stale reason, the failure kept as last_error', { timeout: 60_000 }, async () => {
  const port = await freePort();
  const first = await startRedis(port);
  const t = tier(first.url);
  await until(() => t.state === 'ok');
  t.set('a', new Uint8Array([1]));
  await until(() => t.health().writes === 1);
  await first.stop();
  await until(() => t.state === 'down');
  expect(t.health().reason).toBeTruthy();
  expect(await t.get('a')).toBeUndefined();
  const second = await startRedis(port);
  servers.push(second);
  await until(() => t.state === 'ok');
  t.set('b', new Uint8Array([2]));
  await until(() => t.health().writes === 2);
  expect(await t.get('b')).toEqual(Buffer.from([2]));
  const h = t.health();
  expect(h.state).toBe('ok');
  expect(h.reason).toBeUndefined();
  expect(h.last_error?.reason).toBeTruthy();
  expect(Date.parse(h.last_error!.at)).toBeGreaterThan(0);
});

it('a command refused on a live connection, then accepted: ok, no stale reason', { timeout: 60_000 }, async () => {
  const s = await startRedis();
  servers.push(s);
  const t = tier(s.url);
  await until(() => t.state === 'ok');
  const admin = s.client();
  await admin.config('SET', 'maxmemory-policy', 'noeviction');
  await admin.config('SET', 'maxmemory', '1');
  t.set('x', new Uint8Array([1]));
  await until(() => t.health().errors === 1);
  expect(t.health().reason).toMatch(/OOM/);
  await admin.config('SET', 'maxmemory', '0');
  t.set('y', new Uint8Array([2]));
  await until(() => t.health().writes === 1);
  const h = t.health();
  expect(h).toMatchObject({ state: 'ok', errors: 1 });
  expect(h.reason).toBeUndefined();
  expect(h.last_error?.reason).toMatch(/OOM/);
});
