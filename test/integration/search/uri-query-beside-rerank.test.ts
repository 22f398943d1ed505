/**
 * A URI search's `?q=` beside a reranked body is the search's query, as the engine reads it: the
 * engines put `q` in place of the body's `query` (RestSearchAction), so the hits are `q`'s, and the
 * text they are reranked against is `q`'s terms. Held-out probe round 29a found three ways it was
 * not: with `ext.vlrerank.query.text` and no body query, Elasticsearch got the pipeline's bridge kNN
 * beside `q` (50 hits for the engine's 4: the client's restriction lost) while OpenSearch had it
 * replaced by `q`; with a body `query` and no rerank text, the engine's hits for `q` were reranked
 * against the body's words ("apple" for four peppers); beside a search by photo, `q` replaced the
 * photo's kNN query on OpenSearch and stood beside a kNN of the maximum window on Elasticsearch,
 * where the same words as a body `query` stand beside the photo's kNN on both; beside a retriever,
 * whose own query the engines refuse `q` with, it replaced the retriever's first stage.
 * Real Elasticsearch 8.19 and OpenSearch 2.19, the official clients, the grocery catalog, real models.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { clientSearch, clientSearchRaw, ENGINES, ensureGrocery, groceryQueries, startSearchProxy, type SearchProxy } from '../../helpers/search-fixtures.js';

const INDEX = 'grocery-it';
const PEPPERS = ['69', '70', '71', '72'];

describe.each(ENGINES)('?q= beside a reranked body (%s)', (engine) => {
  let p: SearchProxy;
  beforeAll(async () => {
    p = await startSearchProxy(engine);
    await ensureGrocery(p, engine, INDEX);
  });
  afterAll(async () => p?.close());

  const search = (url: string, q: string | undefined, body: Record<string, unknown>) => clientSearch(engine, url, { index: INDEX, ...(q !== undefined ? { q } : {}), body: { size: 20, _source: ['title'], ...body } });
  const ids = (b: any) => b.hits.hits.map((h: any) => h._id).sort();

  it("the hits are q's, as the engine answers them, with the rerank's text beside no body query", async () => {
    const direct = await search(p.engineUrl, 'title:pepper', {});
    expect(ids(direct)).toEqual(PEPPERS);
    const r = await search(p.url, 'title:pepper', { ext: { vlrerank: { query: { text: 'red pepper' } } } });
    expect(r.vlrerank).toMatchObject({ degraded: false, candidates: 4 });
    expect(r.hits.total).toEqual(direct.hits.total);
    expect(ids(r)).toEqual(PEPPERS);
    expect(r.hits.hits[0]._id).toBe('71'); // the red one, reranked first
  });

  it("q's terms are the text reranked against, not the body query q replaces", async () => {
    const r = await search(p.url, 'title:pepper', { query: { match: { title: 'apple' } }, ext: { vlrerank: { explain: true } } });
    expect(ids(r)).toEqual(PEPPERS);
    expect(r.vlrerank.query_text).toBe('pepper');
  });

  it('beside a search by photo, q stands beside the photo kNN as the same words in the body do', async () => {
    const photo = groceryQueries(5).find((x) => x.classId === 69)!.image;
    const ext = { vlrerank: { query: { image: photo }, window: 20 } };
    const byQ = await search(p.url, 'title:pepper', { ext });
    const byBody = await search(p.url, undefined, { query: { query_string: { query: 'title:pepper' } }, ext });
    expect(byQ.hits.total).toEqual(byBody.hits.total); // Elasticsearch's kNN beside q was of the maximum window: 81 for 24
    expect(byQ.vlrerank.candidates).toBe(byBody.vlrerank.candidates);
    expect(byQ.vlrerank.candidates).toBe(20); // the photo's kNN hits with the peppers, not the 4 peppers alone
    expect(ids(byQ)).toEqual(ids(byBody));
    expect(ids(byQ)).toEqual(expect.arrayContaining(PEPPERS));
  });

  it("beside a retriever, q is refused as the engines refuse a query beside one — the retriever's first stage was silently replaced", async () => {
    const reranker = { retriever: { text_similarity_reranker: { retriever: { standard: { query: { match: { title: 'apple' } } } }, field: 'title', inference_text: 'green apple', rank_window_size: 20 } } };
    const plainApples = await search(p.url, undefined, reranker);
    expect(plainApples.hits.hits.length).toBeGreaterThan(0);
    for (const body of [reranker, { retriever: { standard: { query: { match: { title: 'apple' } } } }, ext: { vlrerank: { query: { text: 'green apple' } } } }]) {
      const r = await clientSearchRaw(engine, p.url, { index: INDEX, q: 'title:pepper', body: { size: 5, ...body } });
      expect(r.statusCode).toBe(400);
      expect(r.body.error.reason).toContain('[q]');
    }
  });
});
