/**
 * A URL a remote rerank worker is given passes this process's media rules first (held-out probe
 * round 25a). The front refused a client's loopback photo URL for its own fetch (`media.allowHosts`,
 * the SSRF guard) but handed it unchanged to the worker, which fetched it — a worker inside the
 * network (vLLM fetches whatever it is given; a vlrerank worker allowed its own CDN) read an internal
 * photo for any client, whose score then told what it showed (0.84 for "kitchen" on a kitchen).
 * Real parts: the front and a real `vlrerank serve --role worker` (allowing loopback), a photo host
 * on loopback that counts what it is asked.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { RunningServer } from '../../../src/server/start.js';
import { spawnRerankProcess, startRerankServer } from '../../helpers/rerank-server.js';
import { DATA } from '../../helpers/paths.js';

const PHOTO = readFileSync(join(DATA, 'skimage-clip-smoke/images/chelsea.png'));
let host: Server;
let port = 0;
const asked: string[] = [];
let worker: Awaited<ReturnType<typeof spawnRerankProcess>>;
const cleanups: Array<() => Promise<unknown>> = [];

beforeAll(async () => {
  host = createServer((req, res) => {
    asked.push(req.url ?? '');
    res.writeHead(200, { 'content-type': 'image/png' }).end(PHOTO);
  });
  await new Promise<void>((r) => host.listen(0, '127.0.0.1', r));
  port = (host.address() as AddressInfo).port;
  worker = await spawnRerankProcess({ role: 'worker', mediaRoots: false, env: { VLRERANK_MEDIA_ALLOW_HOSTS: '127.0.0.1,localhost' } });
}, 180_000);
afterAll(async () => {
  for (const c of cleanups.reverse()) await c();
  await worker?.stop();
  await new Promise((r) => host.close(r));
});

async function front(extra: Record<string, unknown> = {}): Promise<RunningServer> {
  const srv = await startRerankServer({ 'rerank.warmup': false, 'rerank.remote.urls': [worker.url], 'rerank.remote.timeoutMs': 120_000, ...extra });
  cleanups.push(() => srv.close());
  return srv;
}
async function rerank(srv: RunningServer, documents: unknown[]): Promise<{ status: number; text: string; json: any }> {
  const res = await fetch(`${srv.url}/_vlrerank/rerank`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query: 'a cat', documents, backend: 'remote' }) });
  const text = await res.text();
  return { status: res.status, text, json: JSON.parse(text) };
}

it('a loopback photo URL this process refuses is not handed to the worker: the document goes on its text with the refusal, and the host is never asked', async () => {
  const srv = await front();
  asked.length = 0;
  const docs = [{ text: 'a cat', image: `http://127.0.0.1:${port}/ip.png` }, { text: 'a dog', image: `http://localhost:${port}/name.png` }, 'a cup of coffee'];
  const r = await rerank(srv, docs);
  expect(r.status, r.text).toBe(200);
  expect(r.json.errors.map((e: any) => [e.index, e.code])).toEqual([
    [0, 'VLR_MEDIA_FORBIDDEN'],
    [1, 'VLR_MEDIA_FORBIDDEN'],
  ]);
  expect(r.json.errors[0].reason).toMatch(/^\[documents\[0\]\.image\] media URL http:\/\/127\.0\.0\.1:\d+\/ip\.png is not allowed: 127\.0\.0\.1 is a loopback address/);
  expect(r.json.errors[1].reason).toMatch(/^\[documents\[1\]\.image\] media host localhost is not allowed: it resolves to a loopback address \(checked before handing it to a remote worker\)/);
  expect(asked).toEqual([]);
}, 240_000);

it('a URL this process allows is still handed to the worker, which fetches it', async () => {
  const srv = await front({ 'media.allowHosts': ['127.0.0.1'] });
  asked.length = 0;
  const r = await rerank(srv, [{ image: `http://127.0.0.1:${port}/allowed.png` }, 'a cup of coffee']);
  expect(r.status, r.text).toBe(200);
  expect(r.json.errors).toEqual([]);
  expect(asked).toEqual(['/allowed.png']);
}, 240_000);
