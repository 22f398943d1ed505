/**
 * A request body that trickles or stops is cut at `server.bodyIdleTimeoutMs` (fix21a; round fix20a
 * left "a slow-body upload counts as served: bounded by `server.requestTimeoutMs` only"). A real
 * server in front of the real Elasticsearch 8.19, raw sockets: a head complete and a body that
 * stops is answered 408 in the API's shape — the rerank API's own on `/v1/rerank`, ES-shaped on a
 * search and on a passthrough `_bulk` — and its connection closed. A body whose bytes keep coming
 * (one every 300 ms, over more than twice the time-out) is not cut, nor a 24 MB `_bulk` sent at
 * once while the engine does not read it for longer than the time-out (a relay holds it: vlrerank's
 * wait, not the client's). On the old code the stalled bodies got Node's bare 408 at
 * `requestTimeoutMs` (20 s here), not the API's answer.
 */
import { connect } from 'node:net';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { parseConfig } from '../../../src/config/load.js';
import { startServer, type RunningServer } from '../../../src/server/start.js';
import { countingRelay, type CountingRelay } from '../../helpers/counting-relay.js';
import { useEngine } from '../../helpers/engines.js';
import { onlyPipelines } from '../../helpers/http-server.js';
import { MODELS } from '../../helpers/paths.js';

const INDEX = 'f21a-body-idle';
const IDLE_MS = 1_000;
let engineUrl: string;
let srv: RunningServer;
let held: RunningServer;
let relay: CountingRelay;
let release: () => void = () => undefined;

const serve = (upstream: string) =>
  startServer(
    parseConfig({
      server: { host: '127.0.0.1', port: 0, ui: false, bodyIdleTimeoutMs: IDLE_MS, requestTimeoutMs: 20_000 },
      upstream: { urls: [upstream] },
      log: { level: 'silent', access: false },
      models: { dir: MODELS },
      store: { disk: { path: 'off' } },
      rerank: { warmup: false },
      pipelines: { dir: onlyPipelines({}) },
    }),
  );

beforeAll(async () => {
  engineUrl = await useEngine('elasticsearch');
  await fetch(`${engineUrl}/${INDEX}`, { method: 'DELETE' });
  srv = await serve(engineUrl);
  // an engine that takes nothing of a _bulk until the test says (its first request is held)
  relay = await countingRelay(engineUrl, { before: (line) => (line.includes('_bulk') ? new Promise<void>((r) => (release = r)) : undefined) });
  held = await serve(relay.url);
});

afterAll(async () => {
  release();
  await srv?.close();
  await held?.close();
  await relay?.close();
  await fetch(`${engineUrl}/${INDEX}`, { method: 'DELETE' }).catch(() => undefined);
});

interface Raw {
  status: number;
  headers: string;
  body: string;
  /** The server closed the connection after its answer. */
  closed: boolean;
}

/**
 * Send `head`, then each of `parts` `gapMs` apart (the body); read the answer until the server
 * closes the connection or the answer is whole (then closed: false).
 */
function rawRequest(url: string, head: string, parts: Array<string | Buffer>, gapMs = 0): Promise<Raw> {
  const { port } = new URL(url);
  return new Promise((resolve, reject) => {
    const s = connect(Number(port), '127.0.0.1');
    let got = Buffer.alloc(0);
    let timer: NodeJS.Timeout | undefined;
    const parse = (closed: boolean): Raw | undefined => {
      const text = got.toString('latin1');
      const end = text.indexOf('\r\n\r\n');
      if (end < 0) return undefined;
      const headers = text.slice(0, end);
      const len = /content-length: (\d+)/i.exec(headers);
      let rest = got.subarray(end + 4);
      if (/transfer-encoding: chunked/i.test(headers)) {
        if (!closed && !rest.toString('latin1').endsWith('\r\n0\r\n\r\n')) return undefined;
        const parts: Buffer[] = [];
        for (let at = 0; ; ) {
          const eol = rest.indexOf('\r\n', at);
          const size = eol < 0 ? 0 : parseInt(rest.subarray(at, eol).toString('latin1'), 16);
          if (!size) break;
          parts.push(rest.subarray(eol + 2, eol + 2 + size));
          at = eol + 2 + size + 2;
        }
        rest = Buffer.concat(parts);
      } else if (!closed && (!len || rest.length < Number(len[1]))) return undefined;
      return { status: Number(headers.split(' ')[1]), headers, body: rest.toString('utf8'), closed };
    };
    s.on('data', (d) => {
      got = Buffer.concat([got, d]);
      const r = parse(false);
      if (r && !/connection: close/i.test(r.headers)) {
        clearTimeout(timer);
        s.destroy();
        resolve(r);
      }
    });
    s.on('close', () => {
      clearTimeout(timer);
      const r = parse(true);
      if (r) resolve(r);
      else reject(new Error(`closed without an answer: ${JSON.stringify(got.toString('latin1'))}`));
    });
    s.on('error', () => undefined);
    s.write(head);
    let i = 0;
    const next = () => {
      if (i >= parts.length || s.destroyed) return;
      s.write(parts[i++]!);
      timer = setTimeout(next, gapMs);
    };
    next();
  });
}

const post = (path: string, headers: Record<string, string | number>) =>
  `POST ${path} HTTP/1.1\r\nHost: x\r\n${Object.entries(headers)
    .map(([k, v]) => `${k}: ${v}\r\n`)
    .join('')}\r\n`;

it('a rerank API body that stops: 408 in the rerank API\'s shape, the connection closed', { timeout: 60_000 }, async () => {
  const r = await rawRequest(srv.url, post('/v1/rerank', { 'content-type': 'application/json', 'content-length': 200 }), ['{"query":"apple", "documents": [']);
  expect(r.status, r.headers + r.body).toBe(408);
  expect(r.closed).toBe(true);
  expect(r.headers).toMatch(/connection: close/i);
  const body = JSON.parse(r.body);
  expect(body).toMatchObject({ object: 'error', code: 408, error: { type: 'request_timeout_exception', vlrerank_code: 'VLR_BODY_TIMEOUT' } });
  expect(body.message).toMatch(/server\.bodyIdleTimeoutMs/);
});

it('a search body and a passthrough _bulk that stop: 408 ES-shaped, the connection closed; chunked too', { timeout: 60_000 }, async () => {
  const search = await rawRequest(srv.url, post(`/${INDEX}/_search`, { 'content-type': 'application/json', 'content-length': 100 }), ['{"query":']);
  expect(search.status, search.headers + search.body).toBe(408);
  expect(search.closed).toBe(true);
  expect(JSON.parse(search.body)).toMatchObject({ status: 408, error: { type: 'request_timeout_exception', vlrerank_code: 'VLR_BODY_TIMEOUT' } });
  const line = `${JSON.stringify({ index: { _index: INDEX, _id: 'x' } })}\n${JSON.stringify({ title: 'stalled' })}\n`;
  const chunk = `${Buffer.byteLength(line).toString(16)}\r\n${line}\r\n`;
  const bulk = await rawRequest(srv.url, post('/_bulk', { 'content-type': 'application/x-ndjson', 'transfer-encoding': 'chunked' }), [chunk]);
  expect(bulk.status, bulk.headers + bulk.body).toBe(408);
  expect(bulk.closed).toBe(true);
  expect(JSON.parse(bulk.body)).toMatchObject({ status: 408, error: { type: 'request_timeout_exception' } });
  // the upstream request was aborted with it: nothing of the cut _bulk was stored
  expect((await fetch(`${engineUrl}/${INDEX}/_doc/x`)).status).toBe(404);
});

it('a body whose bytes keep coming, slower than the time-out in all, is not cut', { timeout: 60_000 }, async () => {
  const body = JSON.stringify({ query: { match_all: {} }, size: 1 });
  // one byte every 300 ms for the first 10 (3 s: three times the time-out), then the rest
  const parts = [...body.slice(0, 10).split(''), body.slice(10)];
  const r = await rawRequest(srv.url, post(`/${INDEX}*/_search`, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) }), parts, 300);
  expect(r.status, r.headers + r.body).toBe(200);
  expect(JSON.parse(r.body).hits).toBeDefined();
});

it('a 24 MB _bulk sent at once while the engine takes none of it for longer than the time-out is not cut', { timeout: 120_000 }, async () => {
  const lines: string[] = [];
  for (let i = 0; i < 24_000; i++) lines.push(JSON.stringify({ index: { _index: INDEX, _id: `b${i}` } }), JSON.stringify({ title: `document ${i} ${'x'.repeat(960)}` }));
  const body = Buffer.from(lines.join('\n') + '\n');
  const answer = rawRequest(held.url, post('/_bulk', { 'content-type': 'application/x-ndjson', 'content-length': body.length }), [body]);
  // the relay holds it three times the time-out before it reads a byte
  while (!relay.seen.some((l) => l.includes('_bulk'))) await new Promise((r) => setTimeout(r, 50));
  await new Promise((r) => setTimeout(r, 3 * IDLE_MS));
  release();
  const r = await answer;
  expect(r.status, r.headers + r.body.slice(0, 300)).toBe(200);
  expect(JSON.parse(r.body)).toMatchObject({ errors: false });
  expect(JSON.parse(r.body).items).toHaveLength(24_000);
});
