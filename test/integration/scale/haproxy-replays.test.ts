/**
 * What docs/haproxy.cfg replays on another replica when one answers 502 (its engine cut the answer,
 * say): searches, counts, reads and reranks — they change nothing — but never a request that
 * changes the cluster or moves a cursor. The example listed writes to exclude (`_bulk`, `_doc`…);
 * a `POST _delete_by_query`, `_rollover`, `_reindex` ran up to four times, and a scroll
 * continuation replayed answered the next page (the client lost a page, unsaid). Debian's HAProxy
 * running that file; the replicas are a fault: each answers every request but its health checks
 * with a 502, and counts what reached it.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startHaproxy, type RunningHaproxy } from '../../helpers/haproxy.js';

/** A replica that is up (its checks answer 200) but answers every other request 502. */
async function replicaAnswering502(hits: Map<string, number>): Promise<{ url: string; srv: Server }> {
  const srv = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      if (req.url?.startsWith('/_vlrerank/health')) return void res.writeHead(200, { 'content-type': 'application/json' }).end('{"ready":true}');
      const key = `${req.method} ${req.url}`;
      hits.set(key, (hits.get(key) ?? 0) + 1);
      res.writeHead(502, { 'content-type': 'application/json' }).end('{"error":{"type":"bad_gateway","reason":"the engine cut its answer"},"status":502}');
    });
  });
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  return { url: `http://127.0.0.1:${(srv.address() as AddressInfo).port}`, srv };
}

const hits = new Map<string, number>();
let replicas: Array<{ url: string; srv: Server }>;
let lb: RunningHaproxy;
beforeAll(async () => {
  replicas = [await replicaAnswering502(hits), await replicaAnswering502(hits)];
  lb = await startHaproxy(replicas.map((r) => r.url));
}, 60_000);
afterAll(async () => {
  await lb?.stop();
  for (const r of replicas ?? []) await new Promise((ok) => (r.srv.closeAllConnections(), r.srv.close(ok)));
});

async function send(method: string, path: string, body?: string): Promise<number> {
  const res = await fetch(`${lb.url}${path}`, { method, headers: body ? { 'content-type': 'application/json' } : {}, body });
  await res.arrayBuffer();
  expect(res.status).toBe(502);
  return hits.get(`${method} ${path}`) ?? 0;
}

it('replays reads on a 502: searches, counts, reranks', { timeout: 60_000 }, async () => {
  expect(await send('POST', '/p9-idx/_search', '{}')).toBeGreaterThan(1);
  expect(await send('GET', '/p9-idx/_count')).toBeGreaterThan(1);
  expect(await send('POST', '/v1/rerank', '{"query":"q","documents":["a"]}')).toBeGreaterThan(1);
});

it('never replays what changes the cluster or moves a cursor', { timeout: 60_000 }, async () => {
  expect(await send('POST', '/p9-idx/_delete_by_query', '{"query":{"match_all":{}}}')).toBe(1);
  expect(await send('POST', '/p9-alias/_rollover', '{}')).toBe(1);
  expect(await send('POST', '/_reindex', '{}')).toBe(1);
  expect(await send('POST', '/p9-idx/_close')).toBe(1);
  expect(await send('POST', '/_search/scroll', '{"scroll":"1m","scroll_id":"abc"}')).toBe(1);
  expect(await send('GET', '/_search/scroll?scroll=1m&scroll_id=abc')).toBe(1);
  expect(await send('POST', '/p9-idx/_bulk', '{}')).toBe(1);
  expect(await send('PUT', '/p9-idx/_doc/1', '{}')).toBe(1);
});
