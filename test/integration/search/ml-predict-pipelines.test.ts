/**
 * OpenSearch ml-commons' `_predict` on a vlrerank pipeline's name (held-out probe round 32b), on
 * OpenSearch 2.19 and 3.6 through the proxy: `POST /_plugins/_ml/models/{pipeline}/_predict` and
 * `/_plugins/_ml/_predict/text_similarity/{pipeline}` (the official client's `ml.predictModel` /
 * `ml.predict`) with `{query_text, text_docs}` answer ml-commons' text_similarity shape — one
 * `inference_results` entry per document in input order, `output: [{name: "similarity", data_type,
 * shape: [1], data: [score]}]` — scored by that pipeline's scorer; bad bodies are ES-shaped 400s;
 * a full queue a 429; any other model id, and what the docs do next in the cluster (a `rerank`
 * search pipeline, `index.search.default_pipeline`), reach the engine byte for byte. Before, every
 * `_predict` reached the engine, whose builds here have no ml-commons: 400 "no handler found".
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { whileAdmissionFull } from '../../helpers/admission.js';
import { catalog, osClient, pipelineScores, sendJson, startSearchProxy, type SearchProxy } from '../../helpers/search-fixtures.js';

const APPLE = catalog.find((c) => c.class_name === 'Granny-Smith')!;
const MILK = catalog.find((c) => /milk/i.test(c.title))!;
const QUERY = 'a green, sour apple';
const DOCS = [`${MILK.title}\n${MILK.description}`, `${APPLE.title}\n${APPLE.description}`, 'A plate of pasta.'];


const similarity = (scores: number[]) => ({ inference_results: scores.map((s) => ({ output: [{ name: 'similarity', data_type: 'FLOAT32', shape: [1], data: [s] }] })) });

describe.each(['opensearch', 'opensearch3'] as const)("ml-commons' _predict on a pipeline's name through the proxy on %s", (engine) => {
  let p: SearchProxy;
  /** The grocery pipeline's scores of DOCS in input order, as its reranked searches compute them. */
  let expected: number[];
  beforeAll(async () => {
    p = await startSearchProxy(engine);
    expected = await pipelineScores(p, 'grocery', QUERY, DOCS);
  });
  afterAll(async () => {
    await p?.close();
  });

  it('POST /_plugins/_ml/models/{pipeline}/_predict answers the text_similarity shape, one result per document in input order', async () => {
    const r = await sendJson(p.url, 'POST', '/_plugins/_ml/models/grocery/_predict', { query_text: QUERY, text_docs: DOCS });
    expect(r.status, r.text).toBe(200);
    expect(r.body).toEqual(similarity(expected));
    expect(expected[1]).toBeGreaterThan(Math.max(expected[0]!, expected[2]!)); // the apple's text is the best match
    expect(r.headers.get('x-vlrerank-total-ms')).not.toBeNull();
  });

  it("the official client's ml.predictModel and ml.predict (text_similarity)", async () => {
    const client = osClient(p.url);
    try {
      const a = await client.ml.predictModel({ model_id: 'grocery', body: { query_text: QUERY, text_docs: DOCS } } as never);
      expect(a.statusCode).toBe(200);
      expect(a.body).toEqual(similarity(expected));
      const b = await client.ml.predict({ algorithm_name: 'text_similarity', model_id: 'grocery', body: { query_text: QUERY, text_docs: DOCS } } as never);
      expect(b.body).toEqual(similarity(expected));
      await expect(client.ml.predictModel({ model_id: 'grocery', body: { query_text: QUERY, text_docs: [] } } as never)).rejects.toMatchObject({ meta: { statusCode: 400 } });
    } finally {
      await client.close();
    }
  });

  it('bad bodies and another algorithm are ES-shaped 400s naming the field', async () => {
    const M = '/_plugins/_ml/models/grocery/_predict';
    const cases: Array<[string, unknown, string]> = [
      [M, { text_docs: DOCS }, 'query_text'],
      [M, { query_text: '', text_docs: DOCS }, 'query_text'],
      [M, { query_text: QUERY }, 'text_docs'],
      [M, { query_text: QUERY, text_docs: [] }, 'text_docs'],
      [M, { query_text: QUERY, text_docs: 'one' }, 'text_docs'],
      [M, { query_text: QUERY, text_docs: ['a', 7] }, 'text_docs[1]'],
      [M, { query_text: QUERY, text_docs: DOCS, query: QUERY }, 'query'],
      [M, [], '(root)'],
      ['/_plugins/_ml/_predict/kmeans/grocery', { query_text: QUERY, text_docs: DOCS }, 'algorithm'],
    ];
    for (const [path, body, field] of cases) {
      const r = await sendJson(p.url, 'POST', path, body);
      expect(r.status, `${path} ${JSON.stringify(body)}: ${r.text}`).toBe(400);
      expect(r.body).toMatchObject({ status: 400, error: { type: 'illegal_argument_exception', field } });
    }
    const many = await sendJson(p.url, 'POST', M, { query_text: QUERY, text_docs: Array.from({ length: 1001 }, (_, i) => `text ${i}`) });
    expect(many.status, many.text).toBe(400);
    expect(many.body).toMatchObject({ status: 400, error: { field: 'text_docs', reason: expect.stringMatching(/^\[text_docs\] too many documents: 1001 > 1000/) } });
    const notJson = await sendJson(p.url, 'POST', M, '{"query_text":');
    expect(notJson.status).toBe(400);
    expect(notJson.body.error.type).toBe('parsing_exception');
  });

  it("other model ids, other ml-commons calls and the docs' cluster pipeline steps of another model reach the engine untouched", async () => {
    const predict = { query_text: QUERY, text_docs: DOCS };
    // naming a vlrerank pipeline, the docs' cluster pipeline is vlrerank's since round 34b (search-pipeline-rerank-processor.test.ts)
    const rerankPipeline = { response_processors: [{ rerank: { ml_opensearch: { model_id: 'p32b-no-such-model' }, context: { document_fields: ['title'] } } }] };
    const asks: Array<[string, string, unknown?]> = [
      ['POST', '/_plugins/_ml/models/p32b-no-such-model/_predict', predict],
      ['POST', '/_plugins/_ml/_predict/text_similarity/p32b-no-such-model', predict],
      ['GET', '/_plugins/_ml/models/grocery'],
      ['POST', '/_plugins/_ml/models/grocery/_deploy'],
      ['OPTIONS', '/_plugins/_ml/models/grocery/_predict'],
      ['HEAD', '/_plugins/_ml/models/grocery/_predict'],
      // the engines here have no neural-search plugin: a `rerank` processor of the cluster's own model is refused
      ['PUT', '/_search/pipeline/p32b-rerank', rerankPipeline],
    ];
    for (const [method, path, body] of asks) {
      const [via, direct] = await Promise.all([sendJson(p.url, method, path, body), sendJson(p.engineUrl, method, path, body)]);
      expect(via.status, `${method} ${path}`).toBe(direct.status);
      expect(via.headers.get('allow'), `${method} ${path}`).toBe(direct.headers.get('allow'));
      expect(via.text, `${method} ${path}`).toBe(direct.text);
    }
  });
});

describe("ml-commons' _predict on a pipeline's name under admission (OpenSearch 2.19)", () => {
  let p: SearchProxy;
  beforeAll(async () => {
    p = await startSearchProxy('opensearch', { rerank: { maxConcurrentRequests: 1, admission: { maxQueued: 1, clientShare: 1, maxQueueWaitMs: 300_000 } } });
  });
  afterAll(async () => {
    await p?.close();
  });

  it('a full queue is an ES-shaped 429 with Retry-After; another model id is still the engine\'s', async () => {
    await whileAdmissionFull(p.reranker.admission, 'held-by-test-ml-predict', async () => {
      const r = await sendJson(p.url, 'POST', '/_plugins/_ml/models/grocery/_predict', { query_text: QUERY, text_docs: DOCS });
      expect(r.status, r.text).toBe(429);
      expect(Number(r.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
      expect(r.body).toMatchObject({ status: 429, error: { type: 'es_rejected_execution_exception', vlrerank_code: 'VLR_OVERLOADED' } });
      const other = await sendJson(p.url, 'POST', '/_plugins/_ml/models/p32b-no-such-model/_predict', { query_text: QUERY, text_docs: DOCS });
      expect(other.status).toBe(400);
      expect(other.text).toContain('no handler found');
    });
  });

  it('x-vlrerank-budget-ms is the call\'s budget: a 504 ES-shaped past it', async () => {
    const fresh = `${Math.random()} a green apple on a wooden table`;
    const r = await fetch(`${p.url}/_plugins/_ml/models/grocery/_predict`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-vlrerank-budget-ms': '1' }, body: JSON.stringify({ query_text: fresh, text_docs: [`${fresh} and a pear`] }) });
    const body = (await r.json()) as any;
    expect(r.status, JSON.stringify(body)).toBe(504);
    expect(body).toMatchObject({ status: 504, error: { type: 'timeout_exception' } });
  });
});
