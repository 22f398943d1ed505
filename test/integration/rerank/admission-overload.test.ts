/**
 * Admission control on real servers with the real models (issue 13 §1): many concurrent
 * `/v1/rerank` requests with new texts against a small limit → the ones not admitted answer 429
 * with Retry-After in the rerank API's shape at once, every other one 200, and health keeps
 * answering with the queue's figures; a reranked `_search` on Elasticsearch that the queue cannot
 * admit → `fail_open`: the first-stage hits with `vlrerank.degraded: "overloaded"`, `fail_closed`:
 * an ES-shaped 429 with Retry-After. The queue is held by real permits of the server's own
 * admission controller (no fake), so the search case does not depend on timing.
 */
import { randomUUID } from 'node:crypto';
import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningServer } from '../../../src/server/start.js';
import { whileAdmissionFull } from '../../helpers/admission.js';
import { counterSum } from '../../helpers/metrics.js';
import { startRerankServer } from '../../helpers/rerank-server.js';
import { clientSearchRaw, pipelinesDir, startSearchProxy, type SearchProxy } from '../../helpers/search-fixtures.js';

const words = ['oat', 'milk', 'apple', 'rocket', 'harbour', 'violin', 'granite', 'meadow', 'lantern', 'pepper', 'glacier', 'orchid'];
const newText = () => `${randomUUID()} ${words.sort(() => Math.random() - 0.5).slice(0, 6).join(' ')}`;

describe('/v1/rerank under overload', () => {
  let srv: RunningServer;
  beforeAll(async () => {
    srv = await startRerankServer({ 'rerank.maxConcurrentRequests': 1, 'rerank.admission.maxQueued': 2, 'rerank.admission.clientShare': 1, 'rerank.warmup': false });
  });
  afterAll(async () => srv?.close());

  it('answers 429 + Retry-After in the rerank shape beyond the limit, 200 otherwise, and health keeps answering', async () => {
    const N = 24;
    const calls = Array.from({ length: N }, () =>
      fetch(`${srv.url}/v1/rerank`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ query: newText(), documents: Array.from({ length: 20 }, newText) }),
      }).then(async (r) => ({ status: r.status, retryAfter: r.headers.get('retry-after'), body: (await r.json()) as any })),
    );
    const health = await fetch(`${srv.url}/_vlrerank/health`);
    const h = (await health.json()) as any;
    expect(h.rerank_admission).toMatchObject({ limits: { maxInFlight: 1, maxQueued: 2 } });
    const out = await Promise.all(calls);
    const refused = out.filter((r) => r.status === 429);
    const ok = out.filter((r) => r.status === 200);
    expect(ok.length + refused.length).toBe(N);
    expect(ok.length).toBeGreaterThanOrEqual(1);
    expect(refused.length).toBeGreaterThanOrEqual(1);
    for (const r of ok) expect(r.body.results).toHaveLength(20);
    for (const r of refused) {
      expect(Number(r.retryAfter)).toBeGreaterThanOrEqual(1);
      expect(r.body).toMatchObject({ object: 'error', code: 429, type: 'es_rejected_execution_exception', message: expect.stringContaining('retry later') });
      expect(r.body.detail).toBe(r.body.message);
    }
    const after = (await (await fetch(`${srv.url}/_vlrerank/health`)).json()) as any;
    const shed = Object.values(after.rerank_admission.shed as Record<string, number>).reduce((a, b) => a + b, 0);
    expect(shed).toBe(refused.length);
    expect(after.rerank_admission).toMatchObject({ in_flight: 0, queued: 0 });
    const metrics = await (await fetch(`${srv.url}/_vlrerank/metrics`)).text();
    expect(metrics).toMatch(/vlrerank_rerank_shed_total\{reason="[a-z_]+"\} [1-9]/);
    expect(metrics).toMatch(/vlrerank_rerank_admission\{what="queued"\} 0/);
    // the server's own time per answer, by route class and status: every 429 and every 200 counted once
    expect(await counterSum(srv.url, 'vlrerank_request_duration_seconds_count', { route: 'rerank', status: '429' })).toBe(refused.length);
    expect(await counterSum(srv.url, 'vlrerank_request_duration_seconds_count', { route: 'rerank', status: '200' })).toBe(ok.length);
  });

  it('refuses before reading the body when the queue is full: a 429 for a body that never arrives, and a kept connection for small ones', async () => {
    await whileAdmissionFull(srv.services.reranker.admission, 'held-by-test-early', async () => {
      // headers promise 5 MB and not one byte follows: a reader of the body would wait for ever
      const { port } = new URL(srv.url);
      const big = await rawExchange(Number(port), [`POST /v1/rerank HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\nContent-Length: 5000000\r\n\r\n{"query":`]);
      expect(big[0]).toMatchObject({ status: 429, headers: { connection: 'close', 'retry-after': expect.stringMatching(/^[1-9]\d*$/) } });
      expect(JSON.parse(big[0]!.body)).toMatchObject({ object: 'error', code: 429, type: 'es_rejected_execution_exception' });
      // two small requests on one connection: both refused, the connection kept between them
      const body = JSON.stringify({ query: 'oat milk', documents: ['oat drink'] });
      const req = `POST /v1/rerank HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`;
      const small = await rawExchange(Number(port), [req, req]);
      expect(small.map((r) => r.status)).toEqual([429, 429]);
      expect(small[0]!.headers.connection).not.toBe('close');
      // every compatible path refuses early in the rerank API's shape (the fast dispatch), and the router's loose spellings too
      for (const path of ['/v2/rerank', '/rerank', '/V1/rerank/']) {
        const [r] = await rawExchange(Number(port), [req.replace('/v1/rerank', path)]);
        expect(r, path).toMatchObject({ status: 429, headers: { 'retry-after': expect.stringMatching(/^[1-9]\d*$/) } });
        expect(JSON.parse(r!.body), path).toMatchObject({ object: 'error', code: 429, type: 'es_rejected_execution_exception' });
      }
    }, 2);
  });

  it('answers ES-shaped on /_vlrerank/rerank when the queue is full', async () => {
    await whileAdmissionFull(srv.services.reranker.admission, 'held-by-test-native', async () => {
      const r = await fetch(`${srv.url}/_vlrerank/rerank`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query: 'oat milk', documents: ['oat drink'] }) });
      expect(r.status).toBe(429);
      expect(Number(r.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
      expect(await r.json()).toMatchObject({ status: 429, error: { type: 'es_rejected_execution_exception', vlrerank_code: 'VLR_OVERLOADED', shed_reason: 'queue_full' } });
    }, 2);
  });
});

const INDEX = 'admission-overload-it';
const pipeline = (name: string, failure: string) => `name: ${name}\nindex_patterns: [${INDEX}]\nfailure: ${failure}\nbudget_ms: 300000\nfields: {text: [title]}\n`;

describe('reranked _search on Elasticsearch under overload', () => {
  let p: SearchProxy;
  beforeAll(async () => {
    p = await startSearchProxy('elasticsearch', {
      pipelinesDir: pipelinesDir({ 'open.yaml': pipeline('admission-open-it', 'fail_open'), 'closed.yaml': pipeline('admission-closed-it', 'fail_closed') }),
      rerank: { maxConcurrentRequests: 1, admission: { maxQueued: 1, clientShare: 1 } },
    });
    await p.engine.json('DELETE', `/${INDEX}`).catch(() => undefined);
    const titles = ['Oat milk', 'Oat drink barista', 'Whole milk', 'Soy milk', 'Red apple', 'Milk chocolate', 'Almond milk', 'Milk powder'];
    const lines = titles.flatMap((title, i) => [JSON.stringify({ index: { _index: INDEX, _id: String(i) } }), JSON.stringify({ title })]).join('\n') + '\n';
    await p.engine.json('POST', '/_bulk?refresh=true', lines, { 'content-type': 'application/x-ndjson' });
  });
  afterAll(async () => {
    await p?.engine.json('DELETE', `/${INDEX}`).catch(() => undefined);
    await p?.close();
  });

  const search = (pipelineName: string) =>
    clientSearchRaw('elasticsearch', p.url, { index: INDEX, body: { size: 4, query: { match: { title: 'milk' } }, ext: { vlrerank: { query: 'oat drink', pipeline: pipelineName, window: 6 } } } });

  async function firstStageIds(): Promise<string[]> {
    const r = (await (await fetch(`${p.engineUrl}/${INDEX}/_search`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ size: 4, query: { match: { title: 'milk' } }, _source: false }) })).json()) as any;
    return r.hits.hits.map((h: any) => h._id);
  }

  it('fail_open → first-stage hits with degraded "overloaded"; fail_closed → ES-shaped 429; both recover once the queue drains', async () => {
    await p.reranker.warm.wait(); // the warm-up's own work is not what is tested
    await whileAdmissionFull(p.reranker.admission, 'held-by-test-search', async () => {
      const open = await search('admission-open-it');
      expect(open.statusCode).toBe(200);
      expect(open.body.vlrerank).toMatchObject({ degraded: 'overloaded', reason: expect.stringContaining('VLR_OVERLOADED') });
      expect(open.headers['x-vlrerank-degraded']).toBe('VLR_OVERLOADED');
      expect(open.body.hits.hits.map((h: any) => h._id)).toEqual(await firstStageIds());
      // refused before the first stage: the engine was asked for the 4 hits answered, not the window of 6
      expect(open.body.vlrerank.candidates).toBe(4);

      const closed = await search('admission-closed-it');
      expect(closed.statusCode).toBe(429);
      expect(Number(closed.headers['retry-after'])).toBeGreaterThanOrEqual(1);
      expect(closed.body).toMatchObject({ status: 429, error: { type: 'es_rejected_execution_exception', vlrerank_code: 'VLR_OVERLOADED' } });
    });
    const again = await search('admission-closed-it');
    expect(again.statusCode).toBe(200);
    expect(again.body.vlrerank.degraded).toBe(false);
    expect(again.body.vlrerank.candidates).toBe(6); // admitted: the whole window (6 of the 6 milk titles)
    // reranked: calibrated scores in [0, 1], an oat product on top (BM25 on "milk" ranks them anywhere)
    expect(['0', '1']).toContain(again.body.hits.hits[0]._id);
    for (const h of again.body.hits.hits) expect(h._score).toBeLessThanOrEqual(1);
  });
});

interface RawAnswer {
  status: number;
  headers: Record<string, string>;
  body: string;
}

/**
 * Send each request on one raw connection after the previous answer arrived, and return the
 * answers (Content-Length bodies). Rejects after 10 s without a complete answer.
 */
function rawExchange(port: number, requests: string[]): Promise<RawAnswer[]> {
  return new Promise((resolve, reject) => {
    const sock = connect(port, '127.0.0.1');
    const answers: RawAnswer[] = [];
    let buf = Buffer.alloc(0);
    const timer = setTimeout(() => {
      sock.destroy();
      reject(new Error(`no complete answer within 10 s (got ${answers.length} of ${requests.length})`));
    }, 10_000);
    const next = () => {
      if (answers.length === requests.length) {
        clearTimeout(timer);
        sock.destroy();
        resolve(answers);
      } else sock.write(requests[answers.length]!);
    };
    sock.on('data', (d) => {
      buf = Buffer.concat([buf, d]);
      for (;;) {
        const end = buf.indexOf('\r\n\r\n');
        if (end < 0) return;
        const [statusLine, ...lines] = buf.subarray(0, end).toString('latin1').split('\r\n');
        const headers = Object.fromEntries(lines.map((l) => [l.slice(0, l.indexOf(':')).toLowerCase(), l.slice(l.indexOf(':') + 1).trim()]));
        const len = Number(headers['content-length'] ?? 0);
        if (buf.length < end + 4 + len) return;
        answers.push({ status: Number(statusLine!.split(' ')[1]), headers, body: buf.subarray(end + 4, end + 4 + len).toString('utf8') });
        buf = buf.subarray(end + 4 + len);
        next();
      }
    });
    sock.on('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    sock.on('connect', next);
  });
}
