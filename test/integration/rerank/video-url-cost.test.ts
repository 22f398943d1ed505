/**
 * A video given by URL is costed at max_frames × 6 at admission (it is not fetched before), then
 * corrected once its header is read: the running request's permit shrinks to the frames the clip
 * will give, and a request queued behind it starts. Held-out probe round 8b: a video was costed at
 * max_frames × 6 for its whole run, so short clips kept others waiting (or refused) for work that
 * was never there. A real HTTP server plays the media host (three real Intel clips; one photo it
 * holds until the test lets it go, so the first request stays running); the real server and models
 * answer. Order only, nothing timed: the second request is answered while the first still waits.
 */
import { readFileSync } from 'node:fs';
import { createServer, type Server, type ServerResponse } from 'node:http';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { RunningServer } from '../../../src/server/start.js';
import { catalog, productImage } from '../../helpers/grocery.js';
import { DATA } from '../../helpers/paths.js';
import { closeLocal, listenLocal } from '../../helpers/local-host.js';
import { startRerankServer } from '../../helpers/rerank-server.js';

const CLIP = (n: string) => readFileSync(join(DATA, `intel-sample-videos/clips/${n}.mp4`));
const FILES: Record<string, Buffer> = { '/a.mp4': CLIP('bottle-detection'), '/b.mp4': CLIP('classroom'), '/c.mp4': CLIP('people-detection') }; // 3 s, 3 s, 1.9 s
const PHOTO = readFileSync(join(DATA, productImage(catalog()[0]!)));
const held = new Set<ServerResponse>();
let host: Server;
let hostUrl: string;
let srv: RunningServer;

beforeAll(async () => {
  host = createServer((req, res) => {
    const body = FILES[req.url ?? ''];
    if (body) return void res.writeHead(200, { 'content-type': 'video/mp4', 'content-length': String(body.length) }).end(body);
    held.add(res); // the photo: answered when the test says so
    res.on('close', () => held.delete(res));
  });
  hostUrl = await listenLocal(host);
  srv = await startRerankServer({
    'media.allowHosts': ['127.0.0.1'],
    'media.fetchTimeoutMs': 20_000,
    'rerank.warmup': false,
    'rerank.maxConcurrentRequests': 2,
    'rerank.admission.maxInFlightDocuments': 400,
    'rerank.admission.maxQueueWaitMs': 60_000,
    'rerank.admission.clientShare': 1,
  });
  const warm = await fetch(srv.url + '/v1/rerank', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query: 'warm', documents: [{ text: 'x', image: productImage(catalog()[2]!) }] }) });
  expect(warm.status).toBe(200);
}, 120_000);
afterAll(async () => {
  await srv?.close();
  await closeLocal(host);
});

const rerank = (body: unknown) =>
  fetch(srv.url + '/v1/rerank', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ ...(body as object), return_documents: false }) }).then(async (r) => ({ status: r.status, body: (await r.json()) as { errors?: unknown[] } }));

it('two URL clips of 3 s (costed 2 × 32 frames, then 2 × 3) let a queued request start while their request still runs', { timeout: 120_000 }, async () => {
  // 1 + 2 × 32 × 6 + 1 + 6 = 392 documents of work: the 194 of the second do not fit beside it in 400
  const first = rerank({ query: 'a classroom', documents: [{ video: `${hostUrl}/a.mp4` }, { video: `${hostUrl}/b.mp4` }, { text: 'a basket', image: `${hostUrl}/held.jpg` }] });
  while (held.size < 1) await new Promise((r) => setTimeout(r, 20)); // the first is running
  const second = await rerank({ query: 'people walking', documents: [{ video: `${hostUrl}/c.mp4` }, 'a street'] });
  const stillRunning = held.size;
  expect(second.status).toBe(200);
  expect(second.body.errors ?? []).toEqual([]);
  expect(stillRunning).toBe(1); // answered while the first still waits on its photo
  for (const r of held) r.writeHead(200, { 'content-type': 'image/jpeg', 'content-length': String(PHOTO.length) }).end(PHOTO);
  const a = await first;
  expect(a.status).toBe(200);
  expect(a.body.errors ?? []).toEqual([]);
  const health = (await (await fetch(srv.url + '/_vlrerank/health')).json()) as { rerank_admission: Record<string, number> };
  expect(health.rerank_admission).toMatchObject({ in_flight: 0, in_flight_documents: 0, queued: 0 });
});
