/**
 * Slowloris cannot lock everyone out (fix20a; held-out probe round 19c left it): with
 * `server.maxConnections: 8`, 8 connections sending half a request head made every new client a
 * 503 and 12 made it a reset, health included, until `server.headersTimeoutMs` (30 s) ended them.
 * Now a new connection at the cap closes the admitted one waiting longest without a complete
 * request head with Node's 408, and is served; an idle keep-alive between requests goes only when
 * none of those is left; a connection whose request is being served is never closed for room; a
 * flood still holds no more than cap + reserve descriptors. A real server in front of the real
 * Elasticsearch 8.19, the real text model, raw sockets and the real undici client.
 */
import { connect, type Socket } from 'node:net';
import { Writable } from 'node:stream';
import { Agent, request } from 'undici';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { parseConfig } from '../../../src/config/load.js';
import { connectionReserve } from '../../../src/http/connection-cap.js';
import { createLogger } from '../../../src/observability/logger.js';
import { startServer, type RunningServer } from '../../../src/server/start.js';
import { useEngine } from '../../helpers/engines.js';
import { onlyPipelines } from '../../helpers/http-server.js';
import { MODELS } from '../../helpers/paths.js';
import { textPipeline } from '../../helpers/search-fixtures.js';
import { until } from '../../helpers/until.js';

const CAP = 8;
const INDEX = 'f20a-slowloris';
let engineUrl: string;
let srv: RunningServer;
let port: number;
let log = '';
const open: Socket[] = [];

beforeAll(async () => {
  engineUrl = await useEngine('elasticsearch');
  await fetch(`${engineUrl}/${INDEX}`, { method: 'DELETE' });
  const docs = ['apple juice, pressed', 'orange juice with pulp', 'apple pie with a crust'].flatMap((title, i) => [JSON.stringify({ index: { _index: INDEX, _id: String(i) } }), JSON.stringify({ title, text: title })]);
  expect((await fetch(`${engineUrl}/_bulk?refresh=true`, { method: 'POST', headers: { 'content-type': 'application/x-ndjson' }, body: docs.join('\n') + '\n' })).status).toBe(200);
  const config = parseConfig({
    server: { host: '127.0.0.1', port: 0, ui: false, maxConnections: CAP },
    upstream: { urls: [engineUrl] },
    log: { level: 'info', access: true },
    models: { dir: MODELS, intraOpThreads: 2 },
    store: { disk: { path: 'off' } },
    pipelines: { dir: onlyPipelines({ 'sl.yaml': textPipeline('f20a-sl', `${INDEX}*`) }) },
    rerank: { admission: { maxQueueWaitMs: 300_000 } },
  });
  const sink = new Writable({ write: (c, _e, cb) => ((log += c.toString()), cb()) });
  srv = await startServer(config, { logger: createLogger('info', sink) });
  port = Number(new URL(srv.url).port);
}, 300_000);

afterAll(async () => {
  for (const s of open) s.destroy();
  await srv?.close();
  await fetch(`${engineUrl}/${INDEX}`, { method: 'DELETE' }).catch(() => undefined);
});

/** Connections the server holds now (its own count). */
const held = () => new Promise<number>((r) => srv.server.getConnections((_e, c) => r(c)));

/** A connection that sends half a request head and then nothing; what the server sends it is kept. */
async function halfHead(): Promise<{ socket: Socket; got: () => string; closed: Promise<void> }> {
  let got = '';
  // accepted (seen by the server, after its own listener) before the next one comes: the order is the one it sees
  const accepted = new Promise<void>((r) => srv.server.once('connection', () => r()));
  const socket = connect(port, '127.0.0.1');
  socket.on('error', () => undefined);
  socket.on('data', (c: Buffer) => (got += c.toString('latin1')));
  const closed = new Promise<void>((r) => socket.once('close', () => r()));
  await new Promise<void>((r) => socket.once('connect', () => r()));
  socket.write('GET /_vlrerank/health HTTP/1.1\r\nHost: x\r\nX-Slow: ');
  open.push(socket);
  await accepted;
  return { socket, got: () => got, closed };
}

async function closeAll(): Promise<void> {
  for (const s of open.splice(0)) s.destroy();
  await until(async () => (await held()) === 0, { tries: 3000, everyMs: 10, what: 'every connection gone' });
}

const reranked = () => request(`${srv.url}/${INDEX}/_search`, { reset: true, method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query: { match: { title: 'juice' } }, ext: { vlrerank: { query: { text: 'apple juice' } } } }) });

it('12 half-sent heads behind a cap of 8: health and a reranked search answer 200, the longest-waiting heads get a 408, counted and logged', { timeout: 300_000 }, async () => {
  const slow = [];
  for (let i = 0; i < 12; i++) slow.push(await halfHead());
  expect(await held()).toBeLessThanOrEqual(CAP + connectionReserve(CAP));
  const health = await request(`${srv.url}/_vlrerank/health?live`, { reset: true });
  await health.body.dump();
  expect(health.statusCode).toBe(200); // before: a reset (curl 56), or the reserve's 503
  const search = await reranked();
  const body = (await search.body.json()) as { hits: { hits: Array<{ _id: string }> }; vlrerank?: { pipeline: string; degraded: unknown } };
  expect(search.statusCode, JSON.stringify(body).slice(0, 300)).toBe(200);
  expect(body.vlrerank).toMatchObject({ pipeline: 'f20a-sl', degraded: false });
  // the first ones sent waited longest: they were answered Node's 408 and closed
  await slow[0]!.closed;
  expect(slow[0]!.got()).toMatch(/^HTTP\/1\.1 408 Request Timeout\r\nConnection: close\r\n/);
  // the newest slow head was not closed for the two requests
  expect(slow[11]!.socket.destroyed).toBe(false);
  const metrics = await (await request(`${srv.url}/_vlrerank/metrics`, { reset: true })).body.text();
  const shed = Number(/^vlrerank_connections_shed_total\{kind="no_request"\} (\d+)/m.exec(metrics)?.[1]);
  expect(shed).toBeGreaterThanOrEqual(5); // 4 over the cap, then health found the cap full of half heads
  expect(metrics).toMatch(/^vlrerank_connections_shed_total\{kind="between_requests"\} 0$/m);
  // the access line of a shed connection, and the rate-limited warning naming the cause
  expect(log).toMatch(/"status":408[^\n]*"route":"unparsed"[^\n]*"error":"VLR_CONNECTION_SHED"/);
  expect(log).toMatch(/a connection with no complete request head was answered 408 and closed to let a new one in/);
  await closeAll();
});

/** Connections shed so far, by kind (read in the process: a scrape would be a connection of its own). */
async function shedCount(kind: string): Promise<number> {
  return (await srv.services.metrics.connectionsShed.get()).values.find((v) => v.labels.kind === kind)?.value ?? 0;
}

/** A request being served: its head complete (the server saw it), its body not all sent yet; `finish` sends the rest. */
async function busyRequest(): Promise<{ socket: Socket; got: () => string; finish: () => void }> {
  const socket = connect(port, '127.0.0.1');
  let got = '';
  socket.on('data', (c: Buffer) => (got += c.toString('latin1')));
  socket.on('error', () => undefined);
  open.push(socket);
  const seen = new Promise<void>((r) => srv.server.once('request', () => r()));
  socket.write(`POST /${INDEX}/_count HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 26\r\n\r\n{"query":`);
  await seen;
  return { socket, got: () => got, finish: () => void socket.write('{"match_all":{}}}') };
}

it('an idle keep-alive between requests goes only when no connection waits for its first head; a request being served is never closed', { timeout: 120_000 }, async () => {
  await closeAll();
  // the oldest: a keep-alive connection that asked once and is now idle
  const keep = new Agent({ connections: 1, keepAliveTimeout: 600_000 });
  const first = await request(`${srv.url}/_vlrerank/health?live`, { dispatcher: keep });
  await first.body.dump();
  const busy = [await busyRequest()];
  const slow = [];
  for (let i = 0; i < CAP - 2; i++) slow.push(await halfHead());
  expect(await held()).toBe(CAP);
  // a new connection closes the half-sent head that waited longest — not the older idle keep-alive, not the busy one
  const idleShed = await shedCount('between_requests');
  const newcomer = await halfHead();
  await slow[0]!.closed;
  expect(slow[0]!.got()).toMatch(/^HTTP\/1\.1 408/);
  expect(await shedCount('between_requests')).toBe(idleShed);
  expect(busy[0]!.socket.destroyed).toBe(false);
  // no half-sent head left, the rest of the cap serving requests: the next one closes the idle keep-alive (silently)
  for (const s of [...slow.slice(1), newcomer]) s.socket.destroy();
  await until(async () => (await held()) === 2, { tries: 3000, everyMs: 10, what: 'the half heads gone' });
  for (let i = 0; i < CAP - 2; i++) busy.push(await busyRequest());
  const r = await request(`${srv.url}/_vlrerank/health?live`, { reset: true });
  await r.body.dump();
  expect(r.statusCode).toBe(200);
  expect(await shedCount('between_requests')).toBe(idleShed + 1);
  // every admitted connection serving a request: none is closed for room, the new one gets the reserve's 503
  busy.push(await busyRequest());
  const over = await request(`${srv.url}/_vlrerank/health?live`, { reset: true });
  await over.body.dump();
  expect(over.statusCode).toBe(503);
  expect(over.headers['retry-after']).toBe('1');
  // each request being served finishes and is answered
  for (const b of busy) {
    expect(b.socket.destroyed).toBe(false);
    b.finish();
  }
  await until(() => busy.every((b) => /"count":3/.test(b.got())), { tries: 1000, everyMs: 20, what: 'every busy request answered' });
  for (const b of busy) expect(b.got()).toMatch(/^HTTP\/1\.1 200/);
  await keep.close();
  await closeAll();
});

it('a flood of 200 idle connections never holds more than cap + reserve, and health answers 200 during and after it', { timeout: 120_000 }, async () => {
  await closeAll();
  const flood: Socket[] = [];
  await Promise.all(
    Array.from({ length: 200 }, () =>
      new Promise<void>((r) => {
        const s = connect(port, '127.0.0.1', () => r());
        s.on('error', () => r());
        flood.push(s);
        open.push(s);
      }),
    ),
  );
  let most = 0;
  for (let i = 0; i < 20; i++) {
    most = Math.max(most, await held());
    await new Promise((r) => setTimeout(r, 5));
  }
  expect(most).toBeLessThanOrEqual(CAP + connectionReserve(CAP));
  const during = await request(`${srv.url}/_vlrerank/health?live`, { reset: true });
  await during.body.dump();
  expect(during.statusCode).toBe(200);
  await closeAll();
  const after = await request(`${srv.url}/_vlrerank/health?live`, { reset: true });
  await after.body.dump();
  expect(after.statusCode).toBe(200);
});
