/**
 * `_count` of an OpenSearch index whose `index.search.default_pipeline` names a vlrerank pipeline
 * (held-out probe round 34a). OpenSearch's `_count` runs the index's default search pipeline and
 * takes no `search_pipeline` (its 400 for the parameter and for the body key), so such a count was
 * the engine's 400 `Pipeline <name> is not defined`, directly and through vlrerank. A rerank never
 * changes a count: through vlrerank it is now the count the index gives without the pipeline — the
 * same as a twin index without the setting, in `_count`'s shape — body query, `q=`, no body,
 * `terminate_after`, `min_score`, `filter_path`, a body carrying `ext.vlrerank`, before and after
 * the setting is learnt; a count the engine refuses for itself keeps its own 400. Real OpenSearch
 * 2.19 and 3.6 and their official client.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Client as OsClient } from '@opensearch-project/opensearch';
import { pipelinesDir, startSearchProxy, type SearchProxy } from '../../helpers/search-fixtures.js';
import { SCIFACT_MAPPINGS, scifactDocs } from '../../helpers/scifact-docs.js';

const NAME = 'p34a-text';
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

for (const engine of ['opensearch', 'opensearch3'] as const) {
  describe(`_count of an index whose default search pipeline is vlrerank's (${engine})`, () => {
    const INDEX = `p34a-sdc-${engine}`;
    const TWIN = `p34a-sdc-twin-${engine}`;
    let p: SearchProxy;
    let vl: OsClient;
    let direct: OsClient;
    const count = async (client: OsClient, index: string, args: Record<string, unknown> = {}) => {
      const r = await client.count({ index, ...args } as never).catch((e) => e.meta);
      return { status: r.statusCode as number, body: r.body as any, warnings: r.warnings as string[] | null };
    };
    beforeAll(async () => {
      p = await startSearchProxy(engine, { pipelinesDir: pipelinesDir(PIPELINES) });
      vl = new OsClient({ node: p.url, requestTimeout: 300_000 });
      direct = new OsClient({ node: p.engineUrl });
      for (const [index, settings] of [[INDEX, { 'index.search.default_pipeline': NAME }], [TWIN, {}]] as const) {
        await p.engine.json('DELETE', `/${index}`);
        await direct.indices.create({ index, body: { settings, mappings: SCIFACT_MAPPINGS } as never });
        const ops = docs.flatMap((d) => [{ index: { _index: index, _id: d.id } }, { title: d.title, text: d.text, n: d.n, bucket: d.bucket }]);
        const r = (await direct.bulk({ body: ops, refresh: true } as never)).body as any;
        expect(r.errors).toBe(false);
      }
    }, 600_000);
    afterAll(async () => {
      for (const index of [INDEX, TWIN]) await p?.engine.json('DELETE', `/${index}`);
      await p?.close();
    });

    it('the engine itself refuses the count (the setting names no pipeline of its own)', async () => {
      const r = await count(direct, INDEX, { body: { query: { match: { text: 'cells' } } } });
      expect(r.status).toBe(400);
      expect(JSON.stringify(r.body)).toContain(`Pipeline ${NAME} is not defined`);
    });

    it('through vlrerank it is the count without the pipeline, as a twin index without the setting gives, before and after it is learnt', async () => {
      const asks: Array<Record<string, unknown>> = [
        { body: { query: { match: { text: 'cells' } } } },
        { q: 'title:cells' },
        {},
        { terminate_after: 1 },
        { q: 'cells', min_score: 1.5 },
      ];
      for (let round = 0; round < 2; round++) {
        for (const ask of asks) {
          const twin = await count(direct, TWIN, ask);
          expect(twin.status).toBe(200);
          const got = await count(vl, INDEX, ask);
          expect({ ask, status: got.status }).toEqual({ ask, status: 200 });
          expect(got.body).toEqual(twin.body);
        }
      }
      // the counts mean something: not all documents match
      const some = await count(vl, INDEX, { body: { query: { match: { text: 'cells' } } } });
      expect(some.body.count).toBeGreaterThan(0);
      expect(some.body.count).toBeLessThan(docs.length);
      expect((await count(vl, INDEX)).body.count).toBe(docs.length);
    });

    it('filter_path and a body carrying ext.vlrerank (removed, warned) are answered as on an index without the setting', async () => {
      const r = await fetch(`${p.url}/${INDEX}/_count?filter_path=count`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query: { match_all: {} } }) });
      expect(r.status).toBe(200);
      expect(await r.json()).toEqual({ count: docs.length });
      const got = await count(vl, INDEX, { body: { query: { match: { text: 'cells' } }, ext: { vlrerank: { query: 'cell biology' } } } });
      const twin = await count(direct, TWIN, { body: { query: { match: { text: 'cells' } } } });
      expect(got.status).toBe(200);
      expect(got.body).toEqual(twin.body);
      expect(got.warnings?.join(' ')).toContain('ext.vlrerank was removed');
    });

    it("a count the engine refuses for itself keeps the engine's own 400", async () => {
      const bad = await count(vl, INDEX, { body: { query: { match_all: {} }, size: 3 } });
      const badTwin = await count(direct, TWIN, { body: { query: { match_all: {} }, size: 3 } });
      expect(bad.status).toBe(400);
      expect(bad.body.error.type).toBe(badTwin.body.error.type);
      const missing = await count(vl, `${INDEX}-missing`, { body: { query: { match_all: {} } } });
      expect(missing.status).toBe(404);
    });
  });
}
