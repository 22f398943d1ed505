/**
 * An index whose `index.max_result_window` is below the pipeline's window: a reranked search asks
 * for a window the index allows and answers the pages the engine answers; a page past the setting
 * gets the engine's own refusal of that page. Before (held-out probe round 15e) every reranked
 * search on such an index was the engine's 400 for vlrerank's window ("from + size must be less
 * than or equal to: [20] but was [30]"), page 1 too, where the engine answers it. A window the
 * client names is still sent as named (the engine's refusal). Real Elasticsearch 8.19 and 9.2 and
 * OpenSearch 2.19 and 3.6, official clients, SciFact abstracts, the real text model.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ALL_ENGINES, clientBulk, clientSearch, clientSearchRaw, pipelinesDir, startSearchProxy, type SearchProxy } from '../../helpers/search-fixtures.js';
import { scifactDocs } from '../../helpers/scifact-docs.js';

const PIPELINE = `name: kb-mrw
index_patterns: [kbmrw-*]
default: false
fields: { text: [title, text] }
first_stage: { text_query: bm25, match_fields: [title, text] }
window: { default: 12, max: 40 }
budget_ms: 300000
failure: fail_open
`;
const TEXT = 'cancer cells and tumour growth';
const QUERY = { match: { text: TEXT } };
const EXT = { vlrerank: { query: { text: TEXT } } };

describe.each(ALL_ENGINES)('an index whose max_result_window is below the window (%s)', (engine) => {
  const INDEX = `kbmrw-${engine}`;
  let p: SearchProxy;
  beforeAll(async () => {
    p = await startSearchProxy(engine, { pipelinesDir: pipelinesDir({ 'kb-mrw.yaml': PIPELINE }) });
    await p.engine.json('DELETE', `/${INDEX}`);
    await p.engine.json('PUT', `/${INDEX}`, { settings: { number_of_shards: 1, number_of_replicas: 0, 'index.max_result_window': 8 } });
    await clientBulk(engine, p.url, scifactDocs(60).flatMap((d) => [{ index: { _index: INDEX, _id: d.id } }, { title: d.title, text: d.text }]));
  });
  afterAll(async () => {
    await p?.engine.json('DELETE', `/${INDEX}`);
    await p?.close();
  });
  const ids = (b: any) => b.hits.hits.map((h: any) => h._id as string);

  it('answers the pages the engine answers, reranked within the allowed window, and refuses the page past it as the engine does', async () => {
    const direct = await clientSearch(engine, p.engineUrl, { index: INDEX, body: { query: QUERY, size: 8, _source: false } });
    const page1 = await clientSearchRaw(engine, p.url, { index: INDEX, body: { query: QUERY, size: 4, ext: EXT } });
    expect(page1.statusCode).toBe(200);
    expect(page1.body.vlrerank).toMatchObject({ window: 8, candidates: 8, degraded: false });
    const page2 = await clientSearch(engine, p.url, { index: INDEX, body: { query: QUERY, from: 4, size: 4, ext: EXT } });
    expect(new Set([...ids(page1.body), ...ids(page2)])).toEqual(new Set(ids(direct)));
    // past the setting: the engine's refusal of the client's page, not of vlrerank's window
    const past = await clientSearchRaw(engine, p.url, { index: INDEX, body: { query: QUERY, from: 6, size: 4, ext: EXT } });
    const pastDirect = await clientSearchRaw(engine, p.engineUrl, { index: INDEX, body: { query: QUERY, from: 6, size: 4 } });
    expect(pastDirect.statusCode).toBe(400);
    expect(past.statusCode).toBe(400);
    expect(past.body.error.root_cause).toEqual(pastDirect.body.error.root_cause);
    // a window the client names is sent as named: the engine's refusal, said as the window it is
    // (held-out probe round 30a: a bare "all shards failed" about a `from + size` the client never sent)
    const named = await clientSearchRaw(engine, p.url, { index: INDEX, body: { query: QUERY, size: 4, ext: { vlrerank: { ...EXT.vlrerank, window: 20 } } } });
    expect(named.statusCode).toBe(400);
    expect(JSON.stringify(named.body.error.root_cause)).toMatch(/less than or equal to: \[8\] but was \[20\]/);
    expect(named.body.error.type).toBe('illegal_argument_exception');
    expect(named.body.error.reason).toMatch(/^the rerank window \[20\] \(ext\.vlrerank\.window\) is above the index\.max_result_window \[8\]/);
    expect(named.body.error.caused_by.type).toBe('search_phase_execution_exception');
    const retriever = { text_similarity_reranker: { retriever: { standard: { query: QUERY } }, field: 'text', inference_text: TEXT, rank_window_size: 20 } };
    const byRetriever = await clientSearchRaw(engine, p.url, { index: INDEX, body: { size: 4, retriever } });
    expect(byRetriever.statusCode).toBe(400);
    expect(byRetriever.body.error.reason).toMatch(/^the rerank window \[20\] \(rank_window_size\) is above the index\.max_result_window \[8\]/);
  });
});
