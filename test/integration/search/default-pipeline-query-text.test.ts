/**
 * A default pipeline reranks with the words the search itself asks for (held-out probe round 21d):
 * `query_string` syntax stripped to its terms, every positive text clause joined, negated ones left
 * out, and `explain` shows the text it read (`vlrerank.query_text`). It scored the raw
 * `query_string` (`title:(cancer cells) AND text:tumour^2`), only a `bool`'s first text clause, and
 * left a `constant_score` wrapping a `match` unreranked (and, until round 31b, a `wrapper` query). Each is compared with the same search
 * asking `ext.vlrerank.query` for the plain words: the same order and scores. Real engines
 * (Elasticsearch 8.19, OpenSearch 2.19), the official clients, SciFact abstracts, the real text model.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ENGINES, clientBulk, clientSearch, freshIndex, pipelinesDir, startSearchProxy, textPipeline, type SearchProxy } from '../../helpers/search-fixtures.js';
import { scifactDocs } from '../../helpers/scifact-docs.js';

const hits = (b: any) => b.hits.hits.map((h: any) => [h._id, h._score]);

describe.each(ENGINES)('the query text of a default pipeline’s search (%s)', (engine) => {
  const INDEX = `p21dqt-${engine}`;
  let p: SearchProxy;
  beforeAll(async () => {
    // what is tested is the text read, not the budget: 20 SciFact abstracts through bge-small took
    // past the default 5 s on a loaded 2-core machine (degraded: timeout, the words unchecked)
    p = await startSearchProxy(engine, { pipelinesDir: pipelinesDir({ 'p21d-qt.yaml': textPipeline('p21d-qt', 'p21dqt-*', { default: true, budgetMs: 60_000 }) }) });
    await freshIndex(p, p.pipelines.get('p21d-qt')!, INDEX);
    await clientBulk(engine, p.url, scifactDocs(60).flatMap((d) => [{ index: { _index: INDEX, _id: d.id } }, { title: d.title, text: d.text }]));
    await p.engine.json('POST', `/${INDEX}/_refresh`);
  });
  afterAll(async () => {
    await p?.engine.json('DELETE', `/${INDEX}`);
    await p?.close();
  });

  it.each([
    ['query_string syntax', { query_string: { query: 'title:(cancer cells) OR text:tumour^2 -mice', default_field: 'text' } }, 'cancer cells tumour'],
    ['several bool text clauses, not the negated one', { bool: { must: [{ match: { text: 'cancer' } }], should: [{ match: { title: 'tumour growth' } }], must_not: [{ match: { text: 'mice' } }] } }, 'cancer tumour growth'],
    ['a constant_score wrapping a match', { constant_score: { filter: { match: { text: 'cancer cells' } } } }, 'cancer cells'],
    // held-out probe round 31b: a `wrapper` (the query as base64 of its JSON, which the engine runs) was left to the engine unreranked
    ['a wrapper query (base64) of a match', { bool: { must: [{ wrapper: { query: Buffer.from(JSON.stringify({ match: { text: 'cancer cells' } })).toString('base64') } }] } }, 'cancer cells'],
  ])('%s', async (_name, query, words) => {
    const got = await clientSearch(engine, p.url, { index: INDEX, body: { query, size: 10, _source: false, explain: true } });
    expect(got.vlrerank).toMatchObject({ pipeline: 'p21d-qt', syntax: 'default', query_text: words, degraded: false });
    // scored as the plain words asked explicitly
    const asked = await clientSearch(engine, p.url, { index: INDEX, body: { query, size: 10, _source: false, ext: { vlrerank: { query: words } } } });
    expect(hits(got)).toEqual(hits(asked));
    expect(hits(got).length).toBeGreaterThan(1);
  });

  it('a wrapper nesting 100,000 levels is the engine’s 400, as directly (it was a 500: the walk of its words overflowed)', async () => {
    const deep = `{"bool":{"should":${'['.repeat(100_000)}${']'.repeat(100_000)}}}`;
    const body = JSON.stringify({ query: { wrapper: { query: Buffer.from(deep).toString('base64') } } });
    const ask = (base: string) => fetch(`${base}/${INDEX}/_search`, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
    const [viaProxy, direct] = [await ask(p.url), await ask(p.engineUrl)];
    expect(direct.status).toBe(400);
    expect(viaProxy.status).toBe(400);
    expect(((await viaProxy.json()) as any).error.type).toBe(((await direct.json()) as any).error.type);
  });
});
