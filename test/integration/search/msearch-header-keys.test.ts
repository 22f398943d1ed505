/**
 * An `_msearch` header key the engine does not read in its metadata section (`size`, `from`,
 * `timeout`, `search_pipeline` naming no vlrerank pipeline…) beside a reranked item: the engine's
 * 400 for the whole request, in its words, as the same request sent to the engine directly gets —
 * it was taken as a URL parameter of the reranked item and answered 200 (held-out probe round 11c).
 * The keys the engines do read (camelCase spellings too, `indices`; OpenSearch's `phase_took`), and
 * `search_pipeline` naming a vlrerank pipeline, still rerank. Official clients, four engine versions.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ALL_ENGINES, ensureGrocery, esClient, isElasticsearch, osClient, startSearchProxy, type Engine, type SearchProxy } from '../../helpers/search-fixtures.js';

const INDEX = 'grocery-it';
const RERANKED = { size: 2, query: { match: { title: 'apple' } }, ext: { vlrerank: { query: 'green sour apple', window: 6 } } };
const PLAIN = { size: 1, query: { match: { title: 'milk' } } };

async function msearch(engine: Engine, url: string, searches: object[]): Promise<{ status: number; body: any }> {
  try {
    if (isElasticsearch(engine)) return { status: 200, body: await esClient(url).msearch({ searches } as never) };
    const r = await osClient(url).msearch({ body: searches } as never);
    return { status: r.statusCode ?? 200, body: r.body };
  } catch (e) {
    const meta = (e as { meta?: { statusCode?: number; body?: unknown } }).meta;
    if (!meta?.statusCode) throw e;
    return { status: meta.statusCode, body: meta.body };
  }
}

describe.each(ALL_ENGINES)('_msearch header keys beside a reranked item on %s', (engine) => {
  let p: SearchProxy;
  beforeAll(async () => {
    p = await startSearchProxy(engine);
    await ensureGrocery(p, engine, INDEX);
  });
  afterAll(async () => p?.close());

  const refused: Array<Record<string, unknown>> = [{ size: 3 }, { from: 1 }, { timeout: '1s' }, { query: { match_all: {} } }, { search_pipeline: '_none' }, { search_pipeline: 'no-such-pipeline' }, { rest_total_hits_as_int: true }, { routing: 'a', size: 1 }];

  it.each(refused)('refuses %j as the engine does', async (extra) => {
    const searches = [{ index: INDEX, ...extra }, RERANKED, { index: INDEX }, PLAIN];
    const direct = await msearch(engine, p.engineUrl, searches);
    const via = await msearch(engine, p.url, searches);
    expect(direct.status).toBe(400);
    expect(via.status).toBe(400);
    expect(via.body.status).toBe(400);
    expect(via.body.error.type).toBe(direct.body.error.type);
    expect(via.body.error.reason).toBe(direct.body.error.reason);
    expect(via.body.error.root_cause).toEqual(direct.body.error.root_cause);
  });

  it('refuses a bad key in a plain item after a reranked one, as the engine does', async () => {
    const searches = [{ index: INDEX }, PLAIN, { index: INDEX, size: 5 }, PLAIN, { index: INDEX }, RERANKED];
    const direct = await msearch(engine, p.engineUrl, searches);
    const via = await msearch(engine, p.url, searches);
    expect([direct.status, via.status]).toEqual([400, 400]);
    expect(via.body.error.reason).toBe('key [size] is not supported in the metadata section');
    expect(via.body.error.reason).toBe(direct.body.error.reason);
  });

  it("refuses OpenSearch's own header keys on Elasticsearch only, as each engine does", async () => {
    const searches = [{ index: INDEX, phase_took: true, cancel_after_time_interval: '30s' }, RERANKED];
    const via = await msearch(engine, p.url, searches);
    if (isElasticsearch(engine)) {
      expect(via.status).toBe(400);
      expect(via.body.error.reason).toBe('key [phase_took] is not supported in the metadata section');
    } else {
      expect(via.status).toBe(200);
      expect(via.body.responses[0].status).toBe(200);
      expect(via.body.responses[0].vlrerank.degraded).toBe(false);
    }
  });

  it('reranks with the keys the engines read, camelCase spellings and a vlrerank search_pipeline', async () => {
    const alone = await (await fetch(`${p.url}/${INDEX}/_search`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(RERANKED) })).json();
    const searches = [
      { indices: INDEX, preference: '_local', searchType: 'query_then_fetch', requestCache: false, ignoreUnavailable: false, expandWildcards: 'open', allow_partial_search_results: true },
      RERANKED,
      { index: INDEX, search_pipeline: 'grocery', routing: 'x', ccs_minimize_roundtrips: true },
      { size: 2, query: { match: { description: 'lactose free milk' } }, ext: { rerank: { query_context: { query_text: 'lactose free milk' } } } },
    ];
    const via = await msearch(engine, p.url, searches);
    expect(via.status).toBe(200);
    const [rr, sp] = via.body.responses;
    expect(rr.status).toBe(200);
    expect(rr.vlrerank.degraded).toBe(false);
    expect(rr.hits.hits.map((h: any) => h._id)).toEqual(alone.hits.hits.map((h: any) => h._id));
    expect(sp.status).toBe(200);
    expect(sp.vlrerank.syntax).toBe('search_pipeline');
  });
});
