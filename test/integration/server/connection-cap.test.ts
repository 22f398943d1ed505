/**
 * Connections past `server.maxConnections` (fix19b; held-out probe round 18a left it): Node's own
 * cap closed them before a byte was written, which the client saw as a reset (`ECONNRESET`,
 * undici's `UND_ERR_SOCKET`), not an overload. Now a small reserve of connections past the cap gets
 * a 503 `VLR_OVERLOADED` with `Retry-After` and `Connection: close`, in the shape of the API asked,
 * and is then closed; the reserve keeps a place free by closing its longest-waiting idle socket
 * (408), so the door stays open while the descriptors stay bounded. The admitted connections here
 * are serving requests (head sent, body not yet): idle ones are closed to make room instead
 * (connection-slowloris.test.ts, fix20a). A real server in front of the real Elasticsearch, real
 * sockets and the real undici client.
 */
import { connect, type Socket } from 'node:net';
import { request } from 'undici';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { connectionReserve } from '../../../src/http/connection-cap.js';
import type { RunningServer } from '../../../src/server/start.js';
import { useEngine } from '../../helpers/engines.js';
import { startProxy } from '../../helpers/proxy.js';
import { header, parseResponses, rawExchange } from '../../helpers/raw-http.js';

let proxy: RunningServer;
let port: number;
const CAP = 2;
const open: Socket[] = [];

beforeAll(async () => {
  proxy = await startProxy([await useEngine('elasticsearch')], { server: { maxConnections: CAP } });
  port = Number(new URL(proxy.url).port);
});
afterAll(async () => {
  for (const s of open) s.destroy();
  await proxy?.close();
});

/** An idle connection the server has accepted (it holds a slot until destroyed). */
function idle(): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const s = connect(port, '127.0.0.1', () => resolve(s));
    s.on('error', () => undefined);
    s.once('error', reject);
    open.push(s);
  });
}

/** A connection whose request is being served: its head complete (the server saw it), its body not all sent yet. */
async function busy(): Promise<Socket> {
  const s = await idle();
  const seen = new Promise<void>((r) => proxy.server.once('request', () => r()));
  s.write('POST /_count HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 26\r\n\r\n{"query":');
  await seen;
  return s;
}

/** Wait until the server counts `n` connections (its own count: closes reach it asynchronously). */
async function serverHolds(n: number): Promise<void> {
  for (let i = 0; i < 400; i++) {
    const count = await new Promise<number>((r) => proxy.server.getConnections((_e, c) => r(c)));
    if (count === n) return;
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error(`the server never held ${n} connections`);
}

it('a connection past the cap gets a 503 with Retry-After and Connection: close, in the API’s shape, then is closed', { timeout: 60_000 }, async () => {
  const held = [await busy(), await busy()];
  await serverHolds(CAP);
  // the real client: an answer it can act on, not UND_ERR_SOCKET
  const r = await request(`${proxy.url}/_cluster/health`);
  const body = (await r.body.json()) as { error: { type: string; reason: string }; status: number };
  expect(r.statusCode).toBe(503);
  expect(r.headers['retry-after']).toBe('1');
  expect(r.headers['connection']).toBe('close');
  expect(body).toMatchObject({ status: 503, error: { type: 'es_rejected_execution_exception', reason: expect.stringContaining('too many client connections: 2 are open (server.maxConnections)') } });
  // a keep-alive request over a raw socket: the answer, then the server closes the socket itself
  const [raw] = parseResponses(await rawExchange(proxy.url, 'POST /v1/rerank HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n{}'), ['POST']);
  expect(raw!.status).toBe(503);
  expect(header(raw!, 'connection')).toBe('close');
  expect(header(raw!, 'retry-after')).toBe('1');
  // the rerank API's own error shape there
  expect(JSON.parse(raw!.body.toString())).toMatchObject({ object: 'error', code: 503, error: { type: 'es_rejected_execution_exception' } });
  // the admitted requests are still served
  const first = new Promise<string>((r) => held[0]!.once('data', (c: Buffer) => r(c.toString())));
  held[0]!.write('{"match_all":{}}}');
  expect(await first).toMatch(/^HTTP\/1\.1 200/);
  // one admitted connection closes: a held-back socket that asks now is admitted and served
  const waiting = await idle();
  held[1]!.destroy();
  await serverHolds(CAP);
  waiting.write('GET /_cluster/health HTTP/1.1\r\nHost: x\r\n\r\n');
  const served = await new Promise<string>((r) => waiting.once('data', (c: Buffer) => r(c.toString())));
  expect(served).toMatch(/^HTTP\/1\.1 200/);
});

it('with every admitted connection serving, the reserve keeps a place free: a flood of idle ones past it closes the longest-waiting with a 408, never holds more than cap + reserve, and the newest still gets its 503', { timeout: 60_000 }, async () => {
  for (const s of open.splice(0)) s.destroy();
  await serverHolds(0);
  const reserve = connectionReserve(CAP);
  const serving = [await busy(), await busy()];
  const waiting: Array<{ socket: Socket; got: () => string; closed: Promise<void> }> = [];
  for (let i = 0; i < reserve + 3; i++) {
    const socket = await idle();
    let got = '';
    socket.on('data', (c: Buffer) => (got += c.toString('latin1')));
    waiting.push({ socket, got: () => got, closed: new Promise((r) => socket.once('close', () => r())) });
  }
  const count = await new Promise<number>((r) => proxy.server.getConnections((_e, c) => r(c)));
  expect(count).toBeLessThanOrEqual(CAP + reserve);
  // before (fix19b): past the reserve the door closed — a reset; now the oldest waiting ones were told 408
  await waiting[0]!.closed;
  expect(waiting[0]!.got()).toMatch(/^HTTP\/1\.1 408 Request Timeout/);
  // the newest asks: every admitted one is still serving, so it is the reserve's 503 and a close
  const last = waiting.at(-1)!;
  last.socket.write('GET /_cluster/health HTTP/1.1\r\nHost: x\r\n\r\n');
  await last.closed;
  expect(last.got()).toMatch(/^HTTP\/1\.1 503/);
  for (const s of serving) expect(s.destroyed).toBe(false);
  for (const s of open.splice(0)) s.destroy();
  await serverHolds(0);
  const r = await request(`${proxy.url}/_cluster/health`);
  await r.body.dump();
  expect(r.statusCode).toBe(200);
});
