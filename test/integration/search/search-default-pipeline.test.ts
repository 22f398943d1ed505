/**
 * OpenSearch's `index.search.default_pipeline` naming a vlrerank pipeline (held-out probe round 33a).
 * The engine accepts any name there, then refuses every search of the index that names no pipeline
 * with its 400 `Pipeline <name> is not defined` — through vlrerank too, which did not know the
 * setting. Now that refusal is learnt and the index is served as if the pipeline's `index_patterns`
 * covered it with `default: true` (the file's own `index_patterns` cover other indices): the same hits in the same order with the same scores as a twin
 * index that pattern covers, OpenSearch's `ext.rerank` and vlrerank's `ext.vlrerank` alike,
 * `search_pipeline=_none` and a search with nothing to rerank answered by the engine as with `_none`,
 * and the setting stays the engine's. Real OpenSearch 2.19 and 3.6, their official client, SciFact
 * abstracts written through the proxy, the real text model.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Client as OsClient } from '@opensearch-project/opensearch';
import { pipelinesDir, startSearchProxy, type SearchProxy } from '../../helpers/search-fixtures.js';
import { SCIFACT_MAPPINGS, scifactDocs } from '../../helpers/scifact-docs.js';

const NAME = 'p33a-text';
const body = (name: string, patterns: string) => `name: ${name}
${patterns}
fields:
  text: [title, text]
first_stage: { text_query: bm25, match_fields: [title, text] }
window: { default: 20, max: 50 }
failure: fail_closed
`;
const PIPELINES = { [`${NAME}.yaml`]: body(NAME, 'index_patterns: [p33a-elsewhere-*]'), 'p33a-covered.yaml': body('p33a-covered', 'index_patterns: [p33a-cov-*]\ndefault: true') };
const docs = scifactDocs(40);
const QUERY = 'diffusion tensor imaging of white matter in newborn brains';

const hits = (b: any) => b.hits.hits.map((h: any) => [h._id, h._score]);
const ids = (b: any) => b.hits.hits.map((h: any) => h._id);

for (const engine of ['opensearch', 'opensearch3'] as const) {
  describe(`index.search.default_pipeline naming a vlrerank pipeline (${engine})`, () => {
    const INDEX = `p33a-sdp-${engine}`;
    const TWIN = `p33a-cov-${engine}`;
    let p: SearchProxy;
    let vl: OsClient;
    let direct: OsClient;
    beforeAll(async () => {
      p = await startSearchProxy(engine, { pipelinesDir: pipelinesDir(PIPELINES) });
      vl = new OsClient({ node: p.url, requestTimeout: 300_000 });
      direct = new OsClient({ node: p.engineUrl });
      for (const [index, settings] of [[INDEX, { 'index.search.default_pipeline': NAME }], [TWIN, {}]] as const) {
        await p.engine.json('DELETE', `/${index}`);
        // made and written through vlrerank with the official client, as a team would
        await vl.indices.create({ index, body: { settings, mappings: SCIFACT_MAPPINGS } as never });
        const ops = docs.flatMap((d) => [{ index: { _index: index, _id: d.id } }, { title: d.title, text: d.text, n: d.n, bucket: d.bucket }]);
        const r = (await vl.bulk({ body: ops, refresh: true } as never)).body as any;
        expect(r.errors).toBe(false);
      }
    }, 600_000);
    afterAll(async () => {
      for (const index of [INDEX, TWIN]) await p?.engine.json('DELETE', `/${index}`);
      await p?.close();
    });

    it('the engine itself refuses a search naming no pipeline (the setting names no pipeline of its own)', async () => {
      const r = await direct.search({ index: INDEX, body: { query: { match: { text: QUERY } } } } as never).catch((e) => e.meta);
      expect(r.statusCode).toBe(400);
      expect(JSON.stringify(r.body)).toContain(`Pipeline ${NAME} is not defined`);
    });

    it('a plain search is reranked by that pipeline exactly as one its index_patterns cover, before and after it is learnt', async () => {
      const query = { size: 10, query: { match: { text: QUERY } } };
      const twin = (await vl.search({ index: TWIN, body: query } as never)).body as any;
      expect(twin.vlrerank?.pipeline).toBe('p33a-covered');
      for (let i = 0; i < 2; i++) {
        const got = (await vl.search({ index: INDEX, body: query } as never)).body as any;
        expect(got.vlrerank?.pipeline).toBe(NAME);
        expect(got.vlrerank?.syntax).toBe('default');
        expect(hits(got)).toEqual(hits(twin));
        expect(got.hits.total).toEqual(twin.hits.total);
        expect(got.hits.hits.every((h: any) => h._index === INDEX)).toBe(true);
      }
    });

    it("vlrerank's ext.vlrerank and OpenSearch's ext.rerank rerank by it, as under the index's patterns", async () => {
      // a settings write through vlrerank forgets what was learnt: ext.vlrerank's first stage is then what the engine refuses first
      await vl.indices.putSettings({ index: INDEX, body: { 'index.search.default_pipeline': NAME } } as never);
      const own = (await vl.search({ index: INDEX, body: { size: 5, query: { match: { text: 'cells' } }, ext: { vlrerank: { query: QUERY } } } } as never)).body as any;
      const ownTwin = (await vl.search({ index: TWIN, body: { size: 5, query: { match: { text: 'cells' } }, ext: { vlrerank: { query: QUERY } } } } as never)).body as any;
      expect(own.vlrerank?.pipeline).toBe(NAME);
      expect(own.vlrerank?.syntax).toBe('ext');
      expect(hits(own)).toEqual(hits(ownTwin));
      const rerank = { size: 5, query: { match: { title: 'cells' } }, ext: { rerank: { query_context: { query_text: QUERY } } } };
      const got = (await vl.search({ index: INDEX, body: rerank } as never)).body as any;
      const named = (await vl.search({ index: TWIN, search_pipeline: 'p33a-covered', body: rerank } as never)).body as any;
      expect(got.vlrerank?.pipeline).toBe(NAME);
      expect(got.vlrerank?.syntax).toBe('search_pipeline');
      expect(hits(got)).toEqual(hits(named));
    });

    it('search_pipeline=_none and a search with nothing to rerank are the engine\'s, as with _none directly', async () => {
      const query = { size: 5, query: { match: { text: QUERY } } };
      const none = (await vl.search({ index: INDEX, search_pipeline: '_none', body: query } as never)).body as any;
      const noneDirect = (await direct.search({ index: INDEX, search_pipeline: '_none', body: query } as never)).body as any;
      expect(none.vlrerank).toBeUndefined();
      expect(hits(none)).toEqual(hits(noneDirect));
      const all = { size: 5, query: { match_all: {} }, sort: [{ n: 'asc' }] };
      const plain = (await vl.search({ index: INDEX, body: all } as never)).body as any;
      expect(plain.vlrerank).toBeUndefined();
      expect(ids(plain)).toEqual(docs.slice(0, 5).map((d) => d.id));
      // a body-less search (GET /index/_search) too
      const bare = await fetch(`${p.url}/${INDEX}/_search?size=3`);
      expect(bare.status).toBe(200);
      expect(((await bare.json()) as any).hits.total.value).toBe(docs.length);
    });

    it('the setting stays on the engine, read through vlrerank', async () => {
      const s = (await vl.indices.getSettings({ index: INDEX, flat_settings: true } as never)).body as any;
      expect(s[INDEX].settings['index.search.default_pipeline']).toBe(NAME);
    });
  });
}
