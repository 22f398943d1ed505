/**
 * `log.accessProbes: false` leaves successful health probes out of the access log and still counts
 * them. Before (fix16, left by held-out probe round 15d) `log.access` was all or nothing: a
 * readiness probe every second wrote 86,400 access lines a day per prober. A probe that fails (a
 * readiness 503) and every other request keep their line. `vlrerank serve` as a process (stdout read
 * as a shipper reads it) in front of a real Elasticsearch 8.19, and one in front of nothing (its
 * readiness 503).
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { useEngine } from '../../helpers/engines.js';
import { listeningUrl } from '../../helpers/listening.js';
import { MODELS, REPO_ROOT } from '../../helpers/paths.js';

const children: Array<import('node:child_process').ChildProcess> = [];
afterAll(() => {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
});

type Access = { method: string; path: string; status: number; route: string };

/** `vlrerank serve` with `log.accessProbes: false` (models loaded on first use: readiness needs no warm-up). */
async function serve(upstream: string) {
  const dir = mkdtempSync(join(tmpdir(), 'fix16-probes-'));
  writeFileSync(join(dir, 'vlrerank.yaml'), 'log: { access: true, accessProbes: false }\nrerank: { warmup: false }\n');
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'serve', '--config', join(dir, 'vlrerank.yaml'), '--port', '0', '--upstream', upstream], {
    cwd: REPO_ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('VLRERANK_'))), VLRERANK_LOG_LEVEL: 'info', VLRERANK_STORE_DISK_PATH: 'off', VLRERANK_MODELS_DIR: MODELS },
  });
  children.push(child);
  const s = { child, out: '', err: '', url: '', exited: new Promise<number | null>((r) => child.once('exit', (code) => r(code))) };
  child.stdout!.on('data', (c: Buffer) => (s.out += c.toString()));
  child.stderr!.on('data', (c: Buffer) => (s.err += c.toString()));
  s.url = await listeningUrl(child, { timeoutMs: 120_000 });
  return s;
}

/** Stop it (a drain flushes the buffered access lines) and read its access lines. */
async function accessLines(s: Awaited<ReturnType<typeof serve>>): Promise<Access[]> {
  s.child.kill('SIGTERM');
  expect(await s.exited).toBe(0);
  return s.out
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => JSON.parse(l) as { access?: Access })
    .flatMap((l) => (l.access ? [l.access] : []));
}

const requestsTotal = (metrics: string, route: string, status: number) =>
  Number(new RegExp(`^vlrerank_requests_total\\{route="${route}",status="${status}"\\} (\\d+)`, 'm').exec(metrics)?.[1] ?? 0);

it('successful health, readiness and liveness GETs are counted, not logged; everything else is logged', { timeout: 180_000 }, async () => {
  const srv = await serve(await useEngine('elasticsearch'));
  const probes = ['/_vlrerank/health?ready', '/_vlrerank/health?live', '/_vlrerank/health'];
  for (let i = 0; i < 4; i++) for (const p of probes) expect((await fetch(`${srv.url}${p}`)).status, p).toBe(200);
  expect((await fetch(`${srv.url}/_cluster/health`)).status).toBe(200); // proxied
  expect((await fetch(`${srv.url}/_vlrerank/health`, { method: 'POST' })).status).toBe(405); // not a probe's answer
  const metrics = await (await fetch(`${srv.url}/_vlrerank/metrics`)).text();
  expect(requestsTotal(metrics, 'admin', 200)).toBeGreaterThanOrEqual(12); // the probes, counted
  const lines = await accessLines(srv);
  expect(lines.filter((a) => a.path.startsWith('/_vlrerank/health') && a.status === 200)).toEqual([]);
  expect(lines).toContainEqual(expect.objectContaining({ method: 'GET', path: '/_cluster/health', status: 200, route: 'proxy' }));
  expect(lines).toContainEqual(expect.objectContaining({ method: 'POST', path: '/_vlrerank/health', status: 405, route: 'admin' }));
  expect(lines).toContainEqual(expect.objectContaining({ method: 'GET', path: '/_vlrerank/metrics', status: 200 })); // a scrape is not a probe
});

it('a readiness probe that fails (no engine: 503) keeps its line', { timeout: 180_000 }, async () => {
  const srv = await serve('http://127.0.0.1:9');
  expect((await fetch(`${srv.url}/_vlrerank/health?ready`)).status).toBe(503);
  expect((await fetch(`${srv.url}/_vlrerank/health?live`)).status).toBe(200);
  const lines = await accessLines(srv);
  expect(lines.filter((a) => a.path.startsWith('/_vlrerank/health'))).toEqual([expect.objectContaining({ path: '/_vlrerank/health?ready', status: 503 })]);
});
