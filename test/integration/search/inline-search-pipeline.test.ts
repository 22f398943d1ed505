/**
 * A request-level search pipeline (`search_pipeline: {…}` in the body, OpenSearch 2.8+) beside
 * OpenSearch's rerank syntax (`?search_pipeline=<vlrerank pipeline>` + `ext.rerank`) is the first
 * stage's: its `filter_query` restricts the hits vlrerank reranks, as the engine applies it to the
 * same search without the rerank. Before (held-out probe round 11c) vlrerank dropped it with the
 * URL's name: hits it filters out came back reranked.
 * A search that names a search pipeline runs it in place of the index's
 * `index.search.default_pipeline`; naming a vlrerank pipeline is such a search, yet its first stage
 * went to the engine without the name and the engine applied the default to it: a default
 * `filter_query` kept 3 of 14 hits and those 3 came back reranked (held-out probe round 28a). The
 * first stage now names `_none`; a search naming no pipeline (`ext.vlrerank`) still gets the default.
 * Real OpenSearch 3.6 (2.19's thin build has no search processors), its official client, the real
 * text model.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Client as OsClient } from '@opensearch-project/opensearch';
import { setupIndex } from '../../../src/engine/mapping.js';
import { pipelinesDir, startSearchProxy, type SearchProxy } from '../../helpers/search-fixtures.js';

const INDEX = 'p11c-inline-sp-it';
const PIPELINE = `name: p11c-inline
index_patterns: [p11c-inline-*]
fields:
  text: [title, text]
first_stage: { text_query: bm25, match_fields: [title, text] }
window: { default: 20, max: 50 }
failure: fail_open
`;
const docs = [
  { title: 'apple pie', text: 'a sweet baked dessert' },
  { title: 'apple juice', text: 'sweet pressed fruit drink' },
  { title: 'honey cake', text: 'a sweet sticky dessert' },
  { title: 'sugar syrup', text: 'very sweet' },
];

const ids = (b: any) => b.hits.hits.map((h: any) => h._id).sort();

describe('a request-level search pipeline beside ext.rerank (opensearch3)', () => {
  let p: SearchProxy;
  beforeAll(async () => {
    p = await startSearchProxy('opensearch3', { pipelinesDir: pipelinesDir({ 'p11c-inline.yaml': PIPELINE }) });
    await p.engine.json('DELETE', `/${INDEX}`);
    await setupIndex(p.engine, p.pipelines.get('p11c-inline')!, INDEX);
    for (const [i, d] of docs.entries()) await p.engine.json('PUT', `/${INDEX}/_doc/${i}`, d);
    await p.engine.json('POST', `/${INDEX}/_refresh`);
  });
  afterAll(async () => {
    await p?.engine.json('DELETE', `/${INDEX}`);
    await p?.close();
  });

  it('filters the first stage as the engine does, then reranks', async () => {
    const inline = { request_processors: [{ filter_query: { query: { match: { title: 'apple' } } } }] };
    const query = { size: 10, query: { match: { text: 'sweet' } }, search_pipeline: inline };
    const direct = (await new OsClient({ node: p.engineUrl }).search({ index: INDEX, body: query as never })).body as any;
    const expected = direct.hits.hits.map((h: any) => h._id).sort();
    expect(expected).toEqual(['0', '1']);
    const through = (await new OsClient({ node: p.url }).search({ index: INDEX, search_pipeline: 'p11c-inline', body: { ...query, ext: { rerank: { query_context: { query_text: 'dessert' } } } } } as never)).body as any;
    expect(through.vlrerank?.pipeline).toBe('p11c-inline');
    expect(through.hits.hits.map((h: any) => h._id).sort()).toEqual(expected);
    expect(through.hits.total.value).toBe(direct.hits.total.value);
  });

  it("reranks the hits of the search as the engine runs it with a pipeline named, not the default's", async () => {
    const DEF = `${INDEX}-default`;
    await p.engine.json('DELETE', `/${DEF}`);
    await setupIndex(p.engine, p.pipelines.get('p11c-inline')!, DEF);
    for (const [i, d] of docs.entries()) await p.engine.json('PUT', `/${DEF}/_doc/${i}`, d);
    await p.engine.json('PUT', '/_search/pipeline/p11c-inline-apple', { request_processors: [{ filter_query: { query: { match: { title: 'apple' } } } }] });
    await p.engine.json('PUT', '/_search/pipeline/p11c-inline-all', { request_processors: [{ filter_query: { query: { match_all: {} } } }] });
    await p.engine.json('PUT', `/${DEF}/_settings`, { 'index.search.default_pipeline': 'p11c-inline-apple' });
    await p.engine.json('POST', `/${DEF}/_refresh`);
    try {
      const query = { size: 10, query: { match: { text: 'sweet' } } };
      const engine = new OsClient({ node: p.engineUrl });
      const byDefault = (await engine.search({ index: DEF, body: query as never })).body as any;
      expect(ids(byDefault)).toEqual(['0', '1']);
      const named = (await engine.search({ index: DEF, search_pipeline: 'p11c-inline-all', body: query } as never)).body as any;
      expect(ids(named)).toEqual(['0', '1', '2', '3']);

      const vl = new OsClient({ node: p.url });
      const through = (await vl.search({ index: DEF, search_pipeline: 'p11c-inline', body: { ...query, ext: { rerank: { query_context: { query_text: 'dessert' } } } } } as never)).body as any;
      expect(through.vlrerank?.syntax).toBe('search_pipeline');
      expect(ids(through)).toEqual(ids(named));
      expect(through.hits.total.value).toBe(named.hits.total.value);
      // no pipeline named: the index's default applies, as directly
      const own = (await vl.search({ index: DEF, body: { ...query, ext: { vlrerank: { query: 'dessert' } } } } as never)).body as any;
      expect(own.vlrerank?.syntax).toBe('ext');
      expect(ids(own)).toEqual(ids(byDefault));
    } finally {
      await p.engine.json('DELETE', `/${DEF}`);
      await p.engine.json('DELETE', '/_search/pipeline/p11c-inline-apple');
      await p.engine.json('DELETE', '/_search/pipeline/p11c-inline-all');
    }
  });
});
