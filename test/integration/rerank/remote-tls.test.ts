/**
 * Held-out probe round 12d: a remote rerank worker behind TLS, as a GPU box behind its own
 * terminator (an https server here that requires Basic auth and relays to a real
 * `vlrerank serve --role worker`), its certificate signed by a private CA made with openssl per
 * run. `rerank.remote.tls.ca` verifies it; credentials in the worker's URL are sent as Basic auth
 * (they were dropped: the worker answered 401); without the CA the call fails saying why.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { RunningServer } from '../../../src/server/start.js';
import { spawnRerankProcess, startRerankServer } from '../../helpers/rerank-server.js';

const dir = mkdtempSync(join(tmpdir(), 'vlr-remote-tls-'));
const f = (n: string) => join(dir, n);
const openssl = (...args: string[]) => execFileSync('openssl', args, { stdio: 'pipe' });
const PASSWORD = 'p12d-gpu-password-42';
let worker: Awaited<ReturnType<typeof spawnRerankProcess>>;
let terminator: Server;
let port: number;
const cleanups: Array<() => Promise<unknown>> = [];

beforeAll(async () => {
  openssl('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', f('ca.key'), '-out', f('ca.pem'), '-days', '2', '-subj', '/CN=p12d test CA');
  openssl('req', '-newkey', 'rsa:2048', '-nodes', '-keyout', f('gpu.key'), '-out', f('gpu.csr'), '-subj', '/CN=localhost');
  writeFileSync(f('gpu.ext'), 'subjectAltName=DNS:localhost,IP:127.0.0.1\nextendedKeyUsage=serverAuth\n');
  openssl('x509', '-req', '-in', f('gpu.csr'), '-CA', f('ca.pem'), '-CAkey', f('ca.key'), '-CAcreateserial', '-out', f('gpu.pem'), '-days', '2', '-extfile', f('gpu.ext'));
  worker = await spawnRerankProcess({ role: 'worker', mediaRoots: false });
  const expected = `Basic ${Buffer.from(`gpu:${PASSWORD}`).toString('base64')}`;
  terminator = createServer({ key: readFileSync(f('gpu.key')), cert: readFileSync(f('gpu.pem')) }, async (req, res) => {
    let body = '';
    for await (const c of req) body += c;
    if (req.headers.authorization !== expected) {
      res.writeHead(401, { 'content-type': 'application/json' });
      return res.end('{"message":"authentication required"}');
    }
    const r = await fetch(`${worker.url}${req.url}`, { method: req.method, headers: { 'content-type': 'application/json' }, ...(req.method === 'POST' ? { body } : {}) });
    res.writeHead(r.status, { 'content-type': r.headers.get('content-type') ?? 'application/json' });
    res.end(await r.text());
  });
  await new Promise<void>((r) => terminator.listen(0, '127.0.0.1', r));
  port = (terminator.address() as AddressInfo).port;
}, 180_000);
afterAll(async () => {
  for (const c of cleanups.reverse()) await c();
  terminator?.closeAllConnections();
  await new Promise((r) => terminator?.close(r));
  await worker?.stop();
});

async function front(extra: Record<string, unknown>): Promise<RunningServer> {
  const srv = await startRerankServer({ 'rerank.warmup': false, 'rerank.remote.urls': [`https://gpu:${PASSWORD}@localhost:${port}`], ...extra });
  cleanups.push(() => srv.close());
  return srv;
}
async function rerank(srv: RunningServer): Promise<{ status: number; text: string; json: any }> {
  const res = await fetch(`${srv.url}/_vlrerank/rerank`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query: 'coffee', documents: ['a rocket', 'a cup of coffee'], backend: 'remote', explain: true }) });
  const text = await res.text();
  return { status: res.status, text, json: JSON.parse(text) };
}

it('verifies the worker with rerank.remote.tls.ca and sends the URL credentials as Basic auth; health names the worker without them', async () => {
  const srv = await front({ 'rerank.remote.tls': { ca: f('ca.pem') } });
  const r = await rerank(srv);
  expect(r.status, r.text).toBe(200);
  expect(r.json.results[0].index).toBe(1);
  expect(r.json.results[0].explanation.signals[0].detail.worker).toBe(`https://localhost:${port}`);
  const health = await (await fetch(`${srv.url}/_vlrerank/health`)).text();
  expect(health).toContain(`https://localhost:${port}`);
  expect(health).not.toContain(PASSWORD);
});

it('without the CA: a 502 that says the certificate did not verify (no hang, no password)', async () => {
  const r = await rerank(await front({}));
  expect(r.status, r.text).toBe(502);
  expect(r.json.error.reason).toMatch(/SELF_SIGNED|UNABLE_TO_VERIFY|CERT/);
  expect(r.text).not.toContain(PASSWORD);
});

it('a CA file that cannot be read stops the start naming rerank.remote.tls.ca', async () => {
  await expect(front({ 'rerank.remote.tls': { ca: f('missing.pem') } })).rejects.toThrow(/rerank\.remote\.tls\.ca: cannot read/);
});
