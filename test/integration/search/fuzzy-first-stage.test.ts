/**
 * `first_stage.fuzzy` (task q24; held-out probe round 23a: "bananna", "yoghrt" matched nothing in
 * BM25, so the reranker never saw the product): the text query's `multi_match` gets a fuzzy one
 * beside it in a `bool.should`, at a boost below 1. On each engine (Elasticsearch 8.19 and 9.2,
 * OpenSearch 2.19 and 3.6, real models), a text pipeline with it beside the same without it (named
 * by `ext.vlrerank.pipeline`), a few documents written through the proxy: a misspelt word finds its
 * document only with the fuzzy clause, and a word's exact match still leads the one a single edit
 * away ("bread": banana bread before the bead necklace).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ALL_ENGINES, clientBulk, clientSearch, freshIndex, pipelinesDir, startSearchProxy, textPipeline, type SearchProxy } from '../../helpers/search-fixtures.js';

const INDEX = 'q24-fuzzy-kb';
const DOCS = [
  { _id: 'banana', title: 'banana bread', text: 'a sweet loaf baked with ripe fruit' },
  { _id: 'bead', title: 'bead necklace', text: 'glass beads on a cord' },
  { _id: 'yoghurt', title: 'greek yoghurt', text: 'thick and creamy, from cows milk' },
  { _id: 'salt', title: 'sea salt', text: 'coarse crystals' },
];

/** A text pipeline (BM25 on title and text) without the fuzzy clause, and the same with it. */
function pipelines(): string {
  const exact = textPipeline('kb-exact', INDEX);
  const fuzzy = textPipeline('kb-fuzzy', 'q24-none').replace('match_fields: [title, text] }', 'match_fields: [title, text], fuzzy: { boost: 0.3 } }');
  if (!fuzzy.includes('fuzzy: {')) throw new Error('textPipeline changed its first_stage line: update this test');
  return pipelinesDir({ 'kb-exact.yaml': exact, 'kb-fuzzy.yaml': fuzzy });
}

describe.each(ALL_ENGINES)('fuzzy first stage on %s', (engine) => {
  let p: SearchProxy;
  beforeAll(async () => {
    p = await startSearchProxy(engine, { pipelinesDir: pipelines() });
    await freshIndex(p, p.pipelines.get('kb-exact')!, INDEX);
    const bulk = await clientBulk(engine, p.url, DOCS.flatMap(({ _id, ...doc }) => [{ index: { _index: INDEX, _id } }, doc]));
    expect(bulk.errors).toBe(false);
  }, 600_000);
  afterAll(async () => {
    await p?.engine.json('DELETE', `/${INDEX}`);
    await p?.close();
  });

  const search = async (text: string, pipeline = 'kb-fuzzy') => {
    const body = await clientSearch(engine, p.url, { index: INDEX, body: { size: 10, _source: false, ext: { vlrerank: { query: { text }, explain: true, pipeline } } } });
    expect(body.vlrerank.degraded).toBe(false);
    const hits = body.hits.hits as Array<{ _id: string; _vlrerank: { first_stage_rank: number } }>;
    return { reranked: hits.map((h) => h._id), first: [...hits].sort((a, b) => a._vlrerank.first_stage_rank - b._vlrerank.first_stage_rank).map((h) => h._id) };
  };

  it('finds the document of a misspelt word, which the exact multi_match alone misses', { timeout: 300_000 }, async () => {
    expect((await search('bananna')).reranked[0]).toBe('banana');
    expect((await search('bananna', 'kb-exact')).reranked).toEqual([]);
    expect((await search('yoghrt')).reranked[0]).toBe('yoghurt');
    expect((await search('yoghrt', 'kb-exact')).reranked).toEqual([]);
  });

  it("keeps a word's exact match ahead of a document one edit away", { timeout: 300_000 }, async () => {
    const r = await search('bread');
    expect(r.first.slice(0, 2)).toEqual(['banana', 'bead']); // the necklace only by the fuzzy clause, and after
    expect(r.reranked[0]).toBe('banana');
    expect((await search('bread', 'kb-exact')).first).toEqual(['banana']);
  });
});
