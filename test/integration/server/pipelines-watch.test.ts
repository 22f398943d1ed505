/**
 * `pipelines.watch` (fix20b): a server reloads its pipelines folder when the folder changes — a
 * file added, changed, removed, made invalid (the set serving kept, logged, counted, said in
 * health) and mended, a Kubernetes ConfigMap's `..data` symlink swap — and, through its periodic
 * digest check, a change fs.watch cannot see: the folder reached through a symlink repointed to
 * another release (the watch stays on the folder it named). Real servers in front of
 * Elasticsearch 8.19; no search needs the models (`rerank.warmup: false`). On the old code the key
 * does not exist (the config is refused) and nothing reloads without `_reload`.
 */
import { mkdirSync, mkdtempSync, renameSync, rmSync, symlinkSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../../../src/config/load.js';
import { createLogger } from '../../../src/observability/logger.js';
import { startServer, type RunningServer } from '../../../src/server/start.js';
import { useEngine } from '../../helpers/engines.js';
import { counterSum } from '../../helpers/metrics.js';
import { MODELS } from '../../helpers/paths.js';
import { until } from '../../helpers/until.js';

const pipeline = (name: string, index: string) => `name: ${name}\nindex_patterns: [${index}]\nfields:\n  text: [title]\n`;

let engineUrl: string;
let root: string;
/** Watched by fs.watch alone (its digest check once an hour). */
let watched: RunningServer;
let watchedDir: string;
let watchedLog = '';
/** Reached through `current -> releases/N`; its digest checked every 300 ms. */
let polled: RunningServer;

async function start(dir: string, intervalMs: number, sink?: (s: string) => void): Promise<RunningServer> {
  const config = parseConfig({
    server: { host: '127.0.0.1', port: 0, ui: false },
    upstream: { urls: [engineUrl] },
    log: { level: 'info', access: false },
    models: { dir: MODELS },
    store: { disk: { path: 'off' } },
    rerank: { warmup: false },
    pipelines: { dir, watch: true, watchIntervalMs: intervalMs },
  });
  const out = new Writable({ write: (c, _e, cb) => (sink?.(c.toString()), cb()) });
  return startServer(config, { logger: createLogger(sink ? 'info' : 'silent', out) });
}

const get = async (srv: RunningServer, path: string): Promise<any> => (await fetch(`${srv.url}${path}`)).json();
const names = async (srv: RunningServer): Promise<string[]> => (await get(srv, '/_vlrerank/pipelines')).pipelines.map((p: { name: string }) => p.name).sort();
const patternsOf = async (srv: RunningServer, name: string): Promise<string[] | undefined> => (await get(srv, `/_vlrerank/pipelines/${name}`)).pipeline?.index_patterns;
const serving = (srv: RunningServer, want: string[], what: string) => until(async () => JSON.stringify(await names(srv)) === JSON.stringify(want), { tries: 300, everyMs: 100, what });

beforeAll(async () => {
  engineUrl = await useEngine('elasticsearch');
  root = mkdtempSync(join(tmpdir(), 'f20b-watch-'));
  watchedDir = join(root, 'watched');
  mkdirSync(watchedDir);
  writeFileSync(join(watchedDir, 'a.yaml'), pipeline('a', 'f20b-a'));
  watched = await start(watchedDir, 3_600_000, (s) => (watchedLog += s));
  mkdirSync(join(root, 'releases', '1'), { recursive: true });
  writeFileSync(join(root, 'releases', '1', 'r.yaml'), pipeline('r1', 'f20b-r'));
  symlinkSync(join(root, 'releases', '1'), join(root, 'current'));
  polled = await start(join(root, 'current'), 300);
});

afterAll(async () => {
  await watched?.close();
  await polled?.close();
  if (root) rmSync(root, { recursive: true, force: true });
});

describe('pipelines.watch', () => {
  it('a file added, changed and removed is served without a reload being asked', async () => {
    expect(await names(watched)).toEqual(['a']);
    writeFileSync(join(watchedDir, 'b.yaml'), pipeline('b', 'f20b-b'));
    await serving(watched, ['a', 'b'], 'b.yaml added served');
    writeFileSync(join(watchedDir, 'b.yaml'), pipeline('b', 'f20b-b2'));
    await until(async () => (await patternsOf(watched, 'b'))?.[0] === 'f20b-b2', { tries: 300, everyMs: 100, what: 'b.yaml changed served' });
    unlinkSync(join(watchedDir, 'b.yaml'));
    await serving(watched, ['a'], 'b.yaml removed');
    const health = await get(watched, '/_vlrerank/health');
    expect(health.pipelines.watch).toMatchObject({ state: 'watching' });
    expect(health.pipelines.last_reload).toMatchObject({ outcome: 'reloaded', trigger: 'watch' });
  });

  it('a file made invalid keeps the set serving (logged, counted, in health); mended, it is served', async () => {
    const invalidBefore = await counterSum(watched.url, 'vlrerank_pipeline_reloads_total', { outcome: 'invalid' });
    const generation = (await get(watched, '/_vlrerank/pipelines')).generation;
    writeFileSync(join(watchedDir, 'a.yaml'), `${pipeline('a', 'f20b-a')}window:\n  default: 50\n  max: 10\n`);
    await until(async () => (await get(watched, '/_vlrerank/health')).pipelines.last_reload?.outcome === 'invalid', { tries: 300, everyMs: 100, what: 'the invalid set refused' });
    const health = await get(watched, '/_vlrerank/health');
    expect(health.pipelines.last_reload).toMatchObject({ trigger: 'watch', generation });
    expect(health.pipelines.last_reload.reason).toMatch(/a\.yaml: window/);
    expect(health.pipelines.generation).toBe(generation);
    expect(await names(watched)).toEqual(['a']);
    expect(await counterSum(watched.url, 'vlrerank_pipeline_reloads_total', { outcome: 'invalid' })).toBe(invalidBefore + 1);
    expect(watchedLog).toMatch(/"trigger":"watch".*pipelines reload refused/);
    writeFileSync(join(watchedDir, 'a.yaml'), pipeline('a', 'f20b-a3'));
    await until(async () => (await patternsOf(watched, 'a'))?.[0] === 'f20b-a3', { tries: 300, everyMs: 100, what: 'the mended a.yaml served' });
    expect((await get(watched, '/_vlrerank/health')).pipelines.last_reload).toMatchObject({ outcome: 'reloaded', trigger: 'watch' });
  });

  it('a Kubernetes ConfigMap update (the ..data symlink swapped) is served', async () => {
    // the kubelet's layout: x.yaml -> ..data/x.yaml, ..data -> ..<timestamp>; an update writes a new
    // timestamped folder, points ..data_tmp at it and renames it over ..data (the x.yaml links stay)
    unlinkSync(join(watchedDir, 'a.yaml'));
    mkdirSync(join(watchedDir, '..2026_12_06_07_00_00.1'));
    writeFileSync(join(watchedDir, '..2026_12_06_07_00_00.1', 'cm.yaml'), pipeline('cm', 'f20b-cm1'));
    symlinkSync('..2026_12_06_07_00_00.1', join(watchedDir, '..data'));
    symlinkSync('..data/cm.yaml', join(watchedDir, 'cm.yaml'));
    await serving(watched, ['cm'], 'the ConfigMap layout served');
    mkdirSync(join(watchedDir, '..2026_12_06_07_05_00.2'));
    writeFileSync(join(watchedDir, '..2026_12_06_07_05_00.2', 'cm.yaml'), pipeline('cm', 'f20b-cm2'));
    symlinkSync('..2026_12_06_07_05_00.2', join(watchedDir, '..data_tmp'));
    renameSync(join(watchedDir, '..data_tmp'), join(watchedDir, '..data'));
    rmSync(join(watchedDir, '..2026_12_06_07_00_00.1'), { recursive: true });
    await until(async () => (await patternsOf(watched, 'cm'))?.[0] === 'f20b-cm2', { tries: 300, everyMs: 100, what: 'the swapped ConfigMap served' });
  });

  it('the folder reached through a symlink repointed to another release (fs.watch stays on the old one): the digest check sees it', async () => {
    expect(await names(polled)).toEqual(['r1']);
    mkdirSync(join(root, 'releases', '2'));
    writeFileSync(join(root, 'releases', '2', 'r.yaml'), pipeline('r2', 'f20b-r'));
    symlinkSync(join(root, 'releases', '2'), join(root, 'current.new'));
    renameSync(join(root, 'current.new'), join(root, 'current'));
    await serving(polled, ['r2'], 'release 2 served');
    // and the watch follows the new release: a file added there is served too
    writeFileSync(join(root, 'releases', '2', 's.yaml'), pipeline('s', 'f20b-s'));
    await serving(polled, ['r2', 's'], 's.yaml in release 2 served');
  });
});
