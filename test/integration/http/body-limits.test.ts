/**
 * Limits before reading, and time-outs for clients that never finish (issue 13), over raw sockets:
 *   - a declared Content-Length over server.maxJsonBodyBytes → 413 at once, with not a byte of the
 *     body sent, and the client that does send it still reads the 413 (not EPIPE/ECONNRESET);
 *   - `Expect: 100-continue` with an oversized length → 413 and no `100 Continue`; a fitting one
 *     gets its `100 Continue`;
 *   - a chunked body → 413 as soon as it crosses the limit, long before the client is done;
 *   - a client trickling header lines (slowloris) is cut after server.headersTimeoutMs, and one
 *     whose body never arrives after server.requestTimeoutMs, while others are served meanwhile.
 */
import { request as httpRequest } from 'node:http';
import { connect, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningServer } from '../../../src/server/start.js';
import { useEngine } from '../../helpers/engines.js';
import { startEdgeServer } from '../../helpers/http-server.js';
import { parseResponses, rawExchange } from '../../helpers/raw-http.js';

const LIMIT = 1024 * 1024;
const HUGE = 50 * 1024 * 1024;
let srv: RunningServer;
let port: number;

beforeAll(async () => {
  const es = await useEngine('elasticsearch');
  srv = await startEdgeServer({ upstream: es, server: { maxJsonBodyBytes: LIMIT, headersTimeoutMs: 1_000, requestTimeoutMs: 3_000, connectionsCheckingIntervalMs: 200 } });
  port = Number(new URL(srv.url).port);
});
afterAll(async () => {
  await srv?.close();
});

const head = (path: string, extra: string) => `POST ${path} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n${extra}\r\n`;

describe.each(['/v1/rerank', '/_vlrerank/rerank', '/hard-http-any/_search'])('%s', (path) => {
  it('a Content-Length over the limit → 413 before any of the body is sent, then the connection closes', async () => {
    // only the head goes out: the answer must come without waiting for the body
    const data = await rawExchange(srv.url, head(path, `Content-Length: ${HUGE}\r\n`), { timeoutMs: 15_000 });
    const [res] = parseResponses(data, ['POST']);
    expect(res!.status).toBe(413);
    expect(res!.headers.find(([k]) => k.toLowerCase() === 'connection')?.[1]).toBe('close');
    expect((JSON.parse(res!.body.toString()) as { error: { vlrerank_code: string } }).error.vlrerank_code).toBe('VLR_BODY_TOO_LARGE');
  });

  it('Expect: 100-continue with an oversized length → 413 and no 100 Continue', async () => {
    const data = await rawExchange(srv.url, head(path, `Content-Length: ${HUGE}\r\nExpect: 100-continue\r\n`), { timeoutMs: 15_000 });
    const [res] = parseResponses(data, ['POST']);
    expect(res!.interim).toEqual([]);
    expect(res!.status).toBe(413);
  });
});

it('Expect: 100-continue with a fitting length gets 100 Continue, then the answer', async () => {
  const body = '{"documents": "not a list"}';
  const data = await rawExchange(srv.url, head('/v1/rerank', `Content-Length: ${body.length}\r\nExpect: 100-continue\r\nConnection: close\r\n`), { onInterim: (write) => write(body) });
  const [res] = parseResponses(data, ['POST']);
  expect(res!.interim).toEqual([100]);
  expect(res!.status).toBe(400); // the body arrived and was read: its mistake is named
});

it('a client that sends the oversized body anyway reads the 413, not a reset', async () => {
  const chunk = Buffer.alloc(256 * 1024, 0x20);
  const status = await new Promise<number>((resolve, reject) => {
    const req = httpRequest({ host: '127.0.0.1', port, method: 'POST', path: '/v1/rerank', headers: { 'content-type': 'application/json', 'content-length': HUGE } });
    req.on('response', (res) => {
      res.resume();
      resolve(res.statusCode!);
    });
    req.on('error', reject); // EPIPE / ECONNRESET before the answer fails the test
    let sent = 0;
    const pump = () => {
      while (sent < HUGE) {
        sent += chunk.length;
        if (!req.write(chunk)) return void req.once('drain', pump);
      }
      req.end();
    };
    pump();
  });
  expect(status).toBe(413);
});

it('a chunked body → 413 as soon as it crosses the limit', async () => {
  const s = connect(port, '127.0.0.1');
  await new Promise((r) => s.once('connect', r));
  let got = '';
  const answered = new Promise<void>((resolve) => s.on('data', (c: Buffer) => ((got += c.toString('latin1')), got.includes('\r\n\r\n') && resolve())));
  s.on('error', () => undefined); // the server may cut the rest after its answer
  s.write(head('/v1/rerank', 'Transfer-Encoding: chunked\r\n'));
  const chunk = Buffer.alloc(64 * 1024, 0x20);
  let sent = 0;
  let done = false;
  void answered.then(() => (done = true));
  // up to 64 MiB, one chunk at a time, stopping when the answer is in
  while (!done && sent < 64 * LIMIT) {
    const ok = s.write(`${chunk.length.toString(16)}\r\n`) && s.write(chunk) && s.write('\r\n');
    sent += chunk.length;
    if (!ok) await Promise.race([new Promise((r) => s.once('drain', r)), answered]);
  }
  await answered;
  s.destroy();
  expect(got.startsWith('HTTP/1.1 413')).toBe(true);
  expect(sent).toBeLessThan(16 * LIMIT); // answered near the limit, not after the client's 64 MiB
});

/** Write `line` every 100 ms until the server closes the socket; resolves with what it sent back. */
function trickle(s: Socket, line: string, max = 300): Promise<{ closed: boolean; data: string }> {
  return new Promise((resolve) => {
    let data = '';
    let n = 0;
    s.on('data', (c: Buffer) => (data += c.toString('latin1')));
    s.on('error', () => undefined);
    const t = setInterval(() => {
      if (++n > max) {
        clearInterval(t);
        s.destroy();
        resolve({ closed: false, data });
      } else if (!s.destroyed && s.writable) s.write(line);
    }, 100);
    s.once('close', () => {
      clearInterval(t);
      resolve({ closed: true, data });
    });
  });
}

it('a connection trickling its headers (slowloris) is closed, while others are served', async () => {
  const s = connect(port, '127.0.0.1');
  s.write('GET /_vlrerank/health HTTP/1.1\r\nHost: x\r\n');
  const slow = trickle(s, 'X-Slow: 1\r\n');
  const health = await fetch(`${srv.url}/_vlrerank/health`);
  expect(health.status).toBeLessThan(500);
  await health.arrayBuffer();
  const r = await slow;
  expect(r.closed).toBe(true);
  expect(r.data.startsWith('HTTP/1.1 408')).toBe(true);
});

it('a request whose body never arrives is closed after server.requestTimeoutMs', async () => {
  const s = connect(port, '127.0.0.1');
  s.write(head('/hard-http-any/_doc/1', 'Content-Length: 100\r\n') + '{"a":');
  const r = await trickle(s, ''); // nothing more
  expect(r.closed).toBe(true);
  expect(r.data.startsWith('HTTP/1.1 408')).toBe(true);
});
