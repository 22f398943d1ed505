/**
 * OpenSearch 3.x names itself on every answer (`X-OpenSearch-Version: OpenSearch/3.6.0 (opensearch)`),
 * as Elasticsearch does with `x-elastic-product`: a reranked `_search` and an `_msearch` vlrerank puts
 * together carry it as the engine's own answer to the same request does. Before (held-out probe round
 * 13f) both left it out. OpenSearch 2.19 sends none: none is made up. Real engines, the official
 * client (its `meta.headers`), the real text model.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Client as OsClient } from '@opensearch-project/opensearch';
import { pipelinesDir, startSearchProxy, type SearchProxy } from '../../helpers/search-fixtures.js';

const INDEX = 'p13f-osver-it';
const PIPELINE = `name: p13f-osver
index_patterns: [p13f-osver-*]
fields:
  text: [title]
first_stage: { text_query: bm25, match_fields: [title] }
window: { default: 10, max: 50 }
failure: fail_open
`;
const HEADER = 'x-opensearch-version';

describe.each(['opensearch3', 'opensearch'] as const)('the engine\'s version header on reranked answers (%s)', (engine) => {
  let p: SearchProxy;
  let direct: OsClient;
  let through: OsClient;
  beforeAll(async () => {
    p = await startSearchProxy(engine, { pipelinesDir: pipelinesDir({ 'p13f-osver.yaml': PIPELINE }) });
    direct = new OsClient({ node: p.engineUrl });
    through = new OsClient({ node: p.url });
    await p.engine.json('DELETE', `/${INDEX}`);
    for (const [i, title] of ['apple pie', 'apple juice', 'honey cake'].entries()) await p.engine.json('PUT', `/${INDEX}/_doc/${i}`, { title });
    await p.engine.json('POST', `/${INDEX}/_refresh`);
  });
  afterAll(async () => {
    await p?.engine.json('DELETE', `/${INDEX}`);
    await p?.close();
  });

  it('a reranked _search and _msearch carry it as the engine\'s answers do', async () => {
    const query = { size: 3, query: { match: { title: 'apple' } } };
    const d = await direct.search({ index: INDEX, body: query });
    const expected = d.headers?.[HEADER];
    if (engine === 'opensearch3') expect(expected).toMatch(/^OpenSearch\/3\./);
    else expect(expected).toBeUndefined();
    const r = await through.search({ index: INDEX, body: { ...query, ext: { vlrerank: { query: { text: 'pie' } } } } as never });
    expect((r.body as any).vlrerank?.pipeline).toBe('p13f-osver');
    expect(r.headers?.[HEADER]).toBe(expected);
    const reranked = { ...query, ext: { vlrerank: { query: { text: 'pie' } } } };
    for (const items of [[{ index: INDEX }, reranked], [{ index: INDEX }, reranked, { index: INDEX }, query]]) {
      const m = await through.msearch({ body: items as never });
      expect((m.body as any).responses[0].vlrerank?.pipeline).toBe('p13f-osver');
      expect(m.headers?.[HEADER]).toBe((await direct.msearch({ body: [{ index: INDEX }, query] as never })).headers?.[HEADER]);
    }
  });
});
