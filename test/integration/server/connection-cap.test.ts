/**
 * Connections past `server.maxConnections` (fix19b; held-out probe round 18a left it): Node's own
 * cap closed them before a byte was written, which the client saw as a reset (`ECONNRESET`,
 * undici's `UND_ERR_SOCKET`), not an overload. Now a small reserve of connections past the cap gets
 * a 503 `VLR_OVERLOADED` with `Retry-After` and `Connection: close`, in the shape of the API asked,
 * and is then closed; past the reserve Node still closes them at the door (bounded). A real server
 * in front of the real Elasticsearch, real sockets and the real undici client.
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
  const held = [await idle(), await idle()];
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
  // the admitted connections still work
  held[0]!.write('GET /_cluster/health HTTP/1.1\r\nHost: x\r\n\r\n');
  const first = await new Promise<string>((r) => held[0]!.once('data', (c: Buffer) => r(c.toString())));
  expect(first).toMatch(/^HTTP\/1\.1 200/);
  // one admitted connection closes: a held-back socket that asks now is admitted and served
  const waiting = await idle();
  held[1]!.destroy();
  await serverHolds(CAP);
  waiting.write('GET /_cluster/health HTTP/1.1\r\nHost: x\r\n\r\n');
  const served = await new Promise<string>((r) => waiting.once('data', (c: Buffer) => r(c.toString())));
  expect(served).toMatch(/^HTTP\/1\.1 200/);
});

it('past the reserve a connection is closed at the door unanswered (a flood spends no more descriptors), and served again once they go', { timeout: 60_000 }, async () => {
  for (const s of open.splice(0)) s.destroy();
  await serverHolds(0);
  const reserve = connectionReserve(CAP);
  for (let i = 0; i < CAP + reserve; i++) await idle();
  await serverHolds(CAP + reserve);
  const bytes = await rawExchange(proxy.url, 'GET /_cluster/health HTTP/1.1\r\nHost: x\r\n\r\n').catch((e: NodeJS.ErrnoException) => e.code);
  expect(bytes === 'ECONNRESET' || (Buffer.isBuffer(bytes) && bytes.length === 0)).toBe(true);
  for (const s of open.splice(0)) s.destroy();
  await serverHolds(0);
  const r = await request(`${proxy.url}/_cluster/health`);
  await r.body.dump();
  expect(r.statusCode).toBe(200);
});
