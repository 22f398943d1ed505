/**
 * The vendors' discovery endpoints (held-out probe round 31f): `GET /v1/models` (OpenAI / vLLM),
 * TEI's `GET /info`, Infinity's `GET /models` and `GET /health` were answered by the engine (its 405
 * or "no handler found" for /v1/models, index_not_found for the others) — an SDK finding the model
 * name or checking the server failed. Now, over the real models:
 * - `GET /v1/models` is served by a proxy and a worker (no engine has a GET there), the model named
 *   in it being the one the rerank answers name, with the text model's window;
 * - `/info`, `/models`, `/health` are `GET /{index}` to the engine: a proxy still forwards them —
 *   shown with a real index of the cluster reached under those names (aliases of a p31f- index) —
 *   and a worker (no engine behind it) serves them in TEI's and Infinity's shapes, the fields their
 *   clients require present (infinity_client's `ModelInfo.from_dict`: `id`, `stats`, `owned_by` one
 *   of ["infinity"]).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { request } from 'undici';
import type { RunningServer } from '../../../src/server/start.js';
import { useEngine } from '../../helpers/engines.js';
import { postJson, startRerankServer } from '../../helpers/rerank-server.js';

let proxy: RunningServer;
let worker: RunningServer;
let es: string;
const INDEX = 'p31f-discovery-target';
const ALIASES = ['info', 'models', 'health'];

async function call(base: string, method: string, path: string, headers: Record<string, string> = {}) {
  const res = await request(base + path, { method, headers, ...(method === 'POST' || method === 'PUT' ? { body: '{}', headers: { 'content-type': 'application/json', ...headers } } : {}) });
  const text = await res.body.text();
  return { status: res.statusCode, headers: res.headers, text, json: text && String(res.headers['content-type'] ?? '').includes('json') ? (JSON.parse(text) as any) : undefined };
}

beforeAll(async () => {
  es = await useEngine('elasticsearch');
  proxy = await startRerankServer({ 'upstream.urls': [es], 'rerank.warmup': false });
  worker = await startRerankServer({ 'server.role': 'worker', 'rerank.warmup': false });
}, 300_000);
afterAll(async () => {
  await request(`${es}/${INDEX}`, { method: 'DELETE' }).then((r) => r.body.dump()).catch(() => undefined);
  await proxy?.close();
  await worker?.close();
});

describe('GET /v1/models', () => {
  it.each(['proxy', 'worker'])('the %s answers OpenAI/vLLM’s model list, its model the rerank answers’ name', async (role) => {
    const base = role === 'proxy' ? proxy.url : worker.url;
    const r = await call(base, 'GET', '/v1/models');
    expect(r.status).toBe(200);
    expect(r.headers['x-elastic-product']).toBeUndefined(); // vlrerank's answer, not the engine's
    expect(r.json).toEqual({
      object: 'list',
      data: [{ id: 'vlrerank', object: 'model', created: expect.any(Number), owned_by: 'vlrerank', root: 'bge-small-en-v1.5', parent: null, max_model_len: 512 }],
    });
    // created: a time in seconds, the same on every call
    expect(r.json.data[0].created).toBeGreaterThan(1_600_000_000);
    expect((await call(base, 'GET', '/v1/models')).json.data[0].created).toBe(r.json.data[0].created);
    // the rerank answer names the same model when the request names none
    const rr = await postJson(base, '/v1/rerank', { query: 'a cup of coffee', documents: ['a horse', 'a cup of coffee'] });
    expect(rr.json.model).toBe(r.json.data[0].id);
  });

  it('its other methods still reach the engine on a proxy (ES 8.19 has POST /{index}/{type}, REST compatibility v7), a 405 on a worker', async () => {
    const direct = await call(es, 'PUT', '/v1/models');
    const via = await call(proxy.url, 'PUT', '/v1/models');
    expect(via.status).toBe(direct.status);
    expect(via.text).toBe(direct.text);
    const w = await call(worker.url, 'PUT', '/v1/models');
    expect(w.status).toBe(405);
    expect(w.headers.allow).toBe('GET, HEAD');
    expect(w.json).toMatchObject({ object: 'error', code: 405 });
  });

  it('/v1/models/{id} is not served (ES 8’s typed get of a document): the engine answers it', async () => {
    const direct = await call(es, 'GET', '/v1/models/vlrerank');
    const via = await call(proxy.url, 'GET', '/v1/models/vlrerank');
    expect(via.status).toBe(direct.status);
    expect(via.text).toBe(direct.text);
  });
});

describe('GET /info, /models, /health on a proxy: the engine’s get-index', () => {
  it('no such index: the engine’s 404, as before', async () => {
    for (const path of ['/info', '/models', '/health']) {
      const direct = await call(es, 'GET', path);
      const via = await call(proxy.url, 'GET', path);
      expect(direct.status, path).toBe(404);
      expect({ status: via.status, text: via.text }, path).toEqual({ status: direct.status, text: direct.text });
    }
  });

  it('an index under that name: its get-index answer, never a vendor’s', async () => {
    const made = await call(es, 'PUT', `/${INDEX}`);
    expect(made.status).toBe(200);
    const aliased = await request(`${es}/_aliases`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ actions: ALIASES.map((alias) => ({ add: { index: INDEX, alias } })) }) });
    expect(aliased.statusCode, await aliased.body.text()).toBe(200);
    try {
      for (const path of ['/info', '/models', '/health']) {
        const via = await call(proxy.url, 'GET', path);
        expect(via.status, path).toBe(200);
        expect(Object.keys(via.json), path).toEqual([INDEX]);
        expect(via.json[INDEX].aliases, path).toHaveProperty(path.slice(1));
      }
    } finally {
      await request(`${es}/_aliases`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ actions: ALIASES.map((alias) => ({ remove: { index: INDEX, alias } })) }) }).then((r) => r.body.dump());
    }
  });
});

describe('a worker serves TEI’s and Infinity’s discovery endpoints', () => {
  it('GET /info: TEI’s Info, a reranker, the text model’s window and the documents a request takes', async () => {
    const r = await call(worker.url, 'GET', '/info');
    expect(r.status).toBe(200);
    expect(r.json).toEqual({
      model_id: 'vlrerank',
      model_sha: null,
      model_dtype: 'mixed',
      served_model_name: 'vlrerank',
      model_type: { reranker: { id2label: { '0': 'relevance' }, label2id: { relevance: 0 } } },
      max_concurrent_requests: expect.any(Number),
      max_input_length: 512,
      max_batch_tokens: 512 * 1000,
      max_batch_requests: null,
      max_client_batch_size: 1000,
      auto_truncate: true,
      tokenization_workers: 1,
      version: expect.any(String),
      sha: null,
      docker_label: null,
    });
    // max_client_batch_size is what a request takes: one more is TEI's 413
    const over = await postJson(worker.url, '/rerank', { query: 'q', texts: Array.from({ length: r.json.max_client_batch_size + 1 }, (_, i) => `t${i}`) });
    expect(over.status).toBe(413);
  });

  it('GET /models: Infinity’s list, with what its client requires', async () => {
    const r = await call(worker.url, 'GET', '/models');
    expect(r.status).toBe(200);
    expect(r.json).toEqual({
      object: 'list',
      data: [{ id: 'vlrerank', stats: { batch_size: 1000 }, object: 'model', owned_by: 'infinity', created: expect.any(Number), backend: 'vlrerank', capabilities: ['rerank'], text_model: 'bge-small-en-v1.5', max_input_length: 512 }],
    });
  });

  it('GET /health: 200 {unix}; HEAD 200; a wrong method a 405 in the rerank API shape', async () => {
    const before = Date.now() / 1000;
    const r = await call(worker.url, 'GET', '/health');
    expect(r.status).toBe(200);
    expect(r.json.unix).toBeGreaterThanOrEqual(Math.floor(before));
    expect((await call(worker.url, 'HEAD', '/health')).status).toBe(200);
    for (const path of ['/info', '/models', '/health']) {
      const w = await call(worker.url, 'POST', path);
      expect(w.status, path).toBe(405);
      expect(w.headers.allow, path).toBe('GET, HEAD');
      expect(w.json, path).toMatchObject({ object: 'error', code: 405 });
    }
  });
});
