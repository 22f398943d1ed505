/**
 * `from`/`size` written as decimals in a reranked search's body are read as the engine reads them:
 * Elasticsearch 8.19 and OpenSearch 2.19 cut `size: 1.5` or `"2.5"` to its integer part and answer
 * 200, and refuse `size: null` with a 400; a reranked search refused the decimals (400) and read
 * `null` as the default page (held-out probe round 29a: an app's page size computed as 7.5 worked
 * against the engine, not with the rerank added). Each body is sent to the engine directly (without
 * the rerank) and through vlrerank; the status and the number of hits agree. Real engines, the
 * official clients, the grocery catalog, real models.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { clientSearchRaw, ENGINES, ensureGrocery, startSearchProxy, type SearchProxy } from '../../helpers/search-fixtures.js';

const INDEX = 'grocery-it';

describe.each(ENGINES)('from and size as decimals beside a rerank (%s)', (engine) => {
  let p: SearchProxy;
  beforeAll(async () => {
    p = await startSearchProxy(engine);
    await ensureGrocery(p, engine, INDEX);
  });
  afterAll(async () => p?.close());

  const query = { match: { title: 'apple' } };
  const outcome = (r: { statusCode: number; body: any }) => (r.statusCode === 200 ? `200 ${r.body.hits.hits.map((h: any) => h._id).length} hits` : String(r.statusCode));

  it.each([
    ['size 1.5', { size: 1.5 }, '200 1 hits'],
    ['size "2.5"', { size: '2.5' }, '200 2 hits'],
    ['from 1.7, size 2.9', { from: 1.7, size: 2.9 }, '200 2 hits'],
    ['size null', { size: null }, '400'],
  ])('%s: as the engine answers it', async (_name, paging, expected) => {
    const direct = await clientSearchRaw(engine, p.engineUrl, { index: INDEX, body: { query, _source: ['title'], ...paging } });
    expect(outcome(direct)).toBe(expected);
    const r = await clientSearchRaw(engine, p.url, { index: INDEX, body: { query, _source: ['title'], ...paging, ext: { vlrerank: { query: { text: 'red apple' } } } } });
    expect(outcome(r)).toBe(expected);
    if (r.statusCode === 200) expect(r.body.vlrerank.degraded).toBe(false);
  });
});
