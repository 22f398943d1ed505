/**
 * A search whose first stage is Elasticsearch's top-level `knn` — what the current docs teach for
 * vector search, one clause or an array — reranks that kNN's hits, as a search with a `query` of its
 * own reranks that query's hits (held-out probe round 12a). With `ext.vlrerank` and no `query`, the
 * client's `knn` was replaced by the pipeline's own first stage (the bridge kNN of the query text,
 * plus a `multi_match`): its `filter`, `k`, `similarity`, vector and field were lost — hits the
 * filter excludes came back reranked, 200 — and a `knn` the engine refuses (a vector of the wrong
 * size) was a 200 instead of the engine's 400. A search by photo next to the client's `knn` keeps
 * both (an array of two, as the engine takes it). Real Elasticsearch 8.19 and 9.2, the official
 * client, the grocery catalog with vectors added at ingest, real models.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ES_VERSIONS } from '../../helpers/engines.js';
import { esClient, ensureGrocery, groceryQueries, startSearchProxy, type SearchProxy } from '../../helpers/search-fixtures.js';

const INDEX = 'grocery-it';

describe.each(ES_VERSIONS)("the client's top-level knn is the first stage of a reranked search (%s)", (engine) => {
  let p: SearchProxy;
  let vector: number[];
  beforeAll(async () => {
    p = await startSearchProxy(engine);
    await ensureGrocery(p, engine, INDEX);
    // one product's bridge vector as the query vector (9.x leaves vectors out of `_source` unless asked)
    const r = await p.engine.json<any>('POST', `/${INDEX}/_search`, { size: 1, query: { match: { title: 'apple' } }, ...(engine === 'elasticsearch9' ? { _source: { exclude_vectors: false } } : {}) });
    vector = r.body.hits.hits[0]._source.image_text_vector;
    expect(vector).toHaveLength(384);
  });
  afterAll(async () => p?.close());

  const knn = (extra: Record<string, unknown> = {}) => ({ field: 'image_text_vector', query_vector: vector, k: 5, num_candidates: 30, ...extra });
  const ids = (b: any) => b.hits.hits.map((h: any) => h._id).sort();
  const direct = (body: Record<string, unknown>) => esClient(p.engineUrl).search({ index: INDEX, size: 20, _source: ['title', 'top_category'], ...body } as never) as Promise<any>;
  const reranked = (body: Record<string, unknown>, ext: Record<string, unknown> = { query: { text: 'red apple' } }) =>
    esClient(p.url).search({ index: INDEX, size: 20, _source: ['title', 'top_category'], ...body, ext: { vlrerank: ext } } as never) as Promise<any>;

  it('a filtered knn: the hits the engine finds, reranked — none the filter excludes', async () => {
    const filter = { term: { 'top_category.keyword': 'Vegetables' } };
    const engineHits = await direct({ knn: knn({ filter }) });
    expect(engineHits.hits.hits).toHaveLength(5);
    const r = await reranked({ knn: knn({ filter }) });
    expect(r.vlrerank).toMatchObject({ pipeline: expect.any(String), degraded: false });
    expect(r.hits.total.value).toBe(engineHits.hits.total.value);
    expect(ids(r)).toEqual(ids(engineHits));
    expect(r.hits.hits.every((h: any) => h._source.top_category === 'Vegetables')).toBe(true);
  });

  it('an array of two knn clauses, and a similarity threshold, as the engine answers them', async () => {
    const two = { knn: [knn({ k: 3 }), knn({ k: 4, filter: { term: { 'top_category.keyword': 'Packages' } } })] };
    expect(ids(await reranked(two))).toEqual(ids(await direct(two)));
    const near = { knn: knn({ similarity: 0.9, k: 10 }) };
    expect(ids(await reranked(near))).toEqual(ids(await direct(near)));
  });

  it("a knn the engine refuses is the engine's 400, not a 200 of another first stage", async () => {
    const bad = { knn: { field: 'image_text_vector', query_vector: [0.1, 0.2], k: 3, num_candidates: 5 } };
    const e1 = await direct(bad).then(() => undefined, (e: any) => e.meta?.statusCode);
    expect(e1).toBe(400);
    const e2 = await reranked(bad).then((b: any) => `200 ${b.hits.total.value} hits`, (e: any) => e.meta?.statusCode);
    expect(e2).toBe(400);
  });

  it('a search by photo keeps the client knn beside its own', async () => {
    const photo = groceryQueries(50)[0]!.image;
    const filter = { term: { 'top_category.keyword': 'Packages' } };
    const r = await reranked({ knn: knn({ filter, k: 3 }) }, { query: { image: photo }, window: 20 });
    const byPhotoAlone = await reranked({}, { query: { image: photo }, window: 20 });
    const clientKnn = await direct({ knn: knn({ filter, k: 3 }) });
    // every hit of the client's knn is among the reranked ones, with the photo's kNN hits
    expect(ids(r)).toEqual(expect.arrayContaining(ids(clientKnn)));
    expect(r.hits.total.value).toBeGreaterThanOrEqual(byPhotoAlone.hits.total.value);
  });
});
