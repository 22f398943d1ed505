/**
 * `log.accessProbes: false` leaves successful health probes out of the access log and still counts
 * them. Before (fix16, left by held-out probe round 15d) `log.access` was all or nothing: a
 * readiness probe every second wrote 86,400 access lines a day per prober. A probe that fails (a
 * readiness 503) and every other request keep their line. `vlrerank serve` as a process (stdout read
 * as a shipper reads it) in front of a real Elasticsearch 8.19, and one in front of nothing (its
 * readiness 503).
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { useEngine } from '../../helpers/engines.js';
import { killServed, serveLogged, type Served } from '../../helpers/serve-logged.js';

afterAll(killServed);

type Access = { method: string; path: string; status: number; route: string };

/** `vlrerank serve` with `log.accessProbes: false` (models loaded on first use: readiness needs no warm-up). */
function serve(upstream: string): Promise<Served> {
  const dir = mkdtempSync(join(tmpdir(), 'fix16-probes-'));
  writeFileSync(join(dir, 'vlrerank.yaml'), 'log: { access: true, accessProbes: false }\nrerank: { warmup: false }\n');
  return serveLogged(['--config', join(dir, 'vlrerank.yaml'), '--upstream', upstream]);
}

/** Stop it (a drain flushes the buffered access lines) and read its access lines. */
async function accessLines(s: Served): Promise<Access[]> {
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
