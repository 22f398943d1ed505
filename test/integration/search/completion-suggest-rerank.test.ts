/**
 * A search box asks a `completion` suggester beside its reranked search (held-out probe round 26c):
 * the suggester's options are documents of the first stage (`_source`, `fields`), and vlrerank
 * widens the first stage's `_source` and asks for each hit's feature record — it restored the
 * client's view on the hits only, so each option carried the binary feature record in
 * `fields.vlrerank_features` and the widened `_source` past the client's filter. On Elasticsearch
 * 8.19 and OpenSearch 2.19, real models, a text pipeline keeping records in the index: the reranked
 * answer's `suggest` equals the engine's own for the same request, and term suggestions pass as they are.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { clientBulk, clientSearch, ENGINES, freshIndex, pipelinesDir, startSearchProxy, textPipeline, type SearchProxy } from '../../helpers/search-fixtures.js';

const INDEX = 'p26c-completion-kb';
const DOCS = [
  { _id: 'pineapple', title: 'Pineapple Klass 1', text: 'sweet tropical fruit', suggest: 'Pineapple Klass 1' },
  { _id: 'pink', title: 'Apple Pink Lady Klass 1', text: 'a crisp sweet apple', suggest: 'Pink Lady' },
  { _id: 'banana', title: 'Banana Klass 1', text: 'ripe yellow fruit', suggest: 'Banana' },
];

describe.each(ENGINES)('a completion suggester beside a rerank on %s', (engine) => {
  let p: SearchProxy;
  beforeAll(async () => {
    p = await startSearchProxy(engine, { pipelinesDir: pipelinesDir({ 'kb.yaml': `${textPipeline('kb', INDEX)}features: { store: index }\n` }) });
    await freshIndex(p, p.pipelines.get('kb')!, INDEX);
    await p.engine.json('PUT', `/${INDEX}/_mapping`, { properties: { suggest: { type: 'completion' } } });
    // written through the proxy: each document stored with its feature record
    expect((await clientBulk(engine, p.url, DOCS.flatMap(({ _id, ...doc }) => [{ index: { _index: INDEX, _id } }, doc]))).errors).toBe(false);
  }, 600_000);
  afterAll(() => p?.engine.json('DELETE', `/${INDEX}`).finally(() => p?.close()));

  it("answers the engine's own suggestions, as the client asked to see them", { timeout: 300_000 }, async () => {
    for (const extra of [{}, { _source: ['title'] }, { _source: false }, { size: 0 }]) {
      const body = { ...extra, suggest: { s: { prefix: 'pin', completion: { field: 'suggest' } }, t: { text: 'pinapple', term: { field: 'title' } } } };
      const direct = (await p.engine.json<any>('POST', `/${INDEX}/_search`, body)).body;
      const reranked = await clientSearch(engine, p.url, { index: INDEX, body: { ...body, ext: { vlrerank: { query: { text: 'pin' } } } } });
      expect(reranked.vlrerank.degraded, JSON.stringify(extra)).toBe(false);
      expect(direct.suggest.s[0].options.map((o: any) => o._id)).toEqual(['pineapple', 'pink']);
      expect(reranked.suggest, JSON.stringify(extra)).toEqual(direct.suggest);
    }
  });
});
