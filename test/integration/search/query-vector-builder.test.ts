/**
 * Elasticsearch's `query_vector_builder` naming a vlrerank pipeline (held-out probe round 32d): a team
 * following the ES docs' semantic search writes `"knn": {"field": …, "query_vector_builder":
 * {"text_embedding": {"model_id": "grocery", "model_text": "red apple"}}, …}` — in the top-level
 * `knn`, a `knn` query and a `knn` retriever (also under `text_similarity_reranker`). The thin builds
 * have no ML: the engine refuses the builder, and through vlrerank so did every search (the
 * retriever form was vlrerank's own 400, "needs an inference service vlrerank does not run"). Now
 * the `query_vector` is the pipeline's own text encoding of `model_text` (what its `text_query` kNN
 * searches its bridge field with), and the search is the one the client would have sent with it.
 * Real Elasticsearch 8.19 and 9.2, the official client, the grocery catalog with vectors added at
 * ingest, real models.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ES_VERSIONS } from '../../helpers/engines.js';
import { esClient, ensureGrocery, startSearchProxy, type SearchProxy } from '../../helpers/search-fixtures.js';

const INDEX = 'grocery-it';
const TEXT = 'red apple';

describe.each(ES_VERSIONS)('a query_vector_builder naming a pipeline gets its query vector from vlrerank (%s)', (engine) => {
  let p: SearchProxy;
  let vector: number[];
  beforeAll(async () => {
    p = await startSearchProxy(engine);
    await ensureGrocery(p, engine, INDEX);
    vector = Array.from(await p.srv.services.embedder.queryText(TEXT));
    expect(vector).toHaveLength(384);
  });
  afterAll(async () => p?.close());

  const builder = (model_text = TEXT, model_id = 'grocery') => ({ text_embedding: { model_id, model_text } });
  const knn = (extra: Record<string, unknown> = {}) => ({ field: 'image_text_vector', query_vector_builder: builder(), k: 5, num_candidates: 30, ...extra });
  const withVector = (extra: Record<string, unknown> = {}) => ({ field: 'image_text_vector', query_vector: vector, k: 5, num_candidates: 30, ...extra });
  const hits = (b: any) => b.hits.hits.map((h: any) => [h._id, Number(h._score.toFixed(3))]);
  const search = (url: string, body: Record<string, unknown>) => esClient(url).search({ index: INDEX, size: 10, _source: ['title'], ...body } as never) as Promise<any>;
  const status = (x: Promise<unknown>) =>
    x.then(
      () => ({ status: 200, type: undefined as unknown, reason: '' }),
      (e: any) => ({ status: e.meta?.statusCode, type: e.meta?.body?.error?.type, reason: String(e.meta?.body?.error?.reason) }),
    );

  it("the engine alone refuses the builder (no ML in the thin builds): what a team met through vlrerank", async () => {
    expect((await status(search(p.engineUrl, { knn: knn() }))).status).toBeGreaterThanOrEqual(400);
  });

  it('the top-level knn: the hits the engine answers to the same knn with the pipeline-built vector, not reranked', async () => {
    const r = await search(p.url, { knn: knn() });
    const direct = await search(p.engineUrl, { knn: withVector() });
    expect(hits(r)).toEqual(hits(direct));
    // the bridge vectors are zero-shot (photo → text space): an apple among the first five, not always first
    expect(r.hits.hits.slice(0, 5).map((h: any) => h._source.title.toLowerCase()).join(' | ')).toContain('apple');
    expect(r.vlrerank).toBeUndefined();
  });

  it('a knn query inside a bool, and a knn retriever, alike', async () => {
    const q = (k: Record<string, unknown>) => ({ query: { bool: { must: [{ knn: k }], filter: [{ exists: { field: 'title' } }] } } });
    expect(hits(await search(p.url, q(knn())))).toEqual(hits(await search(p.engineUrl, q(withVector()))));
    const r = await search(p.url, { retriever: { knn: knn() } });
    expect(hits(r)).toEqual(hits(await search(p.engineUrl, { retriever: { knn: withVector() } })));
  });

  it('a text_similarity_reranker over a knn retriever with the builder is reranked by the pipeline', async () => {
    const r = await search(p.url, { retriever: { text_similarity_reranker: { retriever: { knn: knn({ k: 20 }) }, field: 'title', inference_text: TEXT, inference_id: 'grocery' } } });
    expect(r.vlrerank).toMatchObject({ pipeline: 'grocery' });
    expect(r.hits.hits.length).toBeGreaterThan(0);
    // the kNN's own 20 hits, reranked: every one among the engine's kNN of the same vector
    const direct = await search(p.engineUrl, { size: 20, knn: withVector({ k: 20 }) });
    const ids = new Set(direct.hits.hits.map((h: any) => h._id));
    expect(r.hits.hits.every((h: any) => ids.has(h._id))).toBe(true);
  });

  it('the top-level knn beside ext.vlrerank: reranked, the kNN its first stage', async () => {
    const r = await esClient(p.url).search({ index: INDEX, size: 5, _source: ['title'], knn: knn(), ext: { vlrerank: { query: { text: TEXT } } } } as never) as any;
    expect(r.vlrerank).toMatchObject({ pipeline: 'grocery' });
    const direct = await search(p.engineUrl, { knn: withVector() });
    expect(r.hits.hits.map((h: any) => h._id).sort()).toEqual(direct.hits.hits.map((h: any) => h._id).sort());
  });

  it('a field without text-space vectors, or a bad builder, is a 400 naming the field', async () => {
    const photo = await status(search(p.url, { knn: knn({ field: 'image_vector' }) }));
    expect(photo).toMatchObject({ status: 400, type: 'illegal_argument_exception' });
    expect(photo.reason).toContain('[knn.field]');
    expect(photo.reason).toContain('image_text_vector');
    const empty = await status(search(p.url, { knn: knn({ query_vector_builder: builder('') }) }));
    expect(empty).toMatchObject({ status: 400 });
    expect(empty.reason).toContain('[knn.query_vector_builder.text_embedding.model_text]');
    const both = await status(search(p.url, { knn: knn({ query_vector: vector }) }));
    expect(both).toMatchObject({ status: 400 });
    expect(both.reason).toContain('[knn.query_vector]');
    const inQuery = await status(search(p.url, { query: { bool: { should: [{ match: { title: 'x' } }, { knn: knn({ field: 'title' }) }] } } }));
    expect(inQuery.reason).toContain('[query.bool.should[1].knn.field]');
  });

  it('_msearch: each item with a builder as its _search; a bad one is that item\'s 400', async () => {
    const msearch = (url: string, bodies: object[]) => esClient(url).msearch({ index: INDEX, searches: bodies.flatMap((b) => [{}, { size: 5, _source: ['title'], ...b }]) } as never) as Promise<any>;
    const r = await msearch(p.url, [{ knn: knn() }, { query: { match: { title: 'apple' } } }, { knn: knn({ field: 'image_vector' }) }]);
    const direct = await msearch(p.engineUrl, [{ knn: withVector() }, { query: { match: { title: 'apple' } } }]);
    expect(hits(r.responses[0])).toEqual(hits(direct.responses[0]));
    expect(hits(r.responses[1])).toEqual(hits(direct.responses[1]));
    expect(r.responses[2]).toMatchObject({ status: 400, error: { type: 'illegal_argument_exception' } });
    expect(r.responses[2].error.reason).toContain('[knn.field]');
  });

  it("a model_id that names no pipeline is the engine's own answer, untouched", async () => {
    const body = { knn: { ...knn(), query_vector_builder: builder(TEXT, 'p32d-no-such-model') } };
    const viaProxy = await status(search(p.url, body));
    const direct = await status(search(p.engineUrl, body));
    expect(viaProxy).toEqual(direct);
  });
});
