/**
 * A pipelines reload reaches every replica (fix20b; fix19a left "a reload reaches one replica").
 * Two `vlrerank serve` processes, each with its own pipelines folder, share one real redis-server
 * as their feature tier; `POST /_vlrerank/pipelines/_reload` sent to replica A is told to B over
 * Redis pub/sub: B re-reads its own folder and its `GET /_vlrerank/pipelines` shows the new set,
 * and A's answer says B acknowledged (its digest). B's folder invalid: B keeps its set, says
 * `invalid` with the file to A, and its health shows the refusal. A server without Redis says its
 * reload reached only itself. On the old code B's set never changes.
 */
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { parseConfig } from '../../../src/config/load.js';
import { startServer, type RunningServer } from '../../../src/server/start.js';
import { useEngine } from '../../helpers/engines.js';
import { MODELS } from '../../helpers/paths.js';
import { getJson as get, pipelineNames as names, reloadPipelines } from '../../helpers/pipelines-admin.js';
import { spawnProxyProcess } from '../../helpers/proxy.js';
import { REFUSED_PORT } from '../../helpers/ports.js';
import { startRedis, type RedisServer } from '../../helpers/store.js';
import { until } from '../../helpers/until.js';

const TOKEN = 'f20b-admin-token';
const pipeline = (name: string, index: string, extra = '') => `name: ${name}\nindex_patterns: [${index}]\nfields:\n  text: [title]\n${extra}`;

type Replica = Awaited<ReturnType<typeof spawnProxyProcess>>;
let es: string;
let redis: RedisServer;
let root: string;
let a: Replica;
let b: Replica;
let lone: RunningServer;
const dirOf = (r: 'a' | 'b') => join(root, r);

const reload = (url: string) => reloadPipelines(url, TOKEN);

beforeAll(async () => {
  es = await useEngine('elasticsearch');
  redis = await startRedis();
  root = mkdtempSync(join(tmpdir(), 'f20b-replicas-'));
  for (const r of ['a', 'b'] as const) {
    mkdirSync(dirOf(r));
    writeFileSync(join(dirOf(r), 'one.yaml'), pipeline('one', 'f20b-one'));
  }
  const config = join(root, 'vlrerank.yaml');
  // the wait for the other replica's answer ends when it answers; 20 s only bounds a loaded machine
  writeFileSync(config, `server:\n  adminToken: ${TOKEN}\nstore:\n  redis:\n    url: ${redis.url}\n    keyPrefix: 'f20b:'\nrerank:\n  warmup: false\npipelines:\n  reloadAckMs: 20000\n`);
  const env = (r: 'a' | 'b') => ({ VLRERANK_MODELS_DIR: MODELS, VLRERANK_CONFIG: config, VLRERANK_PIPELINES_DIR: dirOf(r) });
  [a, b] = await Promise.all([spawnProxyProcess([es], env('a')), spawnProxyProcess([es], env('b'))]);
  // each listens once its subscription is in place
  for (const r of [a, b]) await until(async () => (await get(r.url, '/_vlrerank/health')).pipelines?.peers?.state === 'subscribed', { tries: 600, everyMs: 100, what: `${r.url} subscribed` });
  lone = await startServer(parseConfig({ server: { host: '127.0.0.1', port: 0, ui: false, adminToken: TOKEN }, upstream: { urls: [es] }, log: { level: 'silent', access: false }, models: { dir: MODELS }, store: { disk: { path: 'off' } }, rerank: { warmup: false }, pipelines: { dir: dirOf('a') } }));
}, 300_000);

afterAll(async () => {
  await lone?.close();
  await Promise.all([a, b].map((r) => r?.stop().catch(() => undefined)));
  await redis?.stop();
  if (root) rmSync(root, { recursive: true, force: true });
});

it('_reload sent to replica A reloads replica B from its own folder; A says B acknowledged', { timeout: 120_000 }, async () => {
  expect(await names(b.url)).toEqual(['one']);
  for (const r of ['a', 'b'] as const) writeFileSync(join(dirOf(r), 'two.yaml'), pipeline('two', 'f20b-two'));
  const r = await reload(a.url);
  expect(r.status, JSON.stringify(r.body)).toBe(200);
  // B serves the new set as soon as A answers (A waited for B's acknowledgement)
  const bList = await get(b.url, '/_vlrerank/pipelines');
  expect(bList.pipelines.map((p: { name: string }) => p.name).sort()).toEqual(['one', 'two']);
  expect(r.body).toMatchObject({ added: ['two'], replicas: { fanout: 'redis', channel: 'f20b:pipelines:reload', told: 1, acknowledged: 1 } });
  expect(r.body.replicas.replicas).toEqual([expect.objectContaining({ outcome: 'reloaded', generation: bList.generation, digest: r.body.digest })]);
  expect((await get(b.url, '/_vlrerank/health')).pipelines.last_reload).toMatchObject({ outcome: 'reloaded', trigger: 'peer' });
});

it('replica B\'s own folder invalid: B keeps its set and says why to A and in its health', { timeout: 120_000 }, async () => {
  writeFileSync(join(dirOf('a'), 'three.yaml'), pipeline('three', 'f20b-three'));
  writeFileSync(join(dirOf('b'), 'three.yaml'), pipeline('three', 'f20b-three', 'budget_ms: -5\n'));
  const r = await reload(a.url);
  expect(r.status, JSON.stringify(r.body)).toBe(200);
  expect(r.body.added).toEqual(['three']);
  expect(r.body.replicas).toMatchObject({ told: 1, acknowledged: 1 });
  expect(r.body.replicas.replicas[0]).toMatchObject({ outcome: 'invalid' });
  expect(r.body.replicas.replicas[0].reason).toMatch(/three\.yaml: budget_ms/);
  expect(await names(b.url)).toEqual(['one', 'two']);
  expect((await get(b.url, '/_vlrerank/health')).pipelines.last_reload).toMatchObject({ outcome: 'invalid', trigger: 'peer' });
  // mended there and reloaded through B this time: A is told in turn
  writeFileSync(join(dirOf('b'), 'three.yaml'), pipeline('three', 'f20b-three'));
  const back = await reload(b.url);
  expect(back.body).toMatchObject({ added: ['three'], replicas: { told: 1, acknowledged: 1 } });
  expect(back.body.replicas.replicas[0]).toMatchObject({ outcome: 'reloaded', digest: back.body.digest });
  expect(await names(b.url)).toEqual(['one', 'three', 'two']);
});

it('Redis down: the reload still answers 200 at once, saying the others were not told and why', async () => {
  const down = await startServer(parseConfig({ server: { host: '127.0.0.1', port: 0, ui: false, adminToken: TOKEN }, upstream: { urls: [es] }, log: { level: 'silent', access: false }, models: { dir: MODELS }, store: { disk: { path: 'off' }, redis: { url: `redis://127.0.0.1:${REFUSED_PORT}` } }, rerank: { warmup: false }, pipelines: { dir: dirOf('a') } }));
  try {
    await until(async () => /ECONNREFUSED/.test((await get(down.url, '/_vlrerank/health')).pipelines.peers?.reason ?? ''), { tries: 600, everyMs: 50, what: 'the refused connection seen' });
    const r = await reload(down.url);
    expect(r.status).toBe(200);
    expect(r.body.replicas).toMatchObject({ fanout: 'failed' });
    expect(r.body.replicas.reason).toMatch(/Redis not connected: .*ECONNREFUSED/);
    expect((await get(down.url, '/_vlrerank/health')).pipelines.peers).toMatchObject({ state: 'down' });
  } finally {
    await down.close();
  }
});

it('a server without the Redis tier says its reload reached it alone', async () => {
  const r = await reload(lone.url);
  expect(r.status).toBe(200);
  expect(r.body.replicas).toMatchObject({ fanout: 'off' });
  expect(r.body.replicas.reason).toMatch(/only this replica/);
});
