/**
 * `script_fields` beside a rerank: the engine leaves `_source` out of hits when a search names
 * script fields and does not ask for `_source` (as for `stored_fields`); a reranked search returned
 * the whole `_source` — the fields the pipeline reads, the photo path and both vectors — to a client
 * that asked for its script fields alone (held-out probe round 29a). The pipeline's fields are still
 * read for scoring: the order and scores are those of the same search without script fields.
 * OpenSearch 2.19 (the thin Elasticsearch builds have no painless: their own 400, passed through
 * unchanged), the official client, the grocery catalog, real models.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { clientSearch, ensureGrocery, startSearchProxy, type SearchProxy } from '../../helpers/search-fixtures.js';

const INDEX = 'grocery-it';
const ENGINE = 'opensearch' as const;

describe('script_fields beside a rerank (opensearch 2.19)', () => {
  let p: SearchProxy;
  beforeAll(async () => {
    p = await startSearchProxy(ENGINE);
    await ensureGrocery(p, ENGINE, INDEX);
  });
  afterAll(async () => p?.close());

  const query = { multi_match: { query: 'green apple', fields: ['title^2', 'description'] } };
  const search = (url: string, body: Record<string, unknown>) => clientSearch(ENGINE, url, { index: INDEX, body: { size: 5, query, ...body } });
  const rerank = { ext: { vlrerank: { query: { text: 'green apple' } } } };
  const scriptFields = { script_fields: { twice: { script: { source: "doc['class_id'].value * 2" } } } };

  it('without _source asked: no _source, as the engine answers; the same order and scores as without script fields', async () => {
    const direct = await search(p.engineUrl, scriptFields);
    expect(direct.hits.hits[0]._source).toBeUndefined();
    const r = await search(p.url, { ...scriptFields, ...rerank });
    const plain = await search(p.url, rerank);
    expect(r.vlrerank.degraded).toBe(false);
    for (const h of r.hits.hits) {
      expect(Object.keys(h).sort()).toEqual(['_id', '_index', '_score', 'fields']);
      expect(h.fields.twice).toEqual([Number(h._id) * 2]);
    }
    expect(r.hits.hits.map((h: any) => [h._id, h._score])).toEqual(plain.hits.hits.map((h: any) => [h._id, h._score]));
  });

  it('with _source asked, the view asked; an empty script_fields leaves _source in', async () => {
    const r = await search(p.url, { ...scriptFields, _source: ['title'], ...rerank });
    for (const h of r.hits.hits) expect(Object.keys(h._source)).toEqual(['title']);
    const empty = await search(p.url, { script_fields: {}, ...rerank });
    const direct = await search(p.engineUrl, { script_fields: {} });
    expect(Object.keys(empty.hits.hits[0]._source).sort()).toEqual(Object.keys(direct.hits.hits[0]._source).sort());
  });
});
