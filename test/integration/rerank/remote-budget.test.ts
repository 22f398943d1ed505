/**
 * A request's budget reaches the remote worker: the proxy sends what is left until its own media
 * cut-off as the worker's `x-vlrerank-budget-ms`, so a vlrerank worker gives up its late media in
 * time and answers before the proxy's deadline. Before, the worker was given the remote call's
 * whole time-out (60 s here), waited on a media host that never answers, and the proxy's budget
 * ran out first: a remote-only rerank was a 504. A real worker process (`serve --role worker`), a
 * real HTTP server playing the media host (`/slow-*` never answered), real models.
 */
import { readFileSync } from 'node:fs';
import { createServer, type Server, type ServerResponse } from 'node:http';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { RunningServer } from '../../../src/server/start.js';
import { catalog, productImage } from '../../helpers/grocery.js';
import { DATA } from '../../helpers/paths.js';
import { spawnRerankProcess, startRerankServer } from '../../helpers/rerank-server.js';
import { closeLocal, listenLocal } from '../../helpers/local-host.js';

const PHOTO = readFileSync(join(DATA, productImage(catalog()[0]!)));
const held = new Set<ServerResponse>();
let host: Server;
let hostUrl: string;
let worker: Awaited<ReturnType<typeof spawnRerankProcess>>;
let srv: RunningServer;

beforeAll(async () => {
  host = createServer((req, res) => {
    if (req.url?.startsWith('/photo')) return void res.writeHead(200, { 'content-type': 'image/jpeg', 'content-length': String(PHOTO.length) }).end(PHOTO);
    held.add(res);
    res.on('close', () => held.delete(res));
  });
  hostUrl = await listenLocal(host);
  worker = await spawnRerankProcess({ role: 'worker', mediaRoots: false, env: { VLRERANK_MEDIA_ALLOW_HOSTS: '127.0.0.1' } });
  srv = await startRerankServer({ 'rerank.remote.urls': [worker.url], 'rerank.remote.timeoutMs': 60_000, 'rerank.warmup': false });
  // the worker's models loaded first (on first use they would count against the budget)
  const warm = await fetch(`${worker.url}/v1/rerank`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query: 'warm', documents: [{ text: 'x', image: `${hostUrl}/photo-warm.jpg` }] }) });
  expect(warm.status).toBe(200);
}, 180_000);
afterAll(async () => {
  await srv?.close();
  await worker?.stop();
  await closeLocal(host);
});

it('a remote-only rerank whose worker waits on a media host that never answers: the worker cuts it off in time, 200', { timeout: 120_000 }, async () => {
  const t = performance.now();
  const res = await fetch(`${srv.url}/_vlrerank/rerank`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-vlrerank-budget-ms': '5000' },
    body: JSON.stringify({ query: 'fresh fruit', backend: 'remote', explain: true, documents: [{ text: 'a basket', image: `${hostUrl}/slow-1.jpg` }, { image: `${hostUrl}/photo-1.jpg` }, 'fresh fruit and vegetables'] }),
  });
  const body = (await res.json()) as { results: Array<{ explanation: { signals: Array<{ name: string }> } }> };
  console.log(`[remote-budget] budget 5000 ms, a worker URL never answered: ${res.status} in ${Math.round(performance.now() - t)} ms`);
  expect(res.status, JSON.stringify(body)).toBe(200);
  expect(body.results).toHaveLength(3);
  for (const r of body.results) expect(r.explanation.signals.map((s) => s.name)).toEqual(['remote']);
  for (let i = 0; i < 200 && held.size > 0; i++) await new Promise((r) => setTimeout(r, 50));
  expect(held.size).toBe(0); // the worker gave up the fetch
});
