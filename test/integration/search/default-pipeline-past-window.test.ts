/**
 * A search that did not ask for a rerank, on an index whose pipeline is `default`, is answered for
 * any page the engine answers: the window reranked, the hits after the pipeline's maximum window in
 * first-stage order (as the engine's own `rescore` answers past its `window_size`); a page wholly
 * past the window is the engine's own page. `size: 0` (totals, aggregations) reranks nothing. Before
 * (held-out probe round 10b) a client paging past `window.max` or asking `size: 10000` got a 400 it
 * never asked for, and `size: 0` reranked the whole default window for no hit. A search that asks
 * (`ext.vlrerank`) past the maximum is still the 400 naming the window. Real Elasticsearch 8.19 and
 * OpenSearch 2.19, official clients, the real text model.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ENGINES, clientBulk, clientSearch, clientSearchRaw, freshIndex, pipelinesDir, startSearchProxy, type SearchProxy } from '../../helpers/search-fixtures.js';

const PIPELINE = `name: kb-small-window
index_patterns: [kbwin-*]
default: true
fields: { text: [title, text] }
first_stage: { text_query: bm25, match_fields: [title, text] }
window: { default: 4, max: 6 }
budget_ms: 300000
failure: fail_open
`;
const TOPICS = ['vitamin D and bone fractures', 'iron deficiency anaemia', 'sunlight and skin', 'vitamin C and the common cold', 'sleep and memory'];
const DOCS = Array.from({ length: 14 }, (_, i) => ({ title: `Note ${i}`, text: `vitamin study ${i}: ${TOPICS[i % TOPICS.length]}${' vitamin'.repeat(i % 4)}` }));
const QUERY = { match: { text: 'vitamin' } };

describe.each(ENGINES)('a default pipeline past its window (%s)', (engine) => {
  const INDEX = `kbwin-${engine}`;
  let p: SearchProxy;
  beforeAll(async () => {
    p = await startSearchProxy(engine, { pipelinesDir: pipelinesDir({ 'kb-small-window.yaml': PIPELINE }) });
    await freshIndex(p, p.pipelines.get('kb-small-window')!, INDEX);
    await clientBulk(engine, p.url, DOCS.flatMap((d, i) => [{ index: { _index: INDEX, _id: String(i) } }, d]));
  });
  afterAll(async () => {
    await p?.engine.json('DELETE', `/${INDEX}`);
    await p?.close();
  });
  const ids = (b: any) => b.hits.hits.map((h: any) => h._id as string);

  it('pages through every hit once: the window reranked, the rest in first-stage order', async () => {
    const direct = await clientSearch(engine, p.engineUrl, { index: INDEX, body: { query: QUERY, size: 20 } });
    const all = await clientSearch(engine, p.url, { index: INDEX, body: { query: QUERY, size: 20 } });
    expect(all.vlrerank).toMatchObject({ pipeline: 'kb-small-window', window: 6, candidates: 6, past_window: 8, degraded: false });
    expect(all.hits.total).toEqual(direct.hits.total);
    // the window is the first stage's top 6, reordered; after it, the engine's own order and scores
    expect(new Set(ids(all).slice(0, 6))).toEqual(new Set(ids(direct).slice(0, 6)));
    expect(ids(all).slice(6)).toEqual(ids(direct).slice(6));
    expect(all.hits.hits.slice(6).map((h: any) => h._score)).toEqual(direct.hits.hits.slice(6).map((h: any) => h._score));
    // pages of 5 give the same hits, each once
    const paged: string[] = [];
    for (let from = 0; from < 14; from += 5) paged.push(...ids(await clientSearch(engine, p.url, { index: INDEX, body: { query: QUERY, from, size: 5 } })));
    expect(paged).toEqual(ids(all));
    // a page wholly past the window is the engine's page
    const deep = await clientSearch(engine, p.url, { index: INDEX, body: { query: QUERY, from: 8, size: 4 } });
    const deepDirect = await clientSearch(engine, p.engineUrl, { index: INDEX, body: { query: QUERY, from: 8, size: 4 } });
    expect(deep.hits.hits.map((h: any) => [h._id, h._score])).toEqual(deepDirect.hits.hits.map((h: any) => [h._id, h._score]));
  });

  it('size 0 reranks nothing and answers totals as the engine does', async () => {
    const zero = await clientSearch(engine, p.url, { index: INDEX, body: { query: QUERY, size: 0 } });
    const direct = await clientSearch(engine, p.engineUrl, { index: INDEX, body: { query: QUERY, size: 0 } });
    expect(zero.hits.hits).toEqual([]);
    expect(zero.hits.total).toEqual(direct.hits.total);
    expect(zero.vlrerank).toMatchObject({ candidates: 0, degraded: false });
  });

  it('a search that asks for a rerank past the maximum is still the 400 naming the window', async () => {
    const r = await clientSearchRaw(engine, p.url, { index: INDEX, body: { query: QUERY, size: 10, ext: { vlrerank: { query: { text: 'vitamin' } } } } });
    expect(r.statusCode).toBe(400);
    expect(r.body.error.reason).toMatch(/rerank window \[10\] exceeds the maximum \[6\]/);
  });
});
