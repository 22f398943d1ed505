/**
 * A reranked search over two indices of which one has `index.max_result_window` below the pipeline's
 * window: the engine refuses that index's shards only ("Result window is too large…" in
 * `_shards.failures`) and answers 200 from the other, where the client's own page (size 4) is allowed
 * on both. Before (held-out probe round 30a) the window was reranked without that index's hits — a
 * partial answer vlrerank's own window had caused (round 15e's retry read the engine's 400 only, when
 * every shard refused). Now it is asked again within the setting, as for one index: every shard
 * answers, both indices' hits are reranked. Real Elasticsearch 8.19 and OpenSearch 2.19, official
 * clients, SciFact abstracts, the real text model.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ENGINES, clientBulk, clientSearchRaw, pipelinesDir, startSearchProxy, textPipeline, type SearchProxy } from '../../helpers/search-fixtures.js';
import { scifactDocs } from '../../helpers/scifact-docs.js';

const PIPELINE = textPipeline('kb-mrw1', 'kbmrw1-*', { default: false, budgetMs: 300_000 });
const TEXT = 'cancer cells and tumour growth';

describe.each(ENGINES)('two indices, one whose max_result_window is below the window (%s)', (engine) => {
  const SMALL = `kbmrw1-small-${engine}`;
  const LARGE = `kbmrw1-large-${engine}`;
  let p: SearchProxy;
  beforeAll(async () => {
    p = await startSearchProxy(engine, { pipelinesDir: pipelinesDir({ 'kb-mrw1.yaml': PIPELINE }) });
    const docs = scifactDocs(60);
    for (const [index, limit, part] of [[SMALL, 8, docs.slice(0, 30)], [LARGE, undefined, docs.slice(30)]] as const) {
      await p.engine.json('DELETE', `/${index}`);
      await p.engine.json('PUT', `/${index}`, { settings: { number_of_shards: 1, number_of_replicas: 0, ...(limit ? { 'index.max_result_window': limit } : {}) } });
      await clientBulk(engine, p.engineUrl, part.flatMap((d) => [{ index: { _index: index, _id: d.id } }, { title: d.title, text: d.text }]));
    }
  });
  afterAll(async () => {
    await p?.engine.json('DELETE', `/${SMALL}`);
    await p?.engine.json('DELETE', `/${LARGE}`);
    await p?.close();
  });

  it('asks again within the setting: every shard answers and both indices are reranked', async () => {
    const direct = await clientSearchRaw(engine, p.engineUrl, { index: `${SMALL},${LARGE}`, body: { query: { match: { text: TEXT } }, size: 4 } });
    expect(direct.body._shards.failed).toBe(0);
    const r = await clientSearchRaw(engine, p.url, { index: `${SMALL},${LARGE}`, body: { size: 4, ext: { vlrerank: { query: { text: TEXT } } } } });
    expect(r.statusCode).toBe(200);
    expect(r.body._shards, JSON.stringify(r.body._shards)).toMatchObject({ total: 2, successful: 2, failed: 0 });
    expect(r.body.vlrerank.first_stage_partial).toBeUndefined();
    expect(r.body.vlrerank.window).toBe(8);
    expect(r.body.hits.total).toEqual(direct.body.hits.total);
  });

  it('a window the client names is sent as named: the small index\'s shards refuse it, and the report says it was the window', async () => {
    const r = await clientSearchRaw(engine, p.url, { index: `${SMALL},${LARGE}`, body: { size: 4, ext: { vlrerank: { query: { text: TEXT }, window: 12 } } } });
    expect(r.statusCode).toBe(200);
    expect(r.body._shards).toMatchObject({ total: 2, successful: 1, failed: 1 });
    expect(r.body.vlrerank.first_stage_partial.note).toMatch(/1 of 2 shards failed .*the rerank window \[12\] you named is above the index\.max_result_window \[8\]/);
  });
});
