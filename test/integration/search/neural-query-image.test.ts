/**
 * OpenSearch's multimodal search in its own syntax on a vlrerank pipeline's name (held-out probe round
 * 32c): `{"query": {"neural": {"<image vector field>": {"query_image": "<base64>", "model_id":
 * "<pipeline>", "k"}}}}` sent by the official `@opensearch-project/opensearch` client through the
 * proxy is a search by image through that pipeline — the same hits as `ext.vlrerank.query.image`, with
 * the neural's `k`, `filter`, `min_score` and `query_text` honoured —; bad values are ES-shaped 400s
 * naming the field; a `neural` on a pipeline's name below `hybrid` is a 400 naming where (below `bool`
 * the engine's kNN query since round 33b: neural-nested-query.test.ts); a
 * `neural` whose model_id names no pipeline gets the engine's own answer. Before, every one of them
 * reached the engine, whose builds here have no neural-search plugin: 400 "unknown query [neural]".
 */
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { catalog, clientBulk, clientSearchRaw, freshIndex, groceryDoc, groceryQueries, osClient, photoIngestPipeline, pipelinesDir, startSearchProxy, why, type SearchProxy } from '../../helpers/search-fixtures.js';

const INDEX = 'p32c-neural';
const PIPELINE = 'neural-photos';
const NAMES = ['Banana', 'Granny-Smith', 'Red-Bell-Pepper', 'Lemon', 'Oatly-Oat-Milk', 'Arla-Standard-Milk'];
const PRODUCTS = catalog.filter((c) => NAMES.includes(c.class_name));
const BANANA = PRODUCTS.find((c) => c.class_name === 'Banana')!;
/** A shopper's in-store photo of bananas, base64 as the neural query takes it. */
const PHOTO = readFileSync(groceryQueries(1).find((q) => q.classId === BANANA.class_id)!.image).toString('base64');

const neural = (o: Record<string, unknown>, field = 'image_vector') => ({ neural: { [field]: { query_image: PHOTO, model_id: PIPELINE, ...o } } });
const ids = (body: any): string[] => body.hits.hits.map((h: any) => h._id);

describe.each(['opensearch', 'opensearch3'] as const)('a neural query naming a vlrerank pipeline through the proxy on %s', (engine) => {
  let p: SearchProxy;
  const search = (body: Record<string, unknown>) => clientSearchRaw(engine, p.url, { index: INDEX, body });
  beforeAll(async () => {
    p = await startSearchProxy(engine, { pipelinesDir: pipelinesDir({ [`${PIPELINE}.yaml`]: photoIngestPipeline(PIPELINE, `${INDEX}*`) }) });
    await freshIndex(p, p.pipelines.get(PIPELINE)!, INDEX);
    const bulk = await clientBulk(engine, p.url, PRODUCTS.flatMap((c) => [{ index: { _index: INDEX, _id: c.class_name } }, groceryDoc(c)]));
    expect(bulk.errors).toBe(false);
  });
  afterAll(async () => {
    await p?.engine.json('DELETE', `/${INDEX}`);
    await p?.close();
  });

  it('is a search by image through the pipeline: the same hits and scores as ext.vlrerank.query.image, its k neighbours', async () => {
    const byExt = await search({ size: 6, ext: { vlrerank: { query: { image: PHOTO } } } });
    expect(byExt.statusCode, JSON.stringify(byExt.body).slice(0, 300)).toBe(200);
    const r = await search({ size: 6, query: neural({ k: 6 }) });
    expect(r.statusCode, JSON.stringify(r.body).slice(0, 300)).toBe(200);
    expect(r.body.vlrerank).toMatchObject({ pipeline: PIPELINE, syntax: 'neural', degraded: false });
    expect(ids(r.body)[0], why(r.body)).toBe('Banana');
    expect(r.body.hits.hits.map((h: any) => [h._id, h._score])).toEqual(byExt.body.hits.hits.map((h: any) => [h._id, h._score]));
    // k: its neighbours, as the engine's neural query counts them
    const two = await search({ size: 6, query: neural({ k: 2 }) });
    expect(two.statusCode).toBe(200);
    expect(two.body.hits.total).toEqual({ value: 2, relation: 'eq' });
    expect(ids(two.body)).toHaveLength(2);
    expect(ids(two.body)[0]).toBe('Banana');
    // no k: the neural query's default of 10 (here: every document)
    const dflt = await search({ query: neural({}) });
    expect(dflt.statusCode).toBe(200);
    expect(dflt.body.hits.total.value).toBe(PRODUCTS.length);
  });

  it('an _msearch item is answered the same way, beside a plain one', async () => {
    const { body } = (await osClient(p.url).msearch({ body: [{ index: INDEX }, { size: 2, query: neural({ k: 6 }) }, { index: INDEX }, { size: 1, query: { match_all: {} } }] })) as { body: { responses: any[] } };
    expect(body.responses[0].status).toBe(200);
    expect(body.responses[0].vlrerank).toMatchObject({ pipeline: PIPELINE, syntax: 'neural' });
    expect(ids(body.responses[0])[0]).toBe('Banana');
    expect(body.responses[1].vlrerank).toBeUndefined();
    expect(body.responses[1].hits.hits).toHaveLength(1);
  });

  it('honours its filter, a radial min_score and a query_text beside the photo', async () => {
    const milk = await search({ query: neural({ k: 6, filter: { term: { 'top_category.keyword': 'Packages' } } }) });
    expect(milk.statusCode, JSON.stringify(milk.body).slice(0, 300)).toBe(200);
    expect(ids(milk.body).sort()).toEqual(['Arla-Standard-Milk', 'Oatly-Oat-Milk']);
    const radial = await search({ query: neural({ min_score: 0.01 }) });
    expect(radial.statusCode, JSON.stringify(radial.body).slice(0, 300)).toBe(200);
    expect(ids(radial.body)[0]).toBe('Banana');
    const both = await search({ query: neural({ k: 6, query_text: 'a bunch of yellow bananas' }) });
    expect(both.statusCode).toBe(200);
    const alone = await search({ query: neural({ k: 6 }) });
    expect(ids(both.body)[0]).toBe('Banana');
    // the words are read by the rerank: the banana scores otherwise than on the photo alone
    expect(both.body.hits.hits[0]._score).not.toBe(alone.body.hits.hits[0]._score);
  });

  it('bad values are ES-shaped 400s naming the field', async () => {
    const cases: Array<[Record<string, unknown>, string]> = [
      [neural({ k: 0 }), 'query.neural.image_vector.k'],
      [neural({ k: '5' }), 'query.neural.image_vector.k'],
      [neural({ k: 5, min_score: 0.5 }), 'query.neural.image_vector.min_score'],
      [neural({ query_image: '' }), 'query.neural.image_vector.query_image'],
      [neural({ query_image: 'not base64 %%' }), 'query.neural.image_vector.query_image'],
      [neural({ query_image: undefined, query_text: 'bananas' }), 'query.neural.image_vector.query_image'],
      [neural({ query_text: '  ' }), 'query.neural.image_vector.query_text'],
      [neural({ filter: [] }), 'query.neural.image_vector.filter'],
      [neural({ bogus: 1 }), 'query.neural.image_vector.bogus'],
      [neural({}, 'title'), 'query.neural.title'],
    ];
    for (const [query, field] of cases) {
      const r = await search({ query });
      expect(r.statusCode, field).toBe(400);
      expect(r.body.status).toBe(400);
      expect(r.body.error.type).toBe('illegal_argument_exception');
      expect(r.body.error.reason).toContain(`[${field}]`);
    }
  });

  it('below hybrid it is a 400 naming where (below bool, the engine’s kNN query since round 33b); a model_id naming no pipeline is the engine’s to answer', async () => {
    const inBool = await search({ query: { bool: { must: [neural({ k: 5 })] } } });
    expect(inBool.statusCode, JSON.stringify(inBool.body).slice(0, 300)).toBe(200);
    expect(ids(inBool.body)).toHaveLength(5);
    const inHybrid = await search({ query: { hybrid: { queries: [{ match: { title: 'banana' } }, neural({ k: 5 })] } } });
    expect(inHybrid.statusCode).toBe(400);
    expect(inHybrid.body.error.reason).toContain('[query.hybrid.queries[1].neural]');
    const other = { query: { neural: { image_vector: { query_image: PHOTO, model_id: 'an-ml-commons-model', k: 5 } } } };
    const proxied = await search(other);
    const direct = await clientSearchRaw(engine, p.engineUrl, { index: INDEX, body: other });
    expect(proxied.statusCode).toBe(direct.statusCode);
    expect(proxied.body).toEqual(direct.body);
  });
});
