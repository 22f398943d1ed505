/**
 * A media host that is slow to answer holds fetch slots, not the media slots a local photo needs:
 * while one client's request waits on 8 photo URLs whose host has not answered, another client's
 * request with a local photo is answered. Held-out probe round 8b: the 8 process-wide media slots
 * were held for the whole wait on the network, and the local photo (0.13 s alone) was answered
 * only once those fetches had timed out (16 s behind 8 URLs answered after 9 s).
 * A real HTTP server started here plays the host (it holds every response until the test ends);
 * the real server, real models and a real grocery photo do the rest. Order only, no time measured:
 * the local photo's answer must come while all 8 of the host's connections are still open.
 */
import { createServer, type Server, type ServerResponse } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningServer } from '../../../src/server/start.js';
import { catalog, productImage } from '../../helpers/grocery.js';
import { startRerankServer } from '../../helpers/rerank-server.js';
import { closeLocal, listenLocal } from '../../helpers/local-host.js';

const held = new Set<ServerResponse>();
let host: Server;
let hostUrl: string;
let srv: RunningServer;

beforeAll(async () => {
  host = createServer((_req, res) => {
    held.add(res); // never answered: the fetch waits until its time-out
    res.on('close', () => held.delete(res));
  });
  hostUrl = await listenLocal(host);
  srv = await startRerankServer({ 'media.allowHosts': ['127.0.0.1'], 'media.fetchTimeoutMs': 20_000, 'rerank.warmup': false });
});
afterAll(async () => {
  await srv?.close();
  await closeLocal(host);
});

const rerank = (client: string, body: unknown) =>
  fetch(srv.url + '/v1/rerank', { method: 'POST', headers: { 'content-type': 'application/json', 'x-vlrerank-client': client }, body: JSON.stringify(body) });

describe('a slow media host and another client\'s local photo', () => {
  it('the local photo is answered while the 8 URLs still wait on their host', { timeout: 120_000 }, async () => {
    const slow = rerank('a', { query: 'fresh fruit', documents: Array.from({ length: 8 }, (_, i) => ({ text: `item ${i}`, image: `${hostUrl}/photo-${i}.jpg` })) });
    while (held.size < 8) await new Promise((r) => setTimeout(r, 20)); // every URL is being fetched
    const local = await rerank('b', { query: 'fresh fruit', documents: [{ image: productImage(catalog()[1]!) }], return_documents: false });
    const stillWaiting = held.size;
    expect(local.status).toBe(200);
    const b = (await local.json()) as { results: unknown[]; errors?: unknown[] };
    expect(b.errors ?? []).toEqual([]);
    expect(stillWaiting).toBe(8); // answered before any of the slow fetches ended
    host.closeAllConnections(); // let the slow request finish: its documents' media fail, it answers
    expect((await slow).status).toBe(200);
  });
});
