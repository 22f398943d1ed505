/**
 * A product page paging a reranked search by `from`/`size` without naming a window (infinite
 * scroll, "load more", "next page") sees every hit once: the window is the pipeline's default (or
 * the page's size when larger) whatever `from` is, and the hits after it follow in first-stage
 * order, as the engine's own `rescore` answers past its `window_size`. Before (held-out probe round
 * 15e) the window grew to cover from+size, so each page past the default reranked another set of
 * candidates: paging SciFact abstracts by 10 with a default window of 30 showed 23 of the first 100
 * hits twice and 43 never, on all four engines. Real engines (Elasticsearch 8.19 and 9.2, OpenSearch
 * 2.19 and 3.6), official clients, SciFact abstracts, the real text model.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ALL_ENGINES, clientBulk, clientSearch, freshIndex, pipelinesDir, startSearchProxy, type SearchProxy } from '../../helpers/search-fixtures.js';
import { scifactDocs } from '../../helpers/scifact-docs.js';

const PIPELINE = `name: kb-paging
index_patterns: [kbpage-*]
default: false
fields: { text: [title, text] }
first_stage: { text_query: bm25, match_fields: [title, text] }
window: { default: 10, max: 50 }
budget_ms: 300000
failure: fail_open
`;
const TEXT = 'cancer cells and tumour growth';
const QUERY = { match: { text: TEXT } };
const EXT = { vlrerank: { query: { text: TEXT } } };

describe.each(ALL_ENGINES)('paging a reranked search past its default window (%s)', (engine) => {
  const INDEX = `kbpage-${engine}`;
  let p: SearchProxy;
  beforeAll(async () => {
    p = await startSearchProxy(engine, { pipelinesDir: pipelinesDir({ 'kb-paging.yaml': PIPELINE }) });
    await freshIndex(p, p.pipelines.get('kb-paging')!, INDEX);
    await clientBulk(engine, p.url, scifactDocs(120).flatMap((d) => [{ index: { _index: INDEX, _id: d.id } }, { title: d.title, text: d.text }]));
  });
  afterAll(async () => {
    await p?.engine.json('DELETE', `/${INDEX}`);
    await p?.close();
  });
  const ids = (b: any) => b.hits.hits.map((h: any) => h._id as string);

  it('gives each hit once, page after page: the window reranked once, the rest in first-stage order', async () => {
    const direct = await clientSearch(engine, p.engineUrl, { index: INDEX, body: { query: QUERY, size: 42, _source: false } });
    expect(direct.hits.hits.length).toBe(42); // six pages of 7
    const first = await clientSearch(engine, p.url, { index: INDEX, body: { query: QUERY, size: 10, ext: EXT } });
    // the order every page is a slice of: the default window reranked, then the engine's own order
    const expected = [...ids(first), ...ids(direct).slice(10)];
    const paged: string[] = [];
    const pages: any[] = [];
    for (let from = 0; from < 42; from += 7) {
      const page = await clientSearch(engine, p.url, { index: INDEX, body: { query: QUERY, from, size: 7, ext: EXT } });
      pages.push(page);
      paged.push(...ids(page));
    }
    expect(paged.filter((id, i) => paged.indexOf(id) !== i)).toEqual([]); // none on two pages
    expect(paged).toEqual(expected); // none missing, in one order
    for (const page of pages) {
      expect(page.vlrerank).toMatchObject({ window: 10, degraded: false });
      expect(page.hits.total).toEqual(direct.hits.total);
    }
    // the page that straddles the window's end: reranked scores for the window's hits, the engine's after it
    const straddle = await clientSearch(engine, p.url, { index: INDEX, body: { query: QUERY, from: 7, size: 7, ext: EXT } });
    const directScores = new Map(direct.hits.hits.map((h: any) => [h._id, h._score]));
    expect(straddle.hits.hits.slice(3).map((h: any) => h._score)).toEqual(straddle.hits.hits.slice(3).map((h: any) => directScores.get(h._id)));
    expect(straddle.vlrerank).toMatchObject({ candidates: 10, past_window: 4 });
    // identical requests, identical pages
    const again = await clientSearch(engine, p.url, { index: INDEX, body: { query: QUERY, from: 7, size: 7, ext: EXT } });
    expect(ids(again)).toEqual(ids(straddle));
  });
});
