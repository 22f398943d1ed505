/**
 * A replica that was not listening when a reload was told over Redis catches up (fix21a; round
 * fix20b left "pub/sub keeps nothing"). Two `vlrerank serve` processes share one real
 * redis-server; B connects as its own ACL user, so the test cuts B alone: the user turned off and
 * its connections killed (B retries and is refused) while A's `_reload` is published — B hears
 * nothing. The user turned on again, B reconnects, resubscribes, reads the last reload kept beside
 * the channel and re-reads its own folder. On the old code B keeps its old set for good.
 * And a replica still subscribed that did not hear one (a reload kept in the key but never heard —
 * the fault is written by hand) finds it at its periodic check (`pipelines.peerCheckMs`).
 */
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { parseConfig } from '../../../src/config/load.js';
import { startServer } from '../../../src/server/start.js';
import { useEngine } from '../../helpers/engines.js';
import { MODELS } from '../../helpers/paths.js';
import { getJson as get, pipelineNames as names, reloadPipelines } from '../../helpers/pipelines-admin.js';
import { spawnProxyProcess } from '../../helpers/proxy.js';
import { startRedis, type RedisServer } from '../../helpers/store.js';
import { until } from '../../helpers/until.js';

const TOKEN = 'f21a-admin-token';
const PREFIX = 'f21a:';
const pipeline = (name: string) => `name: ${name}\nindex_patterns: [f21a-${name}]\nfields:\n  text: [title]\n`;

type Replica = Awaited<ReturnType<typeof spawnProxyProcess>>;
let es: string;
let redis: RedisServer;
let admin: Redis;
let root: string;
let a: Replica;
let b: Replica;
const dirOf = (r: string) => join(root, r);

const peersOf = async (url: string): Promise<any> => (await get(url, '/_vlrerank/health')).pipelines?.peers;
const reload = (url: string) => reloadPipelines(url, TOKEN);

beforeAll(async () => {
  es = await useEngine('elasticsearch');
  redis = await startRedis();
  admin = redis.client();
  await admin.call('ACL', 'SETUSER', 'replica-b', 'on', '>f21a-pw', '~*', '&*', '+@all');
  root = mkdtempSync(join(tmpdir(), 'f21a-missed-'));
  for (const r of ['a', 'b', 'c']) {
    mkdirSync(dirOf(r));
    writeFileSync(join(dirOf(r), 'one.yaml'), pipeline('one'));
  }
  const config = join(root, 'vlrerank.yaml');
  writeFileSync(config, `server:\n  adminToken: ${TOKEN}\nstore:\n  redis:\n    keyPrefix: '${PREFIX}'\nrerank:\n  warmup: false\npipelines:\n  reloadAckMs: 20000\n  peerCheckMs: 0\n`);
  const env = (r: string, url: string) => ({ VLRERANK_MODELS_DIR: MODELS, VLRERANK_CONFIG: config, VLRERANK_PIPELINES_DIR: dirOf(r), VLRERANK_REDIS_URL: url });
  [a, b] = await Promise.all([spawnProxyProcess([es], env('a', redis.url)), spawnProxyProcess([es], env('b', `redis://replica-b:f21a-pw@127.0.0.1:${redis.port}`))]);
  for (const r of [a, b]) await until(async () => (await peersOf(r.url))?.state === 'subscribed', { tries: 600, everyMs: 100, what: `${r.url} subscribed` });
}, 300_000);

afterAll(async () => {
  await Promise.all([a, b].map((r) => r?.stop().catch(() => undefined)));
  await redis?.stop();
  if (root) rmSync(root, { recursive: true, force: true });
});

it('B cut from Redis while A\'s reload is published: B reloads its own folder once it is back', { timeout: 120_000 }, async () => {
  await admin.call('ACL', 'SETUSER', 'replica-b', 'off');
  await admin.call('CLIENT', 'KILL', 'USER', 'replica-b');
  await until(async () => (await peersOf(b.url)).state === 'down', { tries: 200, everyMs: 100, what: 'B down' });
  for (const r of ['a', 'b']) writeFileSync(join(dirOf(r), 'two.yaml'), pipeline('two'));
  const r = await reload(a.url);
  expect(r.status, JSON.stringify(r.body)).toBe(200);
  // B did not hear it: nobody else was subscribed
  expect(r.body).toMatchObject({ added: ['two'], replicas: { fanout: 'redis', told: 0, acknowledged: 0 } });
  expect(await names(b.url)).toEqual(['one']);
  await admin.call('ACL', 'SETUSER', 'replica-b', 'on');
  // B resubscribes and reads the last reload told (peerCheckMs 0: at resubscription only)
  await until(async () => (await names(b.url)).includes('two'), { tries: 300, everyMs: 100, what: 'B caught up with the reload it missed' });
  expect(await names(b.url)).toEqual(['one', 'two']);
  const health = (await get(b.url, '/_vlrerank/health')).pipelines;
  expect(health.peers).toMatchObject({ state: 'subscribed', missed_reloads_caught_up: 1 });
  expect(health.last_reload).toMatchObject({ outcome: 'reloaded', trigger: 'peer' });
  // heard as usual afterwards, and what B caught up is not done again
  writeFileSync(join(dirOf('b'), 'three.yaml'), pipeline('three'));
  writeFileSync(join(dirOf('a'), 'three.yaml'), pipeline('three'));
  const next = await reload(a.url);
  expect(next.body.replicas).toMatchObject({ told: 1, acknowledged: 1 });
  expect(await names(b.url)).toEqual(['one', 'three', 'two']);
  expect((await peersOf(b.url)).missed_reloads_caught_up).toBe(1);
});

it('a subscribed replica that did not hear a reload finds it at its periodic check; one equal to its own set is only noted', { timeout: 120_000 }, async () => {
  const c = await startServer(parseConfig({ server: { host: '127.0.0.1', port: 0, ui: false, adminToken: TOKEN }, upstream: { urls: [es] }, log: { level: 'silent', access: false }, models: { dir: MODELS }, store: { disk: { path: 'off' }, redis: { url: redis.url, keyPrefix: PREFIX } }, rerank: { warmup: false }, pipelines: { dir: dirOf('c'), peerCheckMs: 300 } }));
  try {
    await until(async () => (await peersOf(c.url))?.state === 'subscribed', { tries: 600, everyMs: 50, what: 'C subscribed' });
    // at its subscription C read A's last reload (another set than its own): it re-read its folder, unchanged
    const caught = (await peersOf(c.url)).missed_reloads_caught_up;
    const own = await get(c.url, '/_vlrerank/pipelines');
    // a reload of C's own set, kept but never heard by C: nothing to do
    await admin.set(`${PREFIX}pipelines:last-reload`, JSON.stringify({ id: 'same-set', from: 'elsewhere', replica: 'x:1', generation: 9, digest: own.digest, at: new Date().toISOString() }));
    writeFileSync(join(dirOf('c'), 'four.yaml'), pipeline('four'));
    await new Promise((r) => setTimeout(r, 1_500)); // five checks
    expect(await names(c.url)).toEqual(['one']);
    expect((await peersOf(c.url)).missed_reloads_caught_up).toBe(caught);
    // another set's reload, never heard: the next check re-reads C's folder
    await admin.set(`${PREFIX}pipelines:last-reload`, JSON.stringify({ id: 'missed', from: 'elsewhere', replica: 'x:1', generation: 10, digest: 'another', at: new Date().toISOString() }));
    await until(async () => (await names(c.url)).includes('four'), { tries: 200, everyMs: 100, what: 'C found the reload at its check' });
    expect((await peersOf(c.url)).missed_reloads_caught_up).toBe(caught + 1);
    expect((await get(c.url, '/_vlrerank/health')).pipelines.last_reload).toMatchObject({ outcome: 'reloaded', trigger: 'peer' });
  } finally {
    await c.close();
  }
});
