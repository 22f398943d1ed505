/**
 * OpenSearch's reranking tutorial, verbatim, with a vlrerank pipeline as the model (held-out probe
 * round 34b): `PUT /_search/pipeline/{name}` with a `rerank` processor whose `ml_opensearch.model_id`
 * is a vlrerank pipeline's name, then searches naming `search_pipeline={name}` with
 * `ext.rerank.query_context`. The engines here have no neural-search plugin and refuse that PUT
 * (400 `Invalid processor type rerank`), so the tutorial stopped at its second step. Now the
 * definition is kept in the cluster (stored without the processor, the client's in its description),
 * `GET` shows the client's definition, searches are reranked by the pipeline on the processor's
 * `document_fields` — named or as the index's `index.search.default_pipeline` —, the pipeline's other
 * processors run on the engine, and a vlrerank that never saw the PUT (another node, a restart) learns
 * the name at the first search. Real OpenSearch 2.19 and
 * 3.6, their official client, SciFact abstracts, the real text model.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Client as OsClient } from '@opensearch-project/opensearch';
import { pipelinesDir, startSearchProxy, type SearchProxy } from '../../helpers/search-fixtures.js';
import { SCIFACT_MAPPINGS, scifactDocs } from '../../helpers/scifact-docs.js';

const NAME = 'p34b-text';
const PIPELINES = {
  [`${NAME}.yaml`]: `name: ${NAME}
index_patterns: [p34b-elsewhere-*]
fields:
  text: [text]
first_stage: { text_query: bm25, match_fields: [title, text] }
window: { default: 20, max: 50 }
failure: fail_closed
`,
};
const docs = scifactDocs(40);
const QUERY = 'diffusion tensor imaging of white matter in newborn brains';
const tutorial = (fields: string[], extra: Record<string, unknown> = {}) => ({
  description: 'rerank with a vlrerank pipeline',
  ...extra,
  response_processors: [...((extra.response_processors as unknown[]) ?? []), { rerank: { ml_opensearch: { model_id: NAME }, context: { document_fields: fields } } }],
});

const hits = (b: any) => b.hits.hits.map((h: any) => [h._id, h._score]);
const meta = (e: any) => e.meta ?? e;

for (const engine of ['opensearch', 'opensearch3'] as const) {
  describe(`a cluster search pipeline whose rerank processor names a vlrerank pipeline (${engine})`, () => {
    const INDEX = `p34b-sp-${engine}`;
    const SP = `p34b-tutorial-${engine}`;
    const SP_TITLE = `p34b-title-${engine}`;
    const SP_FILTER = `p34b-filter-${engine}`;
    const SP_AFTER = `p34b-after-${engine}`;
    const SP_BYFIELD = `p34b-byfield-${engine}`;
    const ALL = [SP, SP_TITLE, SP_FILTER, SP_AFTER, SP_BYFIELD];
    let p: SearchProxy;
    let vl: OsClient;
    let direct: OsClient;
    beforeAll(async () => {
      p = await startSearchProxy(engine, { pipelinesDir: pipelinesDir(PIPELINES) });
      vl = new OsClient({ node: p.url, requestTimeout: 300_000 });
      direct = new OsClient({ node: p.engineUrl });
      await p.engine.json('DELETE', `/${INDEX}`);
      for (const sp of ALL) for (const n of [sp, `.vlrerank-rerank.${sp}`]) await p.engine.json('DELETE', `/_search/pipeline/${n}`);
      await vl.indices.create({ index: INDEX, body: { mappings: SCIFACT_MAPPINGS } as never });
      const ops = docs.flatMap((d) => [{ index: { _index: INDEX, _id: d.id } }, { title: d.title, text: d.text, n: d.n, bucket: d.bucket }]);
      expect(((await vl.bulk({ body: ops, refresh: true } as never)).body as any).errors).toBe(false);
    }, 600_000);
    afterAll(async () => {
      await p?.engine.json('DELETE', `/${INDEX}`);
      for (const sp of ALL) for (const n of [sp, `.vlrerank-rerank.${sp}`]) await p?.engine.json('DELETE', `/_search/pipeline/${n}`);
      await p?.close();
    });

    it('the engine itself refuses the tutorial pipeline (no neural-search plugin)', async () => {
      const r = meta(await direct.searchPipeline.put({ id: SP, body: tutorial(['text']) } as never).catch((e) => e));
      expect(r.statusCode).toBe(400);
      expect(JSON.stringify(r.body)).toContain('Invalid processor type rerank');
    });

    it('PUT through vlrerank is acknowledged, kept in the cluster, and GET shows the definition as sent', async () => {
      // an engine pipeline of the name before: replaced, as a PUT replaces it
      await direct.searchPipeline.put({ id: SP, body: { description: 'before' } } as never);
      const put = await vl.searchPipeline.put({ id: SP, body: tutorial(['text']) } as never);
      expect(put.statusCode).toBe(200);
      expect(put.body).toEqual({ acknowledged: true });
      const got = (await vl.searchPipeline.get({ id: SP } as never)).body as any;
      expect(got).toEqual({ [SP]: tutorial(['text']) });
      // on the engine: the same pipeline without the rerank processor under its companion name, the
      // definition in its description; none under the name itself (the engine would run it unreranked)
      const stored = (await direct.searchPipeline.get({ id: `.vlrerank-rerank.${SP}` } as never)).body as any;
      expect(stored[`.vlrerank-rerank.${SP}`].response_processors).toEqual([]);
      expect(stored[`.vlrerank-rerank.${SP}`].description).toContain(JSON.stringify(tutorial(['text'])));
      expect(meta(await direct.searchPipeline.get({ id: SP } as never).catch((e) => e)).statusCode).toBe(404);
      // the whole listing through vlrerank names it as the client did
      const all = (await vl.searchPipeline.get({} as never)).body as any;
      expect(all[SP]).toEqual(tutorial(['text']));
      expect(Object.keys(all).some((k) => k.startsWith('.vlrerank-rerank.'))).toBe(false);
      // a search sent to the engine directly naming it is the engine's 400, never a 200 silently not reranked
      const d = meta(await direct.search({ index: INDEX, search_pipeline: SP, body: { query: { match: { text: 'brain' } } } } as never).catch((e) => e));
      expect(d.statusCode).toBe(400);
      expect(JSON.stringify(d.body)).toContain(`Pipeline ${SP} is not defined`);
    });

    it("an index whose index.search.default_pipeline names it is reranked by it (learnt from the engine's refusal)", async () => {
      const index = `${INDEX}-default`;
      await p.engine.json('DELETE', `/${index}`);
      try {
        await vl.indices.create({ index, body: { settings: { 'index.search.default_pipeline': SP }, mappings: SCIFACT_MAPPINGS } as never });
        const ops = docs.flatMap((d) => [{ index: { _index: index, _id: d.id } }, { title: d.title, text: d.text, n: d.n, bucket: d.bucket }]);
        expect(((await vl.bulk({ body: ops, refresh: true } as never)).body as any).errors).toBe(false);
        const body = { size: 8, query: { match: { text: QUERY } } };
        const named = (await vl.search({ index: INDEX, search_pipeline: SP, body } as never)).body as any;
        for (let i = 0; i < 2; i++) {
          const got = (await vl.search({ index, body } as never)).body as any;
          expect(got.vlrerank?.pipeline).toBe(NAME);
          expect(hits(got)).toEqual(hits(named));
        }
        const rerank = { size: 8, query: { match: { text: 'brain' } }, ext: { rerank: { query_context: { query_text: QUERY } } } };
        const got = (await vl.search({ index, body: rerank } as never)).body as any;
        const namedRerank = (await vl.search({ index: INDEX, search_pipeline: SP, body: rerank } as never)).body as any;
        expect(got.vlrerank?.pipeline).toBe(NAME);
        expect(hits(got)).toEqual(hits(namedRerank));
        // nothing to rerank: the engine's answer, through the stored pipeline
        const all = (await vl.search({ index, body: { size: 3, query: { match_all: {} }, sort: [{ n: 'asc' }] } } as never)).body as any;
        expect(all.vlrerank).toBeUndefined();
        expect(all.hits.hits.map((h: any) => h._id)).toEqual(docs.slice(0, 3).map((d) => d.id));
      } finally {
        await p.engine.json('DELETE', `/${index}`);
      }
    });

    it('a search naming it is reranked by the vlrerank pipeline, as naming the pipeline itself', async () => {
      const body = { size: 8, query: { match: { text: 'brain' } }, ext: { rerank: { query_context: { query_text: QUERY } } } };
      const got = (await vl.search({ index: INDEX, search_pipeline: SP, body } as never)).body as any;
      const own = (await vl.search({ index: INDEX, search_pipeline: NAME, body } as never)).body as any;
      expect(got.vlrerank?.pipeline).toBe(NAME);
      expect(got.vlrerank?.syntax).toBe('search_pipeline');
      expect(hits(got)).toEqual(hits(own));
      // query_text_path, as the tutorial's second form
      const path = { size: 8, query: { match: { text: QUERY } }, ext: { rerank: { query_context: { query_text_path: 'query.match.text.query' } } } };
      const byPath = (await vl.search({ index: INDEX, search_pipeline: SP, body: path } as never)).body as any;
      const ownPath = (await vl.search({ index: INDEX, search_pipeline: NAME, body: path } as never)).body as any;
      expect(byPath.vlrerank?.pipeline).toBe(NAME);
      expect(hits(byPath)).toEqual(hits(ownPath));
    });

    it("context.document_fields are the text scored (a field the pipeline does not read), as Elasticsearch's retriever field", async () => {
      await vl.searchPipeline.put({ id: SP_TITLE, body: tutorial(['title']) } as never);
      const body = { size: 8, query: { match: { text: 'brain' } }, ext: { rerank: { query_context: { query_text: QUERY } } } };
      const got = (await vl.search({ index: INDEX, search_pipeline: SP_TITLE, body } as never)).body as any;
      const whole = (await vl.search({ index: INDEX, search_pipeline: SP, body } as never)).body as any;
      const retriever = { size: 8, retriever: { text_similarity_reranker: { retriever: { standard: { query: { match: { text: 'brain' } } } }, field: 'title', inference_id: NAME, inference_text: QUERY, rank_window_size: 20 } } };
      const byTitle = (await vl.search({ index: INDEX, body: retriever } as never)).body as any;
      expect(got.vlrerank?.pipeline).toBe(NAME);
      expect(hits(got)).toEqual(hits(byTitle));
      expect(hits(got)).not.toEqual(hits(whole));
    });

    it("the pipeline's other processors run on the engine: a request filter_query, a truncate_hits before the rerank", async () => {
      const extra = {
        request_processors: [{ filter_query: { query: { term: { bucket: 'b3' } } } }],
        response_processors: [{ truncate_hits: { target_size: 3 } }],
      };
      // OpenSearch 2.19 from Maven has no search-pipeline-common module (no processor at all): its refusal, as directly
      const known = JSON.stringify((await direct.transport.request({ method: 'GET', path: '/_nodes/search_pipelines' })).body);
      if (!known.includes('filter_query')) {
        const a = meta(await vl.searchPipeline.put({ id: SP_FILTER, body: tutorial(['text'], extra) } as never).catch((e) => e));
        const b = meta(await direct.searchPipeline.put({ id: SP_FILTER, body: { request_processors: extra.request_processors } } as never).catch((e) => e));
        expect(a.statusCode).toBe(400);
        expect(a.body).toEqual(b.body);
        return;
      }
      const put = await vl.searchPipeline.put({ id: SP_FILTER, body: tutorial(['text'], extra) } as never);
      expect(put.body).toEqual({ acknowledged: true });
      const body = { size: 10, query: { match_all: {} }, ext: { rerank: { query_context: { query_text: QUERY } } } };
      const got = (await vl.search({ index: INDEX, search_pipeline: SP_FILTER, body } as never)).body as any;
      expect(got.vlrerank?.pipeline).toBe(NAME);
      const inB3 = new Set(docs.filter((d) => d.bucket === 'b3').map((d) => d.id));
      expect(got.hits.hits.length).toBe(3); // truncated to 3 by the engine, of the filtered hits
      expect(got.hits.hits.every((h: any) => inB3.has(h._id))).toBe(true);
      expect((await vl.searchPipeline.get({ id: SP_FILTER } as never)).body).toEqual({ [SP_FILTER]: tutorial(['text'], extra) });
      // DELETE through vlrerank removes it (as the engine acknowledges its own)
      expect((await vl.searchPipeline.delete({ id: SP_FILTER } as never)).body).toEqual({ acknowledged: true });
      expect(meta(await direct.searchPipeline.get({ id: `.vlrerank-rerank.${SP_FILTER}` } as never).catch((e) => e)).statusCode).toBe(404);
      expect(meta(await vl.searchPipeline.get({ id: SP_FILTER } as never).catch((e) => e)).statusCode).toBe(404);
    });

    it('a response processor after the rerank is refused with a 400 naming it; by_field stays the engine\'s', async () => {
      const after = { ...tutorial(['text']) };
      after.response_processors = [...after.response_processors, { truncate_hits: { target_size: 3 } }];
      const r = meta(await vl.searchPipeline.put({ id: SP_AFTER, body: after } as never).catch((e) => e));
      expect(r.statusCode).toBe(400);
      expect(r.body.error.reason).toContain('response_processors.1');
      expect(r.body.error.reason).toContain('truncate_hits');
      expect(meta(await direct.searchPipeline.get({ id: SP_AFTER } as never).catch((e) => e)).statusCode).toBe(404);
      const byField = { response_processors: [{ rerank: { by_field: { target_field: 'n' } } }] };
      const a = meta(await vl.searchPipeline.put({ id: SP_BYFIELD, body: byField } as never).catch((e) => e));
      const b = meta(await direct.searchPipeline.put({ id: SP_BYFIELD, body: byField } as never).catch((e) => e));
      expect(a.statusCode).toBe(b.statusCode);
      expect(a.body).toEqual(b.body);
    });

    it('a vlrerank that never saw the PUT (another node, a restart) learns the name at the first search', async () => {
      const other = await startSearchProxy(engine, { pipelinesDir: pipelinesDir(PIPELINES) });
      try {
        const client = new OsClient({ node: other.url, requestTimeout: 300_000 });
        const body = { size: 8, query: { match: { text: 'brain' } }, ext: { rerank: { query_context: { query_text: QUERY } } } };
        // named in the body (OpenSearch reads a name there too), then in the URL
        const inBody = (await client.search({ index: INDEX, body: { ...body, search_pipeline: SP } } as never)).body as any;
        const got = (await client.search({ index: INDEX, search_pipeline: SP, body } as never)).body as any;
        const own = (await vl.search({ index: INDEX, search_pipeline: NAME, body } as never)).body as any;
        expect(inBody.vlrerank?.pipeline).toBe(NAME);
        expect(hits(inBody)).toEqual(hits(own));
        expect(got.vlrerank?.pipeline).toBe(NAME);
        expect(hits(got)).toEqual(hits(own));
        expect((await client.searchPipeline.get({ id: SP } as never)).body).toEqual({ [SP]: tutorial(['text']) });
        // a name the engine does not know is its answer, as directly
        const plain = { size: 3, query: { match: { text: 'brain' } } };
        const a = meta(await client.search({ index: INDEX, search_pipeline: 'p34b-nope', body: plain } as never).catch((e) => e));
        const b = meta(await direct.search({ index: INDEX, search_pipeline: 'p34b-nope', body: plain } as never).catch((e) => e));
        expect(a.statusCode).toBe(b.statusCode);
        expect(a.body).toEqual(b.body);
      } finally {
        await other.close();
      }
    });
  });
}
