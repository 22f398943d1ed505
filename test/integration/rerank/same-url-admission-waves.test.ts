/**
 * One URL named by 12 concurrent requests while 4 run at once (the default) is fetched once, not
 * once per admission wave (stop 27: 3 fetches — a request queued by admission reached its media
 * after the shared fetch had settled, and a URL without validators was fetched again). The bytes
 * of a fetch are kept a few seconds for the asks that follow (src/features/media/recent.ts). A
 * real HTTP server here plays a slow media host (each answer after 1 s, no validators) and counts
 * what it is asked; the real server with the real models answers.
 */
import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { RunningServer } from '../../../src/server/start.js';
import { catalog, productImage } from '../../helpers/grocery.js';
import { DATA } from '../../helpers/paths.js';
import { closeLocal, listenLocal } from '../../helpers/local-host.js';
import { startRerankServer } from '../../helpers/rerank-server.js';

const PHOTO = readFileSync(join(DATA, productImage(catalog()[5]!)));
let asked = 0;
let host: Server;
let hostUrl: string;
let srv: RunningServer;

beforeAll(async () => {
  host = createServer((_req, res) => {
    asked++;
    setTimeout(() => res.writeHead(200, { 'content-type': 'image/jpeg', 'content-length': String(PHOTO.length) }).end(PHOTO), 1_000);
  });
  hostUrl = await listenLocal(host);
  // a keep of 60 s (10 s by default): the third wave starts after two waves' work, which a loaded CI machine may stretch
  srv = await startRerankServer({ 'media.allowHosts': ['127.0.0.1'], 'media.keepFetchedMs': 60_000, 'rerank.warmup': false, 'rerank.maxConcurrentRequests': 4, 'rerank.admission.clientShare': 1, 'rerank.admission.maxQueueWaitMs': 300_000 });
  const warm = await fetch(srv.url + '/v1/rerank', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query: 'warm', documents: [{ text: 'x', image: productImage(catalog()[2]!) }] }) });
  expect(warm.status).toBe(200);
}, 120_000);
afterAll(async () => {
  await srv?.close();
  await closeLocal(host);
});

it('12 requests, 4 running at once: one fetch, every request answered with the photo', { timeout: 180_000 }, async () => {
  const calls = Array.from({ length: 12 }, (_, i) =>
    fetch(srv.url + '/v1/rerank', {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-vlrerank-client': `c${i}` },
      body: JSON.stringify({ query: `fresh fruit ${i}`, documents: [{ image: `${hostUrl}/waves.jpg` }, `item ${i}`], return_documents: false }),
    }).then(async (r) => ({ status: r.status, body: (await r.json()) as { errors?: unknown[] } })),
  );
  const done = await Promise.all(calls);
  expect(done.map((d) => d.status)).toEqual(Array(12).fill(200));
  expect(done.map((d) => d.body.errors ?? [])).toEqual(Array(12).fill([]));
  expect(asked).toBe(1);
});
