/**
 * Paging through a reranked window gives every hit exactly once, in the order of one request for
 * the whole window (the bug users hit with Elasticsearch's and OpenSearch's own rerankers:
 * elastic/elasticsearch#124632, opensearch-project/OpenSearch#6722); the client's `_source` filter
 * is honoured although the reranker needed the filtered-out fields; aggregations pass through.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { clientSearch, ENGINES, ensureGrocery, startSearchProxy, why, type SearchProxy } from '../../helpers/search-fixtures.js';

const INDEX = 'grocery-it';
const ext = { vlrerank: { query: { text: 'fresh fruit juice with pulp' }, window: 15, explain: true } };
const query = { match: { description: 'juice fruit fresh' } };

describe.each(ENGINES)('paging and _source through the proxy on %s', (engine) => {
  let p: SearchProxy;
  beforeAll(async () => {
    p = await startSearchProxy(engine);
    await ensureGrocery(p, engine, INDEX);
  });
  afterAll(async () => p?.close());

  it('three pages of the same window give each hit once, in window order', async () => {
    const whole = await clientSearch(engine, p.url, { index: INDEX, body: { size: 15, query, _source: ['title'], ext } });
    expect(whole.vlrerank.document_errors, why(whole)).toBeUndefined();
    const order = whole.hits.hits.map((h: any) => h._id);
    expect(order).toHaveLength(15);
    const pages: string[] = [];
    for (const from of [0, 5, 10]) {
      const page = await clientSearch(engine, p.url, { index: INDEX, from, size: 5, body: { query, _source: ['title'], ext } });
      expect(page.vlrerank.window).toBe(15);
      pages.push(...page.hits.hits.map((h: any) => h._id));
    }
    expect(new Set(pages).size).toBe(15);
    expect(pages).toEqual(order);
    // and the order is the reranker's, not the first stage's
    const firstRanks = whole.hits.hits.map((h: any) => h._vlrerank.first_stage_rank);
    expect(firstRanks, why(whole, 15)).not.toEqual([...firstRanks].sort((a: number, b: number) => a - b));
  });

  it('returns only the fields the client asked for, in every _source form', async () => {
    const inc = await clientSearch(engine, p.url, { index: INDEX, body: { size: 3, query, _source: ['title'], ext } });
    for (const h of inc.hits.hits) expect(Object.keys(h._source)).toEqual(['title']);
    const none = await clientSearch(engine, p.url, { index: INDEX, body: { size: 3, query, _source: false, ext } });
    for (const h of none.hits.hits) expect(h._source).toBeUndefined();
    const exc = await clientSearch(engine, p.url, { index: INDEX, body: { size: 3, query, _source: { excludes: ['description', 'image*'] }, ext } });
    for (const h of exc.hits.hits) {
      expect(h._source.description).toBeUndefined();
      expect(h._source.image_vector).toBeUndefined();
      expect(h._source.title).toEqual(expect.any(String));
    }
    const param = await clientSearch(engine, p.url, { index: INDEX, _source_includes: 'class_id', body: { size: 3, query, ext } });
    for (const h of param.hits.hits) expect(Object.keys(h._source)).toEqual(['class_id']);
    // the reranker still saw title + description + image: same order as with everything returned
    const all = await clientSearch(engine, p.url, { index: INDEX, body: { size: 3, query, _source: { excludes: ['image_*'] }, ext } });
    expect(inc.hits.hits.map((h: any) => h._id)).toEqual(all.hits.hits.map((h: any) => h._id));
  });

  it('passes aggregations and total hits of the first stage through', async () => {
    const r = await clientSearch(engine, p.url, {
      index: INDEX,
      body: { size: 2, query, track_total_hits: true, aggs: { cat: { terms: { field: 'top_category.keyword' } } }, _source: ['title'], ext },
    });
    const direct = await (await fetch(`${p.engineUrl}/${INDEX}/_search`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ size: 0, query, track_total_hits: true, aggs: { cat: { terms: { field: 'top_category.keyword' } } } }) })).json();
    expect(r.aggregations).toEqual(direct.aggregations);
    expect(r.hits.total).toEqual(direct.hits.total);
  });
});
