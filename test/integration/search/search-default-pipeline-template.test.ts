/**
 * `_search/template` of an OpenSearch index whose `index.search.default_pipeline` names a vlrerank
 * pipeline (held-out probe round 34a). The engine refuses such a template search naming no pipeline
 * with its 400 `Pipeline <name> is not defined`, and through vlrerank it stayed that 400 (only a
 * `_search` was learnt from). Now the refusal is learnt and the template served as the `_search` it
 * renders to is: reranked by the pipeline, one with nothing to rerank answered by the engine with
 * `search_pipeline=_none`. Real OpenSearch 3.6 (2.19 here has no mustache templates), its official
 * client, SciFact abstracts, the real text model.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Client as OsClient } from '@opensearch-project/opensearch';
import { pipelinesDir, startSearchProxy, type SearchProxy } from '../../helpers/search-fixtures.js';
import { SCIFACT_MAPPINGS, scifactDocs } from '../../helpers/scifact-docs.js';

const NAME = 'p34a-tpl';
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

describe("_search/template of an index whose default search pipeline is vlrerank's (opensearch3)", () => {
  const INDEX = 'p34a-tpl-opensearch3';
  let p: SearchProxy;
  let vl: OsClient;
  let direct: OsClient;
  const template = { source: { size: '{{size}}', query: { match: { text: '{{q}}' } } }, params: { q: QUERY, size: 10 } };
  beforeAll(async () => {
    p = await startSearchProxy('opensearch3', { pipelinesDir: pipelinesDir(PIPELINES) });
    vl = new OsClient({ node: p.url, requestTimeout: 300_000 });
    direct = new OsClient({ node: p.engineUrl });
    await p.engine.json('DELETE', `/${INDEX}`);
    await direct.indices.create({ index: INDEX, body: { settings: { 'index.search.default_pipeline': NAME }, mappings: SCIFACT_MAPPINGS } as never });
    const ops = docs.flatMap((d) => [{ index: { _index: INDEX, _id: d.id } }, { title: d.title, text: d.text, n: d.n, bucket: d.bucket }]);
    expect(((await direct.bulk({ body: ops, refresh: true } as never)).body as any).errors).toBe(false);
  }, 600_000);
  afterAll(async () => {
    await p?.engine.json('DELETE', `/${INDEX}`);
    await p?.close();
  });

  it('the engine itself refuses it', async () => {
    const r = await direct.searchTemplate({ index: INDEX, body: template } as never).catch((e) => e.meta);
    expect(r.statusCode).toBe(400);
    expect(JSON.stringify(r.body)).toContain(`Pipeline ${NAME} is not defined`);
  });

  it('through vlrerank it is reranked as the _search it renders to, from the first; one with nothing to rerank is the engine\'s with _none', async () => {
    const got = (await vl.searchTemplate({ index: INDEX, body: template } as never)).body as any;
    expect(got.vlrerank?.pipeline).toBe(NAME);
    const searched = (await vl.search({ index: INDEX, body: { size: 10, query: { match: { text: QUERY } } } } as never)).body as any;
    expect(hits(got)).toEqual(hits(searched));
    const sorted = { source: { size: 5, query: { match_all: {} }, sort: [{ n: 'asc' }] }, params: {} };
    const plain = (await vl.searchTemplate({ index: INDEX, body: sorted } as never)).body as any;
    const none = (await direct.searchTemplate({ index: INDEX, search_pipeline: '_none', body: sorted } as never)).body as any;
    expect(plain.vlrerank).toBeUndefined();
    expect(plain.hits.hits.map((h: any) => h._id)).toEqual(docs.slice(0, 5).map((d) => d.id));
    expect(plain.hits.hits.map((h: any) => h._id)).toEqual(none.hits.hits.map((h: any) => h._id));
  });
});
