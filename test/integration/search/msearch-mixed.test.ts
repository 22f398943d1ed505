/**
 * `_msearch` with reranked, plain and malformed sub-searches in one request: each answered in its
 * place, the plain ones exactly as the engine answers them, the bad one with its own error.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ENGINES, ensureGrocery, esClient, osClient, startSearchProxy, type SearchProxy } from '../../helpers/search-fixtures.js';

const INDEX = 'grocery-it';

describe.each(ENGINES)('_msearch mixing reranked and plain searches on %s', (engine) => {
  let p: SearchProxy;
  beforeAll(async () => {
    p = await startSearchProxy(engine);
    await ensureGrocery(p, engine, INDEX);
  });
  afterAll(async () => p?.close());

  it('answers every sub-search in order', async () => {
    const plainQ = { size: 3, query: { match: { title: 'milk' } } };
    const searches = [
      { index: INDEX },
      { size: 3, query: { match: { title: 'apple' } }, _source: ['title'], ext: { vlrerank: { query: 'green sour apple', window: 10 } } },
      { index: INDEX },
      plainQ,
      {},
      { size: 2, query: { match: { title: 'juice' } }, ext: { vlrerank: { query: 'orange juice', window: 'x' } } },
      { index: INDEX, search_pipeline: 'grocery' },
      { size: 2, query: { match: { description: 'lactose free milk' } }, ext: { rerank: { query_context: { query_text: 'lactose free milk' } } } },
    ];
    const body: any =
      engine === 'elasticsearch'
        ? await esClient(p.url).msearch({ index: INDEX, searches } as never)
        : (await osClient(p.url).msearch({ index: INDEX, body: searches } as never)).body;
    expect(body.responses).toHaveLength(4);
    const [rr, plain, bad, sp] = body.responses;
    expect(rr.status).toBe(200);
    expect(rr.vlrerank.degraded).toBe(false);
    expect(Object.keys(rr.hits.hits[0]._source)).toEqual(['title']);
    // the same order as the same search sent on its own
    const alone = await (await fetch(`${p.url}/${INDEX}/_search`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(searches[1]) })).json();
    expect(rr.hits.hits.map((h: any) => h._id)).toEqual(alone.hits.hits.map((h: any) => h._id));
    expect(rr.vlrerank.syntax).toBe('ext');
    const direct = await (await fetch(`${p.engineUrl}/${INDEX}/_search`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(plainQ) })).json();
    expect(plain.hits).toEqual(direct.hits);
    expect(plain.vlrerank).toBeUndefined();
    expect(bad.status).toBe(400);
    expect(bad.error.reason).toContain('[ext.vlrerank.window]');
    expect(sp.vlrerank.syntax).toBe('search_pipeline');
    expect(sp.hits.hits[0]._id).toBe('39');
  });

  it('forwards an _msearch with no rerank request untouched', async () => {
    const nd = `{"index":"${INDEX}"}\n{"size":1,"query":{"match":{"title":"pear"}}}\n`;
    const opts = { method: 'POST', headers: { 'content-type': 'application/x-ndjson' }, body: nd };
    const via = await (await fetch(`${p.url}/_msearch`, opts)).json();
    const direct = await (await fetch(`${p.engineUrl}/_msearch`, opts)).json();
    expect({ ...via, took: 0, responses: via.responses.map((r: any) => ({ ...r, took: 0 })) }).toEqual({ ...direct, took: 0, responses: direct.responses.map((r: any) => ({ ...r, took: 0 })) });
  });
});
