/**
 * A reranked answer's `took` is the whole search's, its rerank included — as Elasticsearch's own
 * `text_similarity_reranker` counts its inference in `took` — never below `vlrerank.timings.total_ms`;
 * it was the engine's first stage alone (2 ms of a 10 ms search), so every latency a client or its
 * dashboard reads from `took` left the rerank out (held-out probe round 31c). Still an integer, in a
 * `_search`, an `_msearch` item, and under `filter_path=took`. Real Elasticsearch 8.19 and OpenSearch
 * 2.19, the real text model.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { onlyPipelines } from '../../helpers/http-server.js';
import { ENGINES, startSearchProxy, textPipeline, type SearchProxy } from '../../helpers/search-fixtures.js';

const INDEX = 'p31c-took';
const DOCS = Array.from({ length: 20 }, (_, i) => ({ title: `juice number ${i}`, text: `pressed from ${i % 2 ? 'green apples' : 'oranges'} on day ${i}, bottled cold` }));
const ASK = { query: { match: { title: 'juice' } }, size: 5, ext: { vlrerank: { query: { text: 'apple juice' } } } };

describe.each(ENGINES)('the took of a reranked search (%s)', (engine) => {
  let p: SearchProxy;
  beforeAll(async () => {
    p = await startSearchProxy(engine, { pipelinesDir: onlyPipelines({ 't.yaml': textPipeline('p31c-took', INDEX) }) });
    await p.engine.json('DELETE', `/${INDEX}`);
    const nd = DOCS.flatMap((d, i) => [JSON.stringify({ index: { _index: INDEX, _id: String(i) } }), JSON.stringify(d)]).join('\n') + '\n';
    expect((await p.engine.json('POST', '/_bulk?refresh=true', nd, { 'content-type': 'application/x-ndjson' })).statusCode).toBe(200);
  }, 300_000);
  afterAll(async () => {
    await p?.engine.json('DELETE', `/${INDEX}`);
    await p?.close();
  });

  const post = async (path: string, body: string, type = 'application/json') => (await fetch(`${p.url}${path}`, { method: 'POST', headers: { 'content-type': type }, body })).json() as Promise<any>;

  it('counts the rerank in took, in a _search and an _msearch item', { timeout: 300_000 }, async () => {
    for (let i = 0; i < 3; i++) {
      const r = await post(`/${INDEX}/_search`, JSON.stringify(ASK));
      expect(r.vlrerank.degraded).toBe(false);
      expect(Number.isInteger(r.took)).toBe(true);
      expect(r.took).toBeGreaterThanOrEqual(Math.round(r.vlrerank.timings.total_ms));
      expect(r.took).toBeGreaterThanOrEqual(Math.round(r.vlrerank.timings.first_stage_ms + r.vlrerank.timings.rerank_ms));
    }
    const m = await post('/_msearch', `${JSON.stringify({ index: INDEX })}\n${JSON.stringify(ASK)}\n`, 'application/x-ndjson');
    const item = m.responses[0];
    expect(item.vlrerank.degraded).toBe(false);
    expect(Number.isInteger(item.took)).toBe(true);
    expect(item.took).toBeGreaterThanOrEqual(Math.round(item.vlrerank.timings.total_ms));
    // filter_path keeps it alone
    const f = await post(`/${INDEX}/_search?filter_path=took`, JSON.stringify(ASK));
    expect(Object.keys(f)).toEqual(['took']);
    expect(Number.isInteger(f.took)).toBe(true);
  });
});
