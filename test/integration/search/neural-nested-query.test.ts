/**
 * OpenSearch's `neural` query naming a vlrerank pipeline *inside* another query (held-out probe round
 * 33b): users write `{"bool": {"should": [{"match": …}, {"neural": {…}}]}}` all the time. Before,
 * any such body was refused with a 400 ("answered only as the whole query"). Now each nested neural is
 * the engine's own kNN query on that field with the vector the pipeline's encoder for it gives (the
 * photo's visual vector for `image_vector`, a text's — or a photo's — text-space vector for
 * `image_text_vector`), and the search goes on as if the client had sent that kNN: the same hits and
 * scores as the engine gives the same body with the vector written in. Its embedding is rerank work:
 * refused with the 429 when admission is full and the pipeline fails closed; its time in
 * `vlrerank.timings.query_vector_ms` of a reranked answer. Real OpenSearch 2.19 and 3.6 (and
 * Elasticsearch 8.19 / 9.2, where it becomes ES's `knn` query), the official clients, real models, the grocery photos indexed through the proxy.
 */
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { whileAdmissionFull } from '../../helpers/admission.js';
import { ES_VERSIONS } from '../../helpers/engines.js';
import { catalog, clientBulk, clientSearchRaw, ensureGrocery, freshIndex, groceryDoc, groceryQueries, osClient, photoIngestPipeline, pipelinesDir, startSearchProxy, type SearchProxy } from '../../helpers/search-fixtures.js';

const INDEX = 'p33b-neural-nested';
const PIPELINE = 'p33b-photos';
const NAMES = ['Banana', 'Granny-Smith', 'Red-Bell-Pepper', 'Lemon', 'Oatly-Oat-Milk', 'Arla-Standard-Milk'];
const PRODUCTS = catalog.filter((c) => NAMES.includes(c.class_name));
const BANANA = PRODUCTS.find((c) => c.class_name === 'Banana')!;
const PHOTO = readFileSync(groceryQueries(1).find((q) => q.classId === BANANA.class_id)!.image).toString('base64');
const TEXT = 'yellow bananas';

const neural = (o: Record<string, unknown>, field = 'image_vector') => ({ neural: { [field]: { model_id: PIPELINE, ...o } } });
const hits = (body: any) => body.hits.hits.map((h: any) => [h._id, h._score]);

describe.each(['opensearch', 'opensearch3'] as const)('a neural naming a pipeline inside another query on %s', (engine) => {
  /** `ingest`: the pipeline covers the index (vectors added at ingest); `p`: the same pipeline covering no index (searches not reranked unless asked), fail_closed, a one-place queue. */
  let ingest: SearchProxy;
  let p: SearchProxy;
  let visual: number[];
  let textVector: number[];
  const search = (body: Record<string, unknown>, url = p.url) => clientSearchRaw(engine, url, { index: INDEX, body: { size: 10, _source: ['title'], ...body } });
  beforeAll(async () => {
    ingest = await startSearchProxy(engine, { pipelinesDir: pipelinesDir({ [`${PIPELINE}.yaml`]: photoIngestPipeline(PIPELINE, `${INDEX}*`) }) });
    await freshIndex(ingest, ingest.pipelines.get(PIPELINE)!, INDEX);
    const bulk = await clientBulk(engine, ingest.url, PRODUCTS.flatMap((c) => [{ index: { _index: INDEX, _id: c.class_name } }, groceryDoc(c)]));
    expect(bulk.errors).toBe(false);
    const searchOnly = photoIngestPipeline(PIPELINE, 'p33b-covers-nothing').replace('ingest: true', 'ingest: false') + 'failure: fail_closed\n';
    p = await startSearchProxy(engine, {
      pipelinesDir: pipelinesDir({ [`${PIPELINE}.yaml`]: searchOnly }),
      rerank: { maxConcurrentRequests: 1, admission: { maxQueued: 1, clientShare: 1, maxQueueWaitMs: 300_000 } },
    });
    visual = Array.from(await p.srv.services.embedder.visual(`data:;base64,${PHOTO}`, 'image'));
    textVector = Array.from(await p.srv.services.embedder.queryText(TEXT));
  });
  afterAll(async () => {
    await ingest?.engine.json('DELETE', `/${INDEX}`);
    await ingest?.close();
    await p?.close();
  });

  it('inside bool.should beside a match: the engine’s kNN query with the photo’s vector, its hits and scores', async () => {
    const body = (n: object) => ({ query: { bool: { should: [{ match: { title: 'banana' } }, n] } } });
    const r = await search(body(neural({ query_image: PHOTO, k: 3 })));
    expect(r.statusCode, JSON.stringify(r.body).slice(0, 300)).toBe(200);
    const direct = await search(body({ knn: { image_vector: { vector: visual, k: 3 } } }), p.engineUrl);
    expect(direct.statusCode).toBe(200);
    expect(hits(r.body)).toEqual(hits(direct.body));
    expect(r.body.hits.hits[0]._id).toBe('Banana');
    expect(r.body.vlrerank).toBeUndefined(); // not asked to rerank, and the pipeline covers no index
  });

  it('dis_max, boosting and constant_score alike; query_text on the text-space field; filter and boost carried', async () => {
    const cases: Array<[object, object]> = [
      [{ dis_max: { queries: [neural({ query_text: TEXT, k: 4, boost: 2 }, 'image_text_vector'), { match: { title: 'milk' } }] } }, { dis_max: { queries: [{ knn: { image_text_vector: { vector: textVector, k: 4, boost: 2 } } }, { match: { title: 'milk' } }] } }],
      [{ boosting: { positive: neural({ query_image: PHOTO, k: 6 }), negative: { match: { title: 'lemon' } }, negative_boost: 0.1 } }, { boosting: { positive: { knn: { image_vector: { vector: visual, k: 6 } } }, negative: { match: { title: 'lemon' } }, negative_boost: 0.1 } }],
      [{ constant_score: { filter: neural({ query_image: PHOTO, k: 6, filter: { term: { 'top_category.keyword': 'Packages' } } }) } }, { constant_score: { filter: { knn: { image_vector: { vector: visual, k: 6, filter: { term: { 'top_category.keyword': 'Packages' } } } } } } }],
    ];
    for (const [query, knnQuery] of cases) {
      const r = await search({ query });
      expect(r.statusCode, JSON.stringify(r.body).slice(0, 300)).toBe(200);
      const direct = await search({ query: knnQuery }, p.engineUrl);
      expect(direct.statusCode, JSON.stringify(direct.body).slice(0, 300)).toBe(200);
      expect(hits(r.body), JSON.stringify(query).slice(0, 80)).toEqual(hits(direct.body));
      expect(r.body.hits.hits.length).toBeGreaterThan(0);
    }
  });

  it('several nested neurals each rewritten; an _msearch item too', async () => {
    const query = { bool: { should: [neural({ query_image: PHOTO, k: 2 }), neural({ query_text: TEXT, k: 2 }, 'image_text_vector'), neural({ query_image: PHOTO, k: 2 })] } };
    const knnQuery = { bool: { should: [{ knn: { image_vector: { vector: visual, k: 2 } } }, { knn: { image_text_vector: { vector: textVector, k: 2 } } }, { knn: { image_vector: { vector: visual, k: 2 } } }] } };
    const r = await search({ query });
    expect(r.statusCode, JSON.stringify(r.body).slice(0, 300)).toBe(200);
    expect(hits(r.body)).toEqual(hits((await search({ query: knnQuery }, p.engineUrl)).body));
    const { body } = (await osClient(p.url).msearch({ body: [{ index: INDEX }, { size: 5, query }, { index: INDEX }, { size: 1, query: { match_all: {} } }] })) as { body: { responses: any[] } };
    expect(body.responses[0].status).toBe(200);
    expect(hits(body.responses[0])).toEqual(hits(r.body).slice(0, 5));
    expect(body.responses[1].hits.hits).toHaveLength(1);
  });

  it('a field the pipeline does not fill, or no photo for the image field, is a 400 naming the path; hybrid is still refused', async () => {
    const cases: Array<[object, string]> = [
      [{ bool: { should: [{ match: { title: 'x' } }, neural({ query_image: PHOTO }, 'title')] } }, 'query.bool.should[1].neural.title'],
      [{ bool: { must: [neural({ query_text: TEXT })] } }, 'query.bool.must[0].neural.image_vector.query_image'],
      [{ bool: { must: [neural({ query_image: PHOTO, k: 0 })] } }, 'query.bool.must[0].neural.image_vector.k'],
      [{ hybrid: { queries: [{ match: { title: 'banana' } }, neural({ query_image: PHOTO, k: 5 })] } }, 'query.hybrid.queries[1].neural'],
    ];
    for (const [query, path] of cases) {
      const r = await search({ query });
      expect(r.statusCode, path).toBe(400);
      expect(r.body.error.type).toBe('illegal_argument_exception');
      expect(r.body.error.reason).toContain(`[${path}]`);
    }
  });

  it('asked to rerank: reranked over the rewritten kNN, the embedding’s time in vlrerank.timings', async () => {
    const r = await search({ query: { bool: { should: [neural({ query_image: PHOTO, k: 6 })] } }, ext: { vlrerank: { pipeline: PIPELINE, query: { text: 'banana' } } } });
    expect(r.statusCode, JSON.stringify(r.body).slice(0, 300)).toBe(200);
    expect(r.body.vlrerank).toMatchObject({ pipeline: PIPELINE });
    expect(typeof r.body.vlrerank.timings.query_vector_ms).toBe('number');
    expect(r.body.vlrerank.timings.total_ms).toBeGreaterThanOrEqual(r.body.vlrerank.timings.query_vector_ms);
  });

  it('admission full and the pipeline fail_closed: the 429, as a rerank it refuses', async () => {
    await whileAdmissionFull(p.reranker.admission, 'held-by-test-neural-nested', async () => {
      const r = await search({ query: { bool: { should: [{ match: { title: 'banana' } }, neural({ query_image: PHOTO, k: 3 })] } } });
      expect(r.statusCode, JSON.stringify(r.body).slice(0, 300)).toBe(429);
      expect(r.body.error.type).toBe('es_rejected_execution_exception');
    });
  });
});

describe.each(ES_VERSIONS)('a neural naming a pipeline inside another query in front of %s', (engine) => {
  const ES_INDEX = 'grocery-it';
  let p: SearchProxy;
  let visual: number[];
  beforeAll(async () => {
    p = await startSearchProxy(engine);
    await ensureGrocery(p, engine, ES_INDEX);
    visual = Array.from(await p.srv.services.embedder.visual(`data:;base64,${PHOTO}`, 'image'));
  });
  afterAll(async () => p?.close());
  const search = (query: object, url = p.url) => clientSearchRaw(engine, url, { index: ES_INDEX, size: 10, _source: ['title'], query });
  const inBool = (q: object) => ({ bool: { must: [q], filter: [{ exists: { field: 'title' } }] } });

  it('is Elasticsearch’s knn query with the photo’s vector: the engine’s hits and scores; a radius is a 400', async () => {
    const r = await search(inBool({ neural: { image_vector: { query_image: PHOTO, model_id: 'grocery', k: 5 } } }));
    expect(r.statusCode, JSON.stringify(r.body).slice(0, 300)).toBe(200);
    const direct = await search(inBool({ knn: { field: 'image_vector', query_vector: visual, k: 5, num_candidates: 100 } }), p.engineUrl);
    expect(direct.statusCode, JSON.stringify(direct.body).slice(0, 300)).toBe(200);
    expect(hits(r.body)).toEqual(hits(direct.body));
    expect(r.body.hits.hits.length).toBe(5);
    const radial = await search(inBool({ neural: { image_vector: { query_image: PHOTO, model_id: 'grocery', min_score: 0.5 } } }));
    expect(radial.statusCode).toBe(400);
    expect(radial.body.error.reason).toContain('[query.bool.must[0].neural.image_vector.min_score]');
  });
});

describe.each(ES_VERSIONS)('a query_vector_builder’s embedding is rerank work: admission and budget (%s)', (engine) => {
  const ES_INDEX = 'grocery-it';
  const CLOSED = 'p33b-grocery-closed';
  let p: SearchProxy;
  beforeAll(async () => {
    const yaml = readFileSync(new URL('../../../pipelines/grocery.yaml', import.meta.url), 'utf8')
      .replace(/^name: grocery$/m, `name: ${CLOSED}`)
      .replace(/^index_patterns: .*$/m, 'index_patterns: [p33b-covers-nothing]')
      .replace(/^failure: fail_open$/m, 'failure: fail_closed');
    p = await startSearchProxy(engine, { pipelinesDir: pipelinesDir({ [`${CLOSED}.yaml`]: yaml }), rerank: { maxConcurrentRequests: 1, admission: { maxQueued: 1, clientShare: 1, maxQueueWaitMs: 300_000 } } });
    await ensureGrocery(p, engine, ES_INDEX);
  });
  afterAll(async () => p?.close());
  const knn = (model_id: string) => ({ field: 'image_text_vector', query_vector_builder: { text_embedding: { model_id, model_text: 'red apple' } }, k: 5, num_candidates: 30 });

  it('admission full: a fail_closed pipeline’s builder is its 429 before any model runs (it was embedded and answered 200)', async () => {
    await whileAdmissionFull(p.reranker.admission, 'held-by-test-builder', async () => {
      const r = await clientSearchRaw(engine, p.url, { index: ES_INDEX, size: 5, knn: knn(CLOSED) });
      expect(r.statusCode, JSON.stringify(r.body).slice(0, 300)).toBe(429);
      expect(r.body.error.type).toBe('es_rejected_execution_exception');
    });
    const after = await clientSearchRaw(engine, p.url, { index: ES_INDEX, size: 5, knn: knn(CLOSED) });
    expect(after.statusCode).toBe(200);
  });

  it('reranked: the builder’s embedding is in vlrerank.timings and the total', async () => {
    const r = await clientSearchRaw(engine, p.url, { index: ES_INDEX, size: 5, knn: knn('grocery'), ext: { vlrerank: { pipeline: 'grocery', query: { text: 'red apple' } } } });
    expect(r.statusCode, JSON.stringify(r.body).slice(0, 300)).toBe(200);
    expect(typeof r.body.vlrerank.timings.query_vector_ms).toBe('number');
    expect(r.body.vlrerank.timings.total_ms).toBeGreaterThanOrEqual(r.body.vlrerank.timings.query_vector_ms);
  });
});
