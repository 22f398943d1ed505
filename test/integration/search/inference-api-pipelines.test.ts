/**
 * Elasticsearch's Inference API on a vlrerank pipeline's name (held-out probe round 32a), against every
 * engine version through the proxy: `POST _inference/rerank/{pipeline}` and `POST _inference/{pipeline}`
 * (the official client's `inference.rerank` / `inference.inference` on Elasticsearch) answer
 * `{"rerank": [{index, relevance_score, text?}]}` scored by that pipeline's scorer, with `top_n` and
 * `return_documents`; `GET` describes the pipeline as an endpoint; bad bodies are ES-shaped 400s;
 * any other id, `_inference/_all` and ES|QL's `_query` reach the engine byte for byte as before.
 * Before, every one of these reached the engine (the thin builds: "no handler found", 400).
 */
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { whileAdmissionFull } from '../../helpers/admission.js';
import { ALL_ENGINES, catalog, esClient, GROCERY_DIR, isElasticsearch, pipelineScores, sendJson, startSearchProxy, type SearchProxy } from '../../helpers/search-fixtures.js';

const APPLE = catalog.find((c) => c.class_name === 'Granny-Smith')!;
const MILK = catalog.find((c) => /milk/i.test(c.title))!;
const QUERY = 'a green, sour apple';
const INPUT = [`${MILK.title}\n${MILK.description}`, `${APPLE.title}\n${APPLE.description}`, 'A plate of pasta.'];


describe.each(ALL_ENGINES)("Elasticsearch's Inference API on a pipeline's name through the proxy on %s", (engine) => {
  let p: SearchProxy;
  /** The grocery pipeline's scores of INPUT, as its reranked searches compute them (process() with its scorer). */
  let expected: number[];
  beforeAll(async () => {
    p = await startSearchProxy(engine);
    expected = await pipelineScores(p, 'grocery', QUERY, INPUT);
  });
  afterAll(async () => {
    await p?.close();
  });

  it('POST _inference/rerank/{pipeline} ranks the inputs with the pipeline scorer, in the Inference API shape', async () => {
    const r = await sendJson(p.url, 'POST', '/_inference/rerank/grocery', { query: QUERY, input: INPUT });
    expect(r.status, r.text).toBe(200);
    expect(Object.keys(r.body)).toEqual(['rerank']);
    expect(r.body.rerank.map((x: any) => x.index)).toEqual([1, ...[0, 2].sort((a, b) => expected[b]! - expected[a]!)]);
    for (const x of r.body.rerank) {
      expect(x).toEqual({ index: x.index, relevance_score: expected[x.index], text: INPUT[x.index] });
    }
    if (isElasticsearch(engine)) expect(r.headers.get('x-elastic-product')).toBe('Elasticsearch');
  });

  it('task_settings.top_n cuts the ranking, return_documents: false leaves the texts out; POST _inference/{pipeline} is the same call', async () => {
    const r = await sendJson(p.url, 'POST', '/_inference/grocery', { query: QUERY, input: INPUT, task_settings: { top_n: 1, return_documents: false } });
    expect(r.status, r.text).toBe(200);
    expect(r.body).toEqual({ rerank: [{ index: 1, relevance_score: expected[1] }] });
  });

  it("a photo input (Elastic's {type: image, value}) is scored on the photo", async () => {
    const r = await sendJson(p.url, 'POST', '/_inference/rerank/grocery', { query: QUERY, input: ['A plate of pasta.', { type: 'image', value: join(GROCERY_DIR, APPLE.iconic_image) }] });
    expect(r.status, r.text).toBe(200);
    expect(r.headers.get('x-vlrerank-document-errors')).toBeNull();
    expect(r.body.rerank.map((x: any) => x.index)).toEqual([1, 0]);
    expect(r.body.rerank[0].text).toBeUndefined(); // no text to return for a photo
  });

  it('a photo that cannot be read is scored without it and said in a Warning header naming the input', async () => {
    const r = await sendJson(p.url, 'POST', '/_inference/rerank/grocery', { query: QUERY, input: [INPUT[1], { type: 'image', value: 'no/such/photo.jpg' }] });
    expect(r.status, r.text).toBe(200);
    expect(r.headers.get('x-vlrerank-document-errors')).toBe('1');
    expect(r.headers.get('warning')).toMatch(new RegExp(`^299 ${isElasticsearch(engine) ? 'Elasticsearch-vlrerank' : 'vlrerank'} "input\\[1\\] scored without its media: VLR_NOT_FOUND: `));
  });

  it('GET describes the pipeline as a rerank endpoint', async () => {
    for (const path of ['/_inference/rerank/grocery', '/_inference/grocery']) {
      const r = await fetch(`${p.url}${path}`);
      const body = (await r.json()) as any;
      expect(r.status).toBe(200);
      expect(body.endpoints).toEqual([expect.objectContaining({ inference_id: 'grocery', task_type: 'rerank', service: 'vlrerank' })]);
    }
  });

  it('bad bodies and another task type are ES-shaped 400s naming the field', async () => {
    const cases: Array<[string, unknown, string]> = [
      ['/_inference/rerank/grocery', { input: INPUT }, 'query'],
      ['/_inference/rerank/grocery', { query: QUERY }, 'input'],
      ['/_inference/rerank/grocery', { query: QUERY, input: [] }, 'input'],
      ['/_inference/rerank/grocery', { query: QUERY, input: [7] }, 'input[0]'],
      ['/_inference/rerank/grocery', { query: QUERY, input: INPUT, task_settings: { top_n: -1 } }, 'task_settings.top_n'],
      ['/_inference/rerank/grocery', { query: QUERY, input: INPUT, task_settings: { top_k: 1 } }, 'task_settings.top_k'],
      ['/_inference/rerank/grocery', { query: QUERY, input: INPUT, documents: INPUT }, 'documents'],
      ['/_inference/rerank/grocery', [], '(root)'],
      ['/_inference/text_embedding/grocery', { query: QUERY, input: INPUT }, 'task_type'],
    ];
    for (const [path, body, field] of cases) {
      const r = await sendJson(p.url, 'POST', path, body);
      expect(r.status, `${JSON.stringify(body)}: ${r.text}`).toBe(400);
      expect(r.body).toMatchObject({ status: 400, error: { type: 'illegal_argument_exception', field } });
    }
    // a limit the reranker checks names the client's field, not process()'s `documents`
    const many = await sendJson(p.url, 'POST', '/_inference/rerank/grocery', { query: QUERY, input: Array.from({ length: 1001 }, (_, i) => `text ${i}`) });
    expect(many.status, many.text).toBe(400);
    expect(many.body).toMatchObject({ status: 400, error: { field: 'input', reason: expect.stringMatching(/^\[input\] too many documents: 1001 > 1000/) } });
    const notJson = await sendJson(p.url, 'POST', '/_inference/rerank/grocery', '{"query":');
    expect(notJson.status).toBe(400);
    expect(notJson.body.error.type).toBe('parsing_exception');
  });

  it('ids that name no pipeline, _inference/_all, a task type alone and ES|QL _query reach the engine untouched', async () => {
    const body = { query: QUERY, input: INPUT };
    const asks: Array<[string, string]> = [
      ['POST', '/_inference/rerank/p32a-no-such-pipeline'],
      ['POST', '/_inference/p32a-no-such-pipeline'],
      ['GET', '/_inference/_all'],
      ['GET', '/_inference/rerank'],
      ['GET', '/_inference/rerank/p32a-no-such-pipeline'],
      ['PUT', '/_inference/rerank/p32a-no-such-pipeline'],
      // express's router answered OPTIONS itself on any id its paths match (200 `Allow: GET, HEAD, POST`)
      ['OPTIONS', '/_inference/rerank/p32a-no-such-pipeline'],
      ['OPTIONS', '/_inference/grocery'],
      ['HEAD', '/_inference/p32a-no-such-pipeline'],
      ['POST', '/_query'],
    ];
    for (const [method, path] of asks) {
      const init = { method, headers: { 'content-type': 'application/json' }, ...(method === 'GET' || method === 'HEAD' || method === 'OPTIONS' ? {} : { body: method === 'POST' && path === '/_query' ? JSON.stringify({ query: `FROM grocery | RERANK "${QUERY}" ON title WITH { "inference_id": "grocery" }` }) : JSON.stringify(body) }) };
      const [via, direct] = await Promise.all([fetch(`${p.url}${path}`, init), fetch(`${p.engineUrl}${path}`, init)]);
      expect(via.status, `${method} ${path}`).toBe(direct.status);
      expect(via.headers.get('allow'), `${method} ${path}`).toBe(direct.headers.get('allow'));
      expect(await via.text(), `${method} ${path}`).toBe(await direct.text());
    }
  });

  it.runIf(isElasticsearch(engine))("the official client's inference.rerank, inference.inference and inference.get", async () => {
    const client = esClient(p.url);
    try {
      const a = await client.inference.rerank({ inference_id: 'grocery', query: QUERY, input: INPUT, task_settings: { top_n: 2 } });
      expect(a.rerank!.map((x) => [x.index, x.relevance_score])).toEqual([1, [0, 2].sort((x, y) => expected[y]! - expected[x]!)[0]!].map((i) => [i, expected[i]]));
      const b = await client.inference.inference({ task_type: 'rerank', inference_id: 'grocery', query: QUERY, input: INPUT });
      expect(b.rerank!.length).toBe(3);
      expect(b.rerank![0]).toEqual({ index: 1, relevance_score: expected[1], text: INPUT[1] });
      const c = await client.inference.get({ inference_id: 'grocery' });
      expect(c.endpoints[0]).toMatchObject({ inference_id: 'grocery', task_type: 'rerank' });
      await expect(client.inference.rerank({ inference_id: 'grocery', query: QUERY, input: [] })).rejects.toMatchObject({ meta: { statusCode: 400 } });
      const warned = await client.inference.rerank({ inference_id: 'grocery', query: QUERY, input: [INPUT[1]!, INPUT[0]!] }, { meta: true });
      expect(warned.warnings).toBeNull(); // nothing to say
      const missing = await client.transport.request({ method: 'POST', path: '/_inference/rerank/grocery', body: { query: QUERY, input: [INPUT[1], { type: 'image', value: 'no/such/photo.jpg' }] } }, { meta: true });
      expect(missing.warnings).toEqual([expect.stringMatching(/^299 Elasticsearch-vlrerank "input\[1\] scored without its media/)]);
    } finally {
      await client.close();
    }
  });
});

describe("the Inference API on a pipeline's name under admission and budget (Elasticsearch 8.19)", () => {
  let p: SearchProxy;
  beforeAll(async () => {
    p = await startSearchProxy('elasticsearch', { rerank: { maxConcurrentRequests: 1, admission: { maxQueued: 1, clientShare: 1, maxQueueWaitMs: 300_000 } } });
  });
  afterAll(async () => {
    await p?.close();
  });

  it('a full queue is an ES-shaped 429 with Retry-After, refused before the body is read', async () => {
    await whileAdmissionFull(p.reranker.admission, 'held-by-test-inference', async () => {
      const r = await sendJson(p.url, 'POST', '/_inference/rerank/grocery', { query: QUERY, input: INPUT });
      expect(r.status, r.text).toBe(429);
      expect(Number(r.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
      expect(r.body).toMatchObject({ status: 429, error: { type: 'es_rejected_execution_exception', vlrerank_code: 'VLR_OVERLOADED' } });
      // an id that names no pipeline is the engine's, whatever the queue holds
      const other = await sendJson(p.url, 'POST', '/_inference/rerank/p32a-no-such-pipeline', { query: QUERY, input: INPUT });
      expect(other.status).toBe(400);
      expect(other.text).toContain('no handler found');
    });
  });

  it("ES's ?timeout= is the call's budget (a 504 ES-shaped past it); a bad one a 400 naming it", async () => {
    const fresh = `${Math.random()} a green apple on a wooden table`;
    const r = await sendJson(p.url, 'POST', '/_inference/rerank/grocery?timeout=1ms', { query: fresh, input: [`${fresh} and a pear`] });
    expect(r.status, r.text).toBe(504);
    expect(r.body).toMatchObject({ status: 504, error: { type: 'timeout_exception' } });
    const bad = await sendJson(p.url, 'POST', '/_inference/rerank/grocery?timeout=soon', { query: QUERY, input: INPUT });
    expect(bad.status).toBe(400);
    expect(bad.body.error).toMatchObject({ type: 'illegal_argument_exception', field: 'timeout' });
  });
});
