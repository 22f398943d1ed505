/**
 * A wrong method on a path vlrerank serves is a 405 with `Allow`, as Elasticsearch answers a wrong
 * method on a path it knows — ES-shaped under /_vlrerank, in the rerank API's shape on the
 * rerank-compatible paths — where it used to be a 404 "no vlrerank endpoint" (or, on /v1/rerank,
 * the engine's own 405 in Elasticsearch's shape). An unknown path stays a 404; OPTIONS keeps
 * express's 200 with `Allow`, HEAD on a GET endpoint its 200; `/rerank` and `/score`, which are
 * also `/{index}` to the engine, keep forwarding their index methods to it (held-out probe round 6).
 * Real server (proxy role in front of Elasticsearch 8.19, and worker role), no models needed.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { request } from 'undici';
import type { RunningServer } from '../../../src/server/start.js';
import { useEngine } from '../../helpers/engines.js';
import { startRerankServer } from '../../helpers/rerank-server.js';

let proxy: RunningServer;
let worker: RunningServer;
let es: string;

beforeAll(async () => {
  es = await useEngine('elasticsearch');
  proxy = await startRerankServer({ 'upstream.urls': [es], 'rerank.warmup': false });
  worker = await startRerankServer({ 'server.role': 'worker', 'rerank.warmup': false });
});
afterAll(async () => {
  await proxy?.close();
  await worker?.close();
});

async function call(base: string, method: string, path: string) {
  const res = await request(base + path, { method, ...(method === 'POST' || method === 'PUT' ? { body: '{}', headers: { 'content-type': 'application/json' } } : {}) });
  const text = await res.body.text();
  const json = String(res.headers['content-type'] ?? '').includes('json');
  return { status: res.statusCode, headers: res.headers, body: text && json ? (JSON.parse(text) as any) : undefined, text };
}

describe('a wrong method on a vlrerank endpoint', () => {
  const own: Array<[string, string, string]> = [
    ['DELETE', '/_vlrerank/health', 'GET, HEAD'],
    ['POST', '/_vlrerank/metrics', 'GET, HEAD'],
    ['PUT', '/_vlrerank/models', 'GET, HEAD'],
    ['GET', '/_vlrerank/rerank', 'POST'],
    ['GET', '/_vlrerank/models/bge-small-en-v1.5/_load', 'POST'],
    ['DELETE', '/_vlrerank/models/bge-small-en-v1.5/_unload', 'POST'],
    ['POST', '/_vlrerank/media?src=x', 'GET, HEAD'],
    ['POST', '/_vlrerank/ui/', 'GET, HEAD'],
  ];
  it.each(own)('%s %s → ES-shaped 405 with Allow: %s', async (method, path, allow) => {
    const r = await call(proxy.url, method, path);
    expect(r.status).toBe(405);
    expect(r.headers.allow).toBe(allow);
    // the uri as Elasticsearch names it: with its query string
    expect(r.body).toMatchObject({
      error: { type: 'method_not_allowed_exception', reason: `Incorrect HTTP method for uri [${path}] and method [${method}], allowed: [${allow}]` },
      status: 405,
    });
  });

  const compat: Array<[string, string]> = [
    ['GET', '/v1/rerank'],
    ['PUT', '/v2/rerank'],
    ['DELETE', '/v1/score'],
  ];
  it.each(compat)('%s %s → 405 in the rerank API shape with Allow: POST, never forwarded', async (method, path) => {
    const r = await call(proxy.url, method, path);
    expect(r.status).toBe(405);
    expect(r.headers.allow).toBe('POST');
    expect(r.headers['x-elastic-product']).toBeUndefined(); // not the engine's answer
    expect(r.body).toMatchObject({ object: 'error', type: 'method_not_allowed_exception', code: 405, message: `Incorrect HTTP method for uri [${path}] and method [${method}], allowed: [POST]` });
    expect(r.body.detail).toBe(r.body.message);
  });

  it('HEAD on a POST-only rerank path is a 405 without a body', async () => {
    const r = await call(proxy.url, 'HEAD', '/v1/rerank');
    expect(r.status).toBe(405);
    expect(r.headers['x-elastic-product']).toBeUndefined(); // vlrerank's, no longer the engine's 405
    expect(r.headers.allow).toBe('POST');
    expect(r.text).toBe('');
  });

  it('the worker role answers the same, and also for /rerank and /score (no engine behind it)', async () => {
    for (const [method, path] of [['GET', '/rerank'], ['PUT', '/score'], ['GET', '/v2/rerank']] as const) {
      const r = await call(worker.url, method, path);
      expect(r.status, `${method} ${path}`).toBe(405);
      expect(r.headers.allow).toBe('POST');
      expect(r.body.object).toBe('error');
    }
    const h = await call(worker.url, 'DELETE', '/_vlrerank/health');
    expect(h.status).toBe(405);
    expect(h.body.error.type).toBe('method_not_allowed_exception');
  });
});

describe('what stays as it was', () => {
  it('an unknown /_vlrerank path is a 404, whatever the method', async () => {
    for (const method of ['GET', 'DELETE']) {
      const r = await call(proxy.url, method, '/_vlrerank/no-such-thing');
      expect(r.status).toBe(404);
      expect(r.body.error.type).toBe('resource_not_found_exception');
    }
  });

  it('OPTIONS answers 200 with Allow (express), HEAD on a GET endpoint 200', async () => {
    const o = await call(proxy.url, 'OPTIONS', '/_vlrerank/health');
    expect(o.status).toBe(200);
    expect(o.headers.allow).toBe('GET, HEAD');
    for (const p of ['/_vlrerank/rerank', '/v1/rerank', '/v1/score']) {
      const r = await call(proxy.url, 'OPTIONS', p);
      expect(r.status, p).toBe(200);
      expect(r.headers.allow, p).toBe('POST');
    }
    const h = await call(proxy.url, 'HEAD', '/_vlrerank/health');
    expect(h.status).toBe(200);
  });

  it('GET/HEAD /rerank and /score still reach the engine (an index of that name)', async () => {
    for (const name of ['rerank', 'score']) {
      const direct = await call(es, 'GET', `/${name}`);
      const via = await call(proxy.url, 'GET', `/${name}`);
      expect(via.status).toBe(direct.status);
      expect(via.body).toEqual(direct.body);
      expect(via.headers['x-elastic-product']).toBe('Elasticsearch');
      const head = await call(proxy.url, 'HEAD', `/${name}`);
      expect(head.status).toBe((await call(es, 'HEAD', `/${name}`)).status);
    }
  });
});
