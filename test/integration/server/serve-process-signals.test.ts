/**
 * `vlrerank serve` as a process, as an operator runs it: what it prints about its upstream (never
 * the password of a `user:password@` URL), SIGHUP (a closed terminal, or a `kill -HUP` meant as a
 * reload) drains like SIGTERM instead of cutting the requests in flight, and a promise rejection
 * nothing awaited (lmdb's commit race, played by a fault module) is logged and counted while the
 * process keeps serving. The real CLI, the real Elasticsearch (behind a relay: the credentials in
 * the upstream URL are sent along, and the engine without security ignores them), real models.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterEach, beforeAll, expect, it } from 'vitest';
import { counterSum } from '../../helpers/metrics.js';
import { useEngine } from '../../helpers/engines.js';
import { listeningUrl } from '../../helpers/listening.js';
import { MODELS, REPO_ROOT } from '../../helpers/paths.js';

const FAULT = resolve(REPO_ROOT, 'test/helpers/faults/unhandled-rejection-lmdb-commit-race.mjs');
let es: string;
beforeAll(async () => {
  es = await useEngine('elasticsearch');
}, 300_000);

interface Serve {
  child: ChildProcess;
  url: string;
  out: () => string;
  exited: Promise<number | null>;
}
const running: Serve[] = [];
afterEach(() => {
  for (const s of running.splice(0)) if (s.child.exitCode === null && s.child.signalCode === null) s.child.kill('SIGKILL');
});

async function serve(upstream: string, env: Record<string, string> = {}): Promise<Serve> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'serve', '--port', '0', '--host', '127.0.0.1', '--upstream', upstream], {
    cwd: REPO_ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, VLRERANK_LOG_LEVEL: 'info', VLRERANK_STORE_DISK_PATH: 'off', VLRERANK_MODELS_DIR: MODELS, ...env },
  });
  let out = '';
  child.stdout!.on('data', (c: Buffer) => (out += c.toString()));
  child.stderr!.on('data', (c: Buffer) => (out += c.toString()));
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  const s: Serve = { child, url: await listeningUrl(child, { timeoutMs: 120_000 }), out: () => out, exited };
  running.push(s);
  return s;
}

it('never prints the password of an upstream URL', { timeout: 180_000 }, async () => {
  const u = new URL(es);
  const s = await serve(`http://elastic:hunter22secret@${u.host}`);
  expect((await fetch(`${s.url}/_vlrerank/health?live`)).status).toBe(200);
  s.child.kill('SIGTERM');
  expect(await s.exited).toBe(0);
  expect(s.out()).toContain(`→ http://[redacted]@${u.host}`);
  expect(s.out()).not.toContain('hunter22secret');
  // a warm-up stopped by the shutdown is not reported as failed
  expect(s.out()).not.toContain('warm-up failed');
});

it('an upstream whose TLS certificate is not trusted: the start log, readiness and the 502 say so', { timeout: 180_000 }, async () => {
  // an HTTPS node of our own with a self-signed certificate, and no upstream.tls.ca given
  const dir = mkdtempSync(join(tmpdir(), 'vlr-tls-'));
  execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem'), '-days', '1', '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1'], { stdio: 'ignore' });
  const node = createHttpsServer({ key: readFileSync(join(dir, 'key.pem')), cert: readFileSync(join(dir, 'cert.pem')) }, (_req, res) => res.end('{}'));
  await new Promise<void>((r) => node.listen(0, '127.0.0.1', r));
  try {
    const upstream = `https://elastic:tls-secret-pw@127.0.0.1:${(node.address() as AddressInfo).port}`;
    const s = await serve(upstream);
    for (let i = 0; i < 3000 && !/no upstream node answers/.test(s.out()); i++) await new Promise((r) => setTimeout(r, 10));
    expect(s.out()).toMatch(/"level":40.*SELF_SIGNED.*TLS: .*upstream\.tls\.ca.*no upstream node answers/);
    const ready = await fetch(`${s.url}/_vlrerank/health?ready`);
    expect(ready.status).toBe(503);
    expect(((await ready.json()) as { reasons: string[] }).reasons.join()).toMatch(/no cluster node reachable \(https:\/\/127\.0\.0\.1:\d+: .*SELF_SIGNED.*upstream\.tls\.ca/);
    const search = await fetch(`${s.url}/any/_search`);
    expect(search.status).toBe(502);
    expect(await search.text()).toMatch(/certificate/);
    s.child.kill('SIGTERM');
    expect(await s.exited).toBe(0);
    expect(s.out()).not.toContain('tls-secret-pw');
  } finally {
    node.close();
  }
});

it('SIGHUP drains like SIGTERM: the request in flight gets its whole answer, the exit is 0', { timeout: 240_000 }, async () => {
  const s = await serve(es);
  // a request that takes a while: new captions through the real text model
  const docs = Array.from({ length: 60 }, (_, i) => `sighup caption ${i} of a ${['dog', 'cat', 'rocket', 'coffee cup'][i % 4]} in scene ${i} ${Date.now()}`);
  const inflight = fetch(`${s.url}/_vlrerank/rerank`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query: 'a dog', documents: docs }) });
  // signal only once the server holds the request
  for (let i = 0; i < 2000; i++) {
    const h = (await (await fetch(`${s.url}/_vlrerank/health`)).json()) as { rerank_admission: { in_flight: number; queued: number } };
    if (h.rerank_admission.in_flight + h.rerank_admission.queued > 0) break;
    await new Promise((r) => setTimeout(r, 10));
  }
  s.child.kill('SIGHUP');
  const res = await inflight;
  const body = (await res.json()) as { results: unknown[] };
  expect(res.status).toBe(200);
  expect(body.results).toHaveLength(60);
  expect(await s.exited).toBe(0);
  expect(s.out()).toMatch(/"signal":"SIGHUP".*draining/);
});

it('a second SIGTERM during the drain does not cut it: the request in flight gets its whole answer, the exit is 0', { timeout: 240_000 }, async () => {
  const s = await serve(es);
  const docs = Array.from({ length: 60 }, (_, i) => `twice caption ${i} of a ${['dog', 'cat', 'rocket', 'coffee cup'][i % 4]} in scene ${i} ${Date.now()}`);
  const inflight = fetch(`${s.url}/_vlrerank/rerank`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query: 'a dog', documents: docs }) });
  for (let i = 0; i < 2000; i++) {
    const h = (await (await fetch(`${s.url}/_vlrerank/health`)).json()) as { rerank_admission: { in_flight: number; queued: number } };
    if (h.rerank_admission.in_flight + h.rerank_admission.queued > 0) break;
    await new Promise((r) => setTimeout(r, 10));
  }
  s.child.kill('SIGTERM');
  // the second only once the first is handled (two pending signals arrive as one)
  for (let i = 0; i < 6000 && !/"signal":"SIGTERM".*draining/.test(s.out()); i++) await new Promise((r) => setTimeout(r, 5));
  s.child.kill('SIGTERM');
  const res = await inflight;
  const body = (await res.json()) as { results: unknown[] };
  expect(res.status).toBe(200);
  expect(body.results).toHaveLength(60);
  expect(await s.exited).toBe(0);
  expect(s.out()).toMatch(/already draining/);
});

it('a rejection nothing awaited (lmdb commit race) is logged and counted; the process keeps serving', { timeout: 180_000 }, async () => {
  const s = await serve(es, { NODE_OPTIONS: `${process.env.NODE_OPTIONS ?? ''} --import ${FAULT}`.trim() });
  // one signal at a time (two sent at once arrive as one)
  let n = 0;
  for (const want of [1, 2]) {
    s.child.kill('SIGUSR2');
    for (let i = 0; i < 500 && n < want && s.child.exitCode === null; i++) {
      n = await counterSum(s.url, 'vlrerank_unhandled_rejections_total', {}).catch(() => 0);
      if (n < want) await new Promise((r) => setTimeout(r, 20));
    }
  }
  expect(s.child.exitCode).toBeNull();
  expect(n).toBe(2);
  expect((await fetch(`${s.url}/_vlrerank/health?live`)).status).toBe(200);
  expect(s.out()).toMatch(/"level":50.*MDB_MAP_FULL.*unhandled promise rejection/);
});
