/**
 * Photos whose index keeps the pipeline's fields (title, description, image path) out of `_source`,
 * written through the proxy (each with its feature record, a stored field): a text search and a
 * search by photo are reranked from the records alone — no model run for the documents (text and
 * image features from the `index`), the very scores of the same products in an index that shows
 * its fields (its records read with their content checked). Real models, the grocery pipeline,
 * Elasticsearch 8.19 and OpenSearch 2.19, the official clients.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pipelineProperties } from '../../../src/engine/mapping.js';
import { catalog, clientBulk, clientSearch, ENGINES, groceryDoc, groceryQueries, isElasticsearch, startSearchProxy, type SearchProxy } from '../../helpers/search-fixtures.js';

const FIELD = 'vlrerank_features';
const HIDDEN = 'grocery-r9-hidden';
const SHOWN = 'grocery-r9-shown';
const products = catalog.slice(0, 8);

describe.each(ENGINES)('photos with their fields out of _source on %s', (engine) => {
  let p: SearchProxy;
  beforeAll(async () => {
    p = await startSearchProxy(engine);
    const pipeline = p.pipelines.get('grocery')!;
    const properties = pipelineProperties(pipeline, isElasticsearch(engine) ? 'elasticsearch' : 'opensearch');
    const settings = isElasticsearch(engine) ? {} : { 'index.knn': true };
    for (const [index, excludes] of [[HIDDEN, ['title', 'description', 'image', FIELD, `${FIELD}_key`]], [SHOWN, [FIELD, `${FIELD}_key`]]] as const) {
      await p.engine.json('DELETE', `/${index}`);
      const r = await p.engine.json('PUT', `/${index}`, { settings, mappings: { _source: { excludes }, properties } });
      expect(r.statusCode).toBe(200);
      const bulk = await clientBulk(engine, p.url, products.flatMap((c) => [{ index: { _index: index, _id: String(c.class_id) } }, groceryDoc(c)]));
      expect(bulk.errors).toBe(false);
      expect(bulk.vlrerank).toMatchObject({ documents_with_feature_records: products.length });
    }
  }, 600_000);
  afterAll(async () => {
    for (const i of [HIDDEN, SHOWN]) await p?.engine.json('DELETE', `/${i}`);
    await p?.close();
  });

  const both = async (body: Record<string, unknown>) => {
    const shown = await clientSearch(engine, p.url, { index: SHOWN, body });
    const hidden = await clientSearch(engine, p.url, { index: HIDDEN, body });
    expect(shown.vlrerank.degraded).toBe(false);
    expect(hidden.vlrerank.degraded).toBe(false);
    expect(hidden.vlrerank.unscored).toBeUndefined();
    expect(hidden.hits.hits.map((h: any) => h._id)).toEqual(shown.hits.hits.map((h: any) => h._id));
    hidden.hits.hits.forEach((h: any, i: number) => {
      expect(h._source?.title).toBeUndefined();
      expect(h._vlrerank.explanation.features).toEqual({ text: 'index', image: 'index' });
      expect(h._vlrerank.rerank_score).toBeCloseTo(shown.hits.hits[i]._vlrerank.rerank_score, 6);
    });
    return hidden;
  };

  it('a text search: reranked from the records, the scores of the index that shows its fields', { timeout: 300_000 }, async () => {
    const r = await both({ size: 8, query: { match_all: {} }, ext: { vlrerank: { query: 'fresh fruit juice', explain: true } } });
    expect(r.hits.hits).toHaveLength(8);
  });

  it('a search by photo: the same', { timeout: 300_000 }, async () => {
    const q = groceryQueries(5).find((x) => products.some((c) => c.class_id === x.classId))!;
    const r = await both({ size: 8, query: { match_all: {} }, ext: { vlrerank: { query: { image: q.image }, explain: true } } });
    expect(r.hits.hits).toHaveLength(8);
  });
});
