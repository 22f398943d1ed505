/**
 * `_msearch` items on an OpenSearch index whose `index.search.default_pipeline` names a vlrerank
 * pipeline (held-out probe round 34a). The engine refuses each such item that names no pipeline with
 * its 400 `Pipeline <name> is not defined` (an item's header takes no `search_pipeline`; its body
 * does), and through vlrerank every item stayed that 400: `_msearch` items were never learnt from.
 * Now an item refused so is learnt from and served as a `_search` of the index is — reranked by the
 * pipeline, its first stage and unreranked items naming `search_pipeline: "_none"` —, an item's own
 * `search_pipeline` honoured. An `_msearch` forwarded untouched (its 200 never held back) teaches
 * it for the next ones; one vlrerank reads itself is served at once. Real OpenSearch 2.19 and 3.6,
 * their official client, SciFact abstracts, the real text model.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Client as OsClient } from '@opensearch-project/opensearch';
import { pipelinesDir, startSearchProxy, type SearchProxy } from '../../helpers/search-fixtures.js';
import { SCIFACT_MAPPINGS, scifactDocs } from '../../helpers/scifact-docs.js';

const NAME = 'p34a-msd';
const PIPELINES = {
  [`${NAME}.yaml`]: `name: ${NAME}
index_patterns: [p34a-elsewhere-*]
fields:
  text: [title, text]
first_stage: { text_query: bm25, match_fields: [title, text] }
window: { default: 20, max: 50 }
failure: fail_closed
`,
};
const docs = scifactDocs(30);
const QUERY = 'diffusion tensor imaging of white matter in newborn brains';

const hits = (b: any) => b.hits.hits.map((h: any) => [h._id, h._score]);

for (const engine of ['opensearch', 'opensearch3'] as const) {
  describe(`_msearch items on an index whose default search pipeline is vlrerank's (${engine})`, () => {
    const INDEX = `p34a-msd-${engine}`;
    const INDEX2 = `p34a-msd2-${engine}`;
    const TWIN = `p34a-msd-twin-${engine}`;
    let p: SearchProxy;
    let vl: OsClient;
    let direct: OsClient;
    const msearch = async (client: OsClient, body: object[]) => ((await client.msearch({ body } as never)).body as any).responses as any[];
    const query = { size: 10, query: { match: { text: QUERY } } };
    beforeAll(async () => {
      p = await startSearchProxy(engine, { pipelinesDir: pipelinesDir(PIPELINES) });
      vl = new OsClient({ node: p.url, requestTimeout: 300_000 });
      direct = new OsClient({ node: p.engineUrl });
      for (const [index, settings] of [[INDEX, { 'index.search.default_pipeline': NAME }], [INDEX2, { 'index.search.default_pipeline': NAME }], [TWIN, {}]] as const) {
        await p.engine.json('DELETE', `/${index}`);
        await direct.indices.create({ index, body: { settings, mappings: SCIFACT_MAPPINGS } as never });
        const ops = docs.flatMap((d) => [{ index: { _index: index, _id: d.id } }, { title: d.title, text: d.text, n: d.n, bucket: d.bucket }]);
        const r = (await direct.bulk({ body: ops, refresh: true } as never)).body as any;
        expect(r.errors).toBe(false);
      }
    }, 600_000);
    afterAll(async () => {
      for (const index of [INDEX, INDEX2, TWIN]) await p?.engine.json('DELETE', `/${index}`);
      await p?.close();
    });

    it('the engine itself refuses an item naming no pipeline, and takes one naming _none in its body', async () => {
      const [a, b] = await msearch(direct, [{ index: INDEX }, query, { index: INDEX }, { ...query, search_pipeline: '_none' }]);
      expect(a.status).toBe(400);
      expect(JSON.stringify(a.error)).toContain(`Pipeline ${NAME} is not defined`);
      expect(b.status).toBe(200);
    });

    it('an _msearch forwarded untouched teaches it: the next ones rerank its items by the pipeline, an item naming _none is the engine\'s', async () => {
      const body = [{ index: INDEX }, query, { index: INDEX }, { ...query, search_pipeline: '_none' }, { index: TWIN }, query];
      const first = await msearch(vl, body);
      // the one answer that teaches it (a 200 of the engine's, streamed to the client as it came)
      expect(first[0].status).toBe(400);
      expect(first[1].status).toBe(200);
      // learnt from that answer alone (no _search of the index asked before the next)
      const second = await msearch(vl, body);
      expect(second[0].status).toBe(200);
      expect(second[0].vlrerank?.pipeline).toBe(NAME);
      const none = (await direct.search({ index: INDEX, search_pipeline: '_none', body: query } as never)).body as any;
      const twin = (await direct.search({ index: TWIN, body: query } as never)).body as any;
      const searched = (await vl.search({ index: INDEX, body: query } as never)).body as any;
      expect(searched.vlrerank?.pipeline).toBe(NAME);
      for (let round = 0; round < 2; round++) {
        const [a, b, c] = await msearch(vl, body);
        expect(a.status).toBe(200);
        expect(a.vlrerank?.pipeline).toBe(NAME);
        expect(hits(a)).toEqual(hits(searched));
        expect(b.status).toBe(200);
        expect(b.vlrerank).toBeUndefined();
        expect(hits(b)).toEqual(hits(none));
        expect(c.vlrerank).toBeUndefined();
        expect(hits(c)).toEqual(hits(twin));
      }
    });

    it('an _msearch vlrerank reads itself is served at once: plain and ext.vlrerank items of another such index, a plain one with nothing to rerank', async () => {
      const own = { size: 5, query: { match: { text: 'cells' } }, ext: { vlrerank: { query: QUERY } } };
      const all = { size: 5, query: { match_all: {} }, sort: [{ n: 'asc' }] };
      const [a, b, c] = await msearch(vl, [{ index: INDEX2 }, query, { index: INDEX2 }, own, { index: INDEX2 }, all]);
      expect([a.status, b.status, c.status]).toEqual([200, 200, 200]);
      expect(a.vlrerank?.pipeline).toBe(NAME);
      expect(b.vlrerank?.pipeline).toBe(NAME);
      expect(b.vlrerank?.syntax).toBe('ext');
      const ownOne = (await vl.search({ index: INDEX2, body: own } as never)).body as any;
      expect(hits(b)).toEqual(hits(ownOne));
      expect(c.vlrerank).toBeUndefined();
      expect(c.hits.hits.map((h: any) => h._id)).toEqual(docs.slice(0, 5).map((d) => d.id));
    });
  });
}
