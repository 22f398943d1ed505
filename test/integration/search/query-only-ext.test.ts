/**
 * `_count`, `/{index}/_explain/{id}` and `_validate/query` with the body of a reranked search: they
 * answer for the first stage (README, "What the engine's tuning tools measure"), so `ext.vlrerank` is
 * taken out and the rest answered by the engine as it answers that body without it, with a `Warning`
 * saying so. Before (held-out probe round 31e) the body reached the engine with it: `_count` and
 * `_explain` its 400 `request does not support [ext]`, `_validate/query` a 200 `"valid": false` with
 * that reason — for a field only vlrerank reads. Real Elasticsearch 8.19 and OpenSearch 2.19, their
 * official clients; an index whose pipeline is a default one and one whose pipeline is not.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { esClient, osClient, pipelinesDir, startSearchProxy, SWEET_DOCS, textPipeline, type SearchProxy } from '../../helpers/search-fixtures.js';

const DEF = 'p31e-qo-def-it';
const NAMED = 'p31e-qo-nd-it';
const ASK = { vlrerank: { query: { text: 'dessert' } } };
const QUERY = { match: { text: 'sweet' } };
// a long past 2^53 (JSON.parse would read 9007199254740992): the engine must see the client's number
const LONG = '9007199254740993';

for (const engine of ['elasticsearch', 'opensearch'] as const) {
  describe(`_count, _explain, _validate/query with ext.vlrerank (${engine})`, () => {
    let p: SearchProxy;
    // both official clients: `{ body, warnings, statusCode }` (the ES client with `meta: true`)
    let call: (url: string, api: 'count' | 'explain' | 'validateQuery', params: Record<string, unknown>) => Promise<{ statusCode: number; body: any; warnings: string[] }>;
    beforeAll(async () => {
      p = await startSearchProxy(engine, { pipelinesDir: pipelinesDir({ 'p31e-qo-def.yaml': textPipeline('p31e-qo-def', 'p31e-qo-def-*', { default: true }), 'p31e-qo-nd.yaml': textPipeline('p31e-qo-nd', 'p31e-qo-nd-*', { default: false }) }) });
      const clients = new Map<string, any>();
      const client = (url: string) => clients.get(url) ?? clients.set(url, engine === 'elasticsearch' ? esClient(url) : osClient(url)).get(url);
      call = async (url, api, params) => {
        const c = client(url);
        const fn = api === 'validateQuery' ? c.indices.validateQuery.bind(c.indices) : c[api].bind(c);
        const r = await (engine === 'elasticsearch' ? fn(params, { meta: true }) : fn(params)).catch((e: any) => e.meta ?? e);
        return { statusCode: r.statusCode, body: r.body, warnings: r.warnings ?? r.meta?.warnings ?? [] };
      };
      for (const index of [DEF, NAMED]) {
        await p.engine.json('DELETE', `/${index}`);
        await p.engine.json('PUT', `/${index}`, { settings: { number_of_shards: 1, number_of_replicas: 0 }, mappings: { properties: { title: { type: 'text' }, text: { type: 'text' }, n: { type: 'long' } } } });
        for (const [i, d] of SWEET_DOCS.entries()) await p.engine.json('PUT', `/${index}/_doc/${i}`, { ...d, n: i });
        await p.engine.json('POST', `/${index}/_refresh`);
      }
    }, 300_000);
    afterAll(async () => {
      for (const index of [DEF, NAMED]) await p?.engine.json('DELETE', `/${index}`);
      await p?.close();
    });

    for (const index of [DEF, NAMED]) {
      it(`answers ${index}'s _count, _explain and _validate/query as the engine answers the body without ext.vlrerank, and says so`, async () => {
        const cases: Array<['count' | 'explain' | 'validateQuery', Record<string, unknown>, string]> = [
          ['count', {}, '[_count]'],
          ['explain', { id: '0' }, '[_explain]'],
          ['validateQuery', { explain: true, rewrite: true }, '[_validate/query]'],
        ];
        for (const [api, extra, named] of cases) {
          const direct = await call(p.engineUrl, api, { index, ...extra, body: { query: QUERY } });
          const through = await call(p.url, api, { index, ...extra, body: { query: QUERY, ext: ASK } });
          expect(direct.statusCode, api).toBe(200);
          expect(through.statusCode, `${api}: ${JSON.stringify(through.body)}`).toBe(200);
          expect(through.body, api).toEqual(direct.body);
          expect(through.warnings.join(' '), api).toContain(`ext.vlrerank was removed: ${named}`);
          // the engine's own answer to the body as written, where it names nothing of vlrerank's
          const plain = await call(p.url, api, { index, ...extra, body: { query: QUERY } });
          expect(plain.body, api).toEqual(direct.body);
          expect(plain.warnings.join(' '), api).not.toContain('vlrerank');
        }
      });
    }

    it('keeps the rest of the body as written: a long past 2^53, another ext key (the engine\'s own refusal)', async () => {
      const body = `{"query":{"term":{"n":${LONG}}},"ext":{"vlrerank":{"query":{"text":"x"}}}}`;
      const through = await fetch(`${p.url}/${DEF}/_validate/query?rewrite=true`, { method: 'POST', headers: { 'content-type': 'application/json' }, body }).then((r) => r.json() as Promise<any>);
      expect(JSON.stringify(through)).toContain(LONG);
      const other = { query: QUERY, ext: { ...ASK, other: {} } };
      const [d, t] = await Promise.all([p.engineUrl, p.url].map((u) => fetch(`${u}/${DEF}/_count`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(u === p.url ? other : { query: QUERY, ext: { other: {} } }) }).then(async (r) => [r.status, await r.json()])));
      expect(t).toEqual(d);
      expect(t![0]).toBe(400);
    });
  });
}
