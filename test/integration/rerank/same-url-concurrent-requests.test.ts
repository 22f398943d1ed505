/**
 * The same media URL named by concurrent requests is fetched once (held-out probe round 8b: 12
 * concurrent requests, 12 fetches — the features were computed once, the fetch was not). One
 * request hanging up does not fail the others' shared fetch; the last one leaving aborts it.
 * A real HTTP server started here plays the media host: it counts what it is asked and holds each
 * answer until the test lets it go (so every request is waiting on the one fetch); the real
 * server with the real models answers. Twelve requests run at once (`maxConcurrentRequests: 12`:
 * requests queued by admission reach the media stage only after the fetch has settled).
 */
import { readFileSync } from 'node:fs';
import { createServer, type Server, type ServerResponse } from 'node:http';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningServer } from '../../../src/server/start.js';
import { catalog, productImage } from '../../helpers/grocery.js';
import { DATA } from '../../helpers/paths.js';
import { closeLocal, listenLocal } from '../../helpers/local-host.js';
import { startRerankServer } from '../../helpers/rerank-server.js';

const PHOTO = readFileSync(join(DATA, productImage(catalog()[3]!)));
const asked = new Map<string, number>();
const held = new Map<string, ServerResponse[]>();
let host: Server;
let hostUrl: string;
let srv: RunningServer;

beforeAll(async () => {
  host = createServer((req, res) => {
    const path = new URL(req.url ?? '/', 'http://x').pathname;
    asked.set(path, (asked.get(path) ?? 0) + 1);
    held.set(path, [...(held.get(path) ?? []), res]);
    res.on('close', () => held.set(path, (held.get(path) ?? []).filter((r) => r !== res)));
  });
  hostUrl = await listenLocal(host);
  srv = await startRerankServer({ 'media.allowHosts': ['127.0.0.1'], 'rerank.warmup': false, 'rerank.maxConcurrentRequests': 12, 'rerank.admission.clientShare': 1 });
  // the models loaded first, so that the requests below all wait on the fetch at once
  const warm = await fetch(srv.url + '/v1/rerank', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query: 'warm', documents: [{ text: 'x', image: productImage(catalog()[2]!) }] }) });
  expect(warm.status).toBe(200);
}, 120_000);
afterAll(async () => {
  await srv?.close();
  await closeLocal(host);
});

const answer = (path: string) => {
  for (const res of held.get(path) ?? []) res.writeHead(200, { 'content-type': 'image/jpeg', 'content-length': String(PHOTO.length) }).end(PHOTO);
};

function rerank(path: string, i: number, signal?: AbortSignal) {
  return fetch(srv.url + '/v1/rerank', {
    method: 'POST',
    signal,
    headers: { 'content-type': 'application/json', 'x-vlrerank-client': `c${i}` },
    body: JSON.stringify({ query: `fresh fruit ${i}`, documents: [{ image: `${hostUrl}${path}` }, `item ${i}`], return_documents: false }),
  }).then(async (r) => ({ status: r.status, body: (await r.json()) as { errors?: unknown[]; results: unknown[] } }));
}

/** Let every request reach its media stage (an ordering wait, nothing timed is asserted). */
const settle = () => new Promise((r) => setTimeout(r, 1500));

const inFlight = async () => ((await (await fetch(srv.url + '/_vlrerank/health')).json()) as { rerank_admission: { in_flight: number } }).rerank_admission.in_flight;

/** Every request admitted and running (past admission nothing waits before the media stage), then a settle. */
async function allRunning(n: number): Promise<void> {
  for (let i = 0; i < 600 && (await inFlight()) < n; i++) await new Promise((r) => setTimeout(r, 50));
  expect(await inFlight()).toBe(n);
  await settle();
}

async function eventually(f: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 300 && !f(); i++) await new Promise((r) => setTimeout(r, 50));
  if (!f()) throw new Error(`never: ${what}`);
}

describe('one URL named by concurrent requests', () => {
  it('12 requests: one fetch; 3 of them hanging up do not fail the other 9', { timeout: 120_000 }, async () => {
    const quitters = Array.from({ length: 3 }, () => new AbortController());
    const calls = Array.from({ length: 12 }, (_, i) => rerank('/shared.jpg', i, quitters[i]?.signal));
    calls.forEach((c) => c.catch(() => undefined));
    await eventually(() => (asked.get('/shared.jpg') ?? 0) >= 1, 'the host asked');
    await allRunning(12);
    for (const q of quitters) q.abort(new Error('client gone'));
    await settle();
    expect(held.get('/shared.jpg')).toHaveLength(1); // still under way for the 9 left
    answer('/shared.jpg');
    const done = await Promise.allSettled(calls);
    const stayed = done.slice(3).map((d) => (d.status === 'fulfilled' ? d.value : { status: 0, body: { errors: ['rejected'], results: [] } }));
    expect(stayed.map((s) => s.status)).toEqual(Array(9).fill(200));
    expect(stayed.map((s) => s.body.errors ?? [])).toEqual(Array(9).fill([]));
    expect(asked.get('/shared.jpg')).toBe(1);
  });

  it('every request hanging up aborts the shared fetch', { timeout: 120_000 }, async () => {
    const quitters = Array.from({ length: 3 }, () => new AbortController());
    const calls = quitters.map((q, i) => rerank('/abandoned.jpg', 20 + i, q.signal).catch(() => undefined));
    await eventually(() => (held.get('/abandoned.jpg') ?? []).length === 1, 'the host asked');
    await allRunning(3);
    quitters[0]!.abort();
    quitters[1]!.abort();
    await settle();
    expect(held.get('/abandoned.jpg')).toHaveLength(1); // one request still waits: the fetch goes on
    quitters[2]!.abort();
    await eventually(() => (held.get('/abandoned.jpg') ?? []).length === 0, 'the fetch aborted once the last request left');
    await Promise.all(calls);
    expect(asked.get('/abandoned.jpg')).toBe(1);
  });
});
