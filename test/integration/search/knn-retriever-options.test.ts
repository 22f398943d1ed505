/**
 * A `knn` child retriever's other parameters reach the engine (held-out probe round 6: they were
 * dropped): `_name` (the hits' `matched_queries`), `rescore_vector` (the engine rescores an int8
 * index's hits with the raw vectors: other first-stage scores), `visit_percentage`, beside the
 * `similarity` and `filter` that already did. For each, the first stage under the reranker — its
 * hits, their engine explanations and `matched_queries` — equals the same `knn` retriever sent to
 * Elasticsearch 9.2 directly (the thin build has no `text_similarity_reranker`, so the child is
 * compared alone). An unknown parameter is a 400 naming it, as the engine answers. Where the
 * engine lacks an option it says so itself: Elasticsearch 8.19 refuses `visit_percentage`,
 * OpenSearch 3.6 `rescore_vector` (its `knn` query takes `_name`: the hits are named as directly).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { setupIndex } from '../../../src/engine/mapping.js';
import { startSearchProxy, type Engine, type SearchProxy } from '../../helpers/search-fixtures.js';

const VEC = 'kb-knn-retriever-options-it';
const DOCS = ['apple pie', 'red apple', 'apple laptop', 'truck hauling apple crates', 'apple cart', 'banana'];
let p: SearchProxy;

async function post(url: string, body: unknown): Promise<{ status: number; body: any }> {
  const r = await fetch(`${url}/${VEC}/_search`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  return { status: r.status, body: await r.json() };
}

beforeAll(async () => {
  p = await startSearchProxy('elasticsearch9');
  await p.engine.json('DELETE', `/${VEC}`);
  await setupIndex(p.engine, p.pipelines.get('knowledge-base')!, VEC);
  // int8: `rescore_vector` rescores with the raw vectors, so its scores differ from the quantised ones
  const mapping = { properties: { v: { type: 'dense_vector', dims: 3, similarity: 'cosine', index_options: { type: 'int8_hnsw' } }, cat: { type: 'keyword' } } };
  expect((await p.engine.json('PUT', `/${VEC}/_mapping`, mapping)).statusCode).toBe(200);
  for (const [i, text] of DOCS.entries()) await p.engine.json('PUT', `/${VEC}/_doc/${i}`, { title: text, text, cat: i % 2 ? 'odd' : 'even', v: [1, i, 0.5] });
  await p.engine.json('POST', `/${VEC}/_refresh`);
}, 300_000);
afterAll(async () => {
  await p?.engine.json('DELETE', `/${VEC}`);
  await p?.close();
});

const base = { field: 'v', query_vector: [1, 0, 0], k: 4, num_candidates: 10 };
const reranked = (knn: object) => ({ explain: true, retriever: { text_similarity_reranker: { retriever: { knn }, field: 'text', inference_text: 'apple' } } });

/** Each hit's first stage, by id: the engine's explanation (vlrerank keeps it under its own) and matched_queries. */
function firstStage(hits: any[], underRerank: boolean): Record<string, unknown> {
  return Object.fromEntries(hits.map((h) => [h._id, { explanation: underRerank ? h._explanation.details.at(-1) : h._explanation, matched: h.matched_queries }]));
}

describe("a knn child retriever's options reach the engine (Elasticsearch 9.2)", () => {
  const cases: Array<[string, Record<string, unknown>]> = [
    ['_name', { _name: 'vec' }],
    ['rescore_vector', { rescore_vector: { oversample: 2 } }],
    ['visit_percentage', { visit_percentage: 50 }],
    ['similarity', { similarity: 0.9 }],
    ['filter', { filter: { term: { cat: 'odd' } } }],
    ['all together', { _name: 'vec', rescore_vector: { oversample: 3 }, visit_percentage: 80, filter: { term: { cat: 'even' } } }],
  ];

  it.each(cases)('%s: the first stage under the reranker is the engine\'s own', async (_, extra) => {
    const knn = { ...base, ...extra };
    const direct = await post(p.engineUrl, { explain: true, retriever: { knn } });
    expect(direct.status, JSON.stringify(direct.body)).toBe(200);
    const via = await post(p.url, reranked(knn));
    expect(via.status, JSON.stringify(via.body)).toBe(200);
    expect(via.body.vlrerank.syntax).toBe('retriever');
    expect(firstStage(via.body.hits.hits, true)).toEqual(firstStage(direct.body.hits.hits, false));
  });

  it('the options matter: _name names the hits, rescore_vector changes the first-stage scores', async () => {
    const plain = await post(p.engineUrl, { retriever: { knn: base } });
    const rescored = await post(p.url, reranked({ ...base, rescore_vector: { oversample: 2 } }));
    const score = (b: any, id: string, under: boolean) => (under ? b.hits.hits.find((h: any) => h._id === id)._explanation.details.at(-1).value : b.hits.hits.find((h: any) => h._id === id)._score);
    expect(score(rescored.body, '1', true)).not.toBeCloseTo(score(plain.body, '1', false), 4);
    const named = await post(p.url, reranked({ ...base, _name: 'vec' }));
    for (const h of named.body.hits.hits) expect(h.matched_queries).toEqual(['vec']);
  });

  it('an unknown parameter is a 400 naming it, as the engine answers', async () => {
    const knn = { ...base, bogus: 1 };
    expect((await post(p.engineUrl, { retriever: { knn } })).status).toBe(400);
    const r = await post(p.url, reranked(knn));
    expect(r.status).toBe(400);
    expect(r.body.error.reason).toContain('[retriever.text_similarity_reranker.retriever.knn.bogus] unknown field');
  });
});

describe.each([
  ['elasticsearch', 'visit_percentage', { visit_percentage: 50 }],
  ['opensearch3', 'rescore_vector', { rescore_vector: { oversample: 2 } }],
] as Array<[Engine, string, Record<string, unknown>]>)('on %s, an option the engine lacks is its own 400, not dropped', (engine, name, extra) => {
  let q: SearchProxy;
  beforeAll(async () => {
    q = await startSearchProxy(engine);
    await q.engine.json('DELETE', `/${VEC}`);
    await setupIndex(q.engine, q.pipelines.get('knowledge-base')!, VEC);
    const v = engine === 'opensearch3' ? { type: 'knn_vector', dimension: 3, method: { name: 'hnsw', engine: 'lucene', space_type: 'cosinesimil' } } : { type: 'dense_vector', dims: 3, similarity: 'cosine' };
    if (engine === 'opensearch3') {
      await q.engine.json('DELETE', `/${VEC}`);
      expect((await q.engine.json('PUT', `/${VEC}`, { settings: { 'index.knn': true }, mappings: { properties: { text: { type: 'text' }, v } } })).statusCode).toBe(200);
    } else expect((await q.engine.json('PUT', `/${VEC}/_mapping`, { properties: { v } })).statusCode).toBe(200);
    for (const [i, text] of DOCS.entries()) await q.engine.json('PUT', `/${VEC}/_doc/${i}`, { title: text, text, v: [1, i, 0.5] });
    await q.engine.json('POST', `/${VEC}/_refresh`);
  }, 300_000);
  afterAll(async () => {
    await q?.engine.json('DELETE', `/${VEC}`);
    await q?.close();
  });

  it(`${name}: the engine's 400 naming it`, async () => {
    const r = await post(q.url, reranked({ ...base, ...extra }));
    expect(r.status, JSON.stringify(r.body)).toBe(400);
    expect(JSON.stringify(r.body.error)).toContain(`unknown field [${name}]`);
  });

  it.runIf(engine === 'opensearch3')('_name names the hits as the knn query does directly', async () => {
    const direct = await post(q.engineUrl, { query: { knn: { v: { vector: base.query_vector, k: base.k, _name: 'vec' } } } });
    const via = await post(q.url, reranked({ ...base, _name: 'vec' }));
    expect(via.status, JSON.stringify(via.body)).toBe(200);
    const named = (b: any) => Object.fromEntries(b.hits.hits.map((h: any) => [h._id, h.matched_queries]));
    expect(named(via.body)).toEqual(named(direct.body));
    expect(Object.values(named(via.body))).toContainEqual(['vec']);
  });
});
