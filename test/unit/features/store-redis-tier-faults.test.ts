// The Redis tier against a real redis-server misbehaving as production ones do: a wrong password
// (`requirepass` changed under the replicas) says WRONGPASS in health, not just "connection
// closed" (and the log says it once: it said nothing when the tier had never connected, held-out
// probe round 15a); `maxmemory` reached with `noeviction` (every write refused with OOM on a live
// connection) is counted per write but logged once, not once per write.
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { RedisTier } from '../../../src/features/store/redis-tier.js';
import { createLogger } from '../../../src/observability/logger.js';
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

function logLines(): { lines: string[]; logger: ReturnType<typeof createLogger> } {
  const lines: string[] = [];
  const dest = new Writable({ write: (c, _e, cb) => (lines.push(...String(c).split('\n').filter(Boolean)), cb()) });
  return { lines, logger: createLogger('info', dest) };
}

function tier(url: string, logger?: ReturnType<typeof createLogger>): RedisTier {
  const t = new RedisTier({ url, ttlSeconds: 60, maxValueBytes: 1_000, lockMs: 2_000, commandTimeoutMs: 500, keyPrefix: 'faults-test:', logger });
  tiers.push(t);
  return t;
}

/** Poll every 25 ms, at most 400 times. */
const until = (cond: () => boolean | Promise<boolean>) => poll(cond, { tries: 400, everyMs: 25 });

it('maxmemory reached with noeviction: every refused write counted, one log line', async () => {
  const { lines, logger } = logLines();
  const t = tier(server.url, logger);
  await until(() => t.state === 'ok');
  const admin = server.client();
  await admin.config('SET', 'maxmemory-policy', 'noeviction');
  await admin.config('SET', 'maxmemory', '1');
  try {
    for (let i = 0; i < 50; i++) t.set(`k${i}`, new Uint8Array([i]));
    await until(() => t.health().errors >= 50);
    expect(t.health()).toMatchObject({ state: 'ok', errors: 50, writes: 0 });
    expect(t.health().reason).toMatch(/OOM/);
    const warned = lines.filter((l) => l.includes('"level":40'));
    expect(warned).toHaveLength(1);
    expect(warned[0]).toMatch(/OOM.*"failures":1/);
  } finally {
    await admin.config('SET', 'maxmemory', '0');
  }
});

it('a wrong password: health says WRONGPASS, and never the password; the log says it once', async () => {
  const admin = server.client();
  await admin.config('SET', 'requirepass', 'right-one');
  try {
    const url = new URL(server.url);
    url.password = 'wrong-one';
    const { lines, logger } = logLines();
    const t = tier(url.toString(), logger);
    // each attempt is an 'error' (WRONGPASS) then a 'close'
    await until(() => (t.health().reason ?? '').startsWith('connection closed'));
    expect(t.state).toBe('down');
    expect(t.health().reason).toMatch(/WRONGPASS/);
    expect(JSON.stringify(t.health())).not.toContain('wrong-one');
    // never connected: it was in health only, the log said nothing (held-out probe round 15a);
    // now one line for the start, not one per reconnect attempt
    await until(() => t.health().errors === 0 && lines.length > 0);
    await new Promise((r) => setTimeout(r, 500)); // a few more reconnect attempts
    const warned = lines.filter((l) => l.includes('"level":40'));
    expect(warned).toHaveLength(1);
    expect(warned[0]).toMatch(/not reachable at start/);
    expect(warned[0]).toMatch(/WRONGPASS/);
    expect(lines.join('\n')).not.toContain('wrong-one');
  } finally {
    await admin.call('AUTH', 'right-one');
    await admin.config('SET', 'requirepass', '');
  }
});

it('a URL naming an HTTP server: health says it is not Redis (it said write EPIPE)', async () => {
  // a real HTTP server on a free port, as a Redis URL pointed at the engine's port would meet
  const http = createServer((_req, res) => res.end('{}'));
  await new Promise<void>((r) => http.listen(0, '127.0.0.1', () => r()));
  try {
    const { lines, logger } = logLines();
    const t = tier(`redis://127.0.0.1:${(http.address() as AddressInfo).port}`, logger);
    await until(() => (t.health().reason ?? '').startsWith('connection closed'));
    expect(t.state).toBe('down');
    expect(t.health().reason).toMatch(/not a Redis server: it answered "H" \(an HTTP server\?\)/);
    expect(lines.join('\n')).toMatch(/not a Redis server/);
  } finally {
    http.closeAllConnections();
    await new Promise((r) => http.close(r));
  }
});

it('a replica given as the URL: reads answer, every write READONLY, and health keeps saying so', async () => {
  const replica = await startRedis(undefined, ['--replicaof', '127.0.0.1', String(server.port)]);
  try {
    const { lines, logger } = logLines();
    const t = tier(replica.url, logger);
    await until(() => t.state === 'ok');
    for (let i = 0; i < 10; i++) t.set(`ro${i}`, new Uint8Array([i]));
    await until(() => t.health().errors >= 10);
    expect(await t.get('ro1')).toBeUndefined(); // a read that answers (a miss)…
    // …did not clear why every write fails (health flickered: READONLY, then nothing)
    expect(t.health()).toMatchObject({ state: 'ok', writes: 0, misses: 1 });
    expect(t.health().reason).toMatch(/^READONLY/);
    expect(lines.filter((l) => l.includes('READONLY'))).toHaveLength(1);
  } finally {
    await replica.stop();
  }
});
