/**
 * Vectors at ingest: `_bulk` (through the official client), `_doc`, `_create` and `_update` into
 * an index whose pipeline ingests get the visual (1280-d) and bridge (384-d) vectors of their image
 * field; a document whose media cannot be read is indexed without them and reported in its bulk
 * item, never dropped; an index without a pipeline is untouched. `index setup` maps the vectors
 * for each engine (dense_vector / knn_vector on lucene).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { setupIndex } from '../../../src/engine/mapping.js';
import { RerankerEmbedder } from '../../../src/rerank/embedder.js';
import { catalog, clientBulk, ENGINES, groceryDoc, startSearchProxy, type SearchProxy } from '../../helpers/search-fixtures.js';
import { cosine } from '../../helpers/models.js';

const INDEX = 'grocery-ingest-it';
const PLAIN = 'plain-ingest-it';

describe.each(ENGINES)('vectors added at ingest on %s', (engine) => {
  let p: SearchProxy;
  const get = async (index: string, id: string) => (await p.engine.json<any>('GET', `/${index}/_doc/${id}`)).body._source;
  beforeAll(async () => {
    p = await startSearchProxy(engine);
    for (const i of [INDEX, PLAIN]) await p.engine.json('DELETE', `/${i}`);
    const r = await setupIndex(p.engine, p.pipelines.get('grocery')!, INDEX);
    expect(r.action).toBe('created');
  });
  afterAll(async () => {
    for (const i of [INDEX, PLAIN]) await p?.engine.json('DELETE', `/${i}`);
    await p?.close();
  });

  it('maps the vector fields for the engine behind', async () => {
    const m = (await p.engine.json<any>('GET', `/${INDEX}/_mapping`)).body[INDEX].mappings.properties;
    if (engine === 'elasticsearch') expect(m.image_vector).toMatchObject({ type: 'dense_vector', dims: 1280, similarity: 'cosine' });
    else expect(m.image_vector).toMatchObject({ type: 'knn_vector', dimension: 1280, method: { name: 'hnsw', engine: 'lucene', space_type: 'cosinesimil' } });
  });

  it('_bulk: vectors for every readable image, the unreadable one reported and still indexed', async () => {
    const docs = catalog.slice(0, 3).map(groceryDoc);
    const operations = [
      ...docs.flatMap((d, i) => [{ index: { _index: INDEX, _id: `p${i}` } }, d]),
      { create: { _index: INDEX, _id: 'unreadable' } },
      { title: 'a product whose photo is gone', image: '/nonexistent/gone.jpg' },
      { index: { _index: INDEX, _id: 'no-image' } },
      { title: 'no photo at all' },
      { delete: { _index: INDEX, _id: 'never-there' } },
    ];
    const bulk = await clientBulk(engine, p.url, operations);
    expect(bulk.items).toHaveLength(6);
    expect(bulk.items[3].create.status).toBe(201);
    expect(bulk.items[3].create.vlrerank).toMatchObject({ vectors: false, error: { reason: expect.stringContaining('vectors not added') } });
    for (const i of [0, 1, 2, 4]) expect(Object.values(bulk.items[i])[0]).not.toHaveProperty('vlrerank');
    expect(bulk.vlrerank).toEqual({ documents_with_vectors: 3, documents_without_vectors: 1, documents_with_feature_records: 5 });

    const p0 = await get(INDEX, 'p0');
    expect(p0.image_vector).toHaveLength(1280);
    expect(p0.image_text_vector).toHaveLength(384);
    expect(p0.title).toBe(docs[0]!.title);
    // the stored vector is the query-time embedding of the same photo
    const v = await new RerankerEmbedder(p.reranker).visual(docs[0]!.image as string, 'image');
    expect(cosine(p0.image_vector, v)).toBeGreaterThan(0.9999);
    const gone = await get(INDEX, 'unreadable');
    expect(gone.title).toBe('a product whose photo is gone');
    expect(gone.image_vector).toBeUndefined();
    expect((await get(INDEX, 'no-image')).image_vector).toBeUndefined();
  });

  it('_doc, _create and _update get vectors too', async () => {
    const d = groceryDoc(catalog[10]!);
    let r = await fetch(`${p.url}/${INDEX}/_doc/single?refresh=true`, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: JSON.stringify(d) });
    expect(r.status).toBe(201);
    expect((await get(INDEX, 'single')).image_vector).toHaveLength(1280);
    r = await fetch(`${p.url}/${INDEX}/_create/created?refresh=true`, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: JSON.stringify(groceryDoc(catalog[11]!)) });
    expect(r.status).toBe(201);
    expect((await get(INDEX, 'created')).image_text_vector).toHaveLength(384);
    r = await fetch(`${p.url}/${INDEX}/_update/no-image?refresh=true`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ doc: { image: groceryDoc(catalog[12]!).image } }) });
    expect(r.status).toBe(200);
    const upd = await get(INDEX, 'no-image');
    expect(upd.title).toBe('no photo at all');
    expect(upd.image_vector).toHaveLength(1280);
  });

  it('leaves indices without an ingest pipeline untouched', async () => {
    const nd = `{"index":{"_id":"1"}}\n{"title":"x","image":"${groceryDoc(catalog[0]!).image}"}\n`;
    const r = await fetch(`${p.url}/${PLAIN}/_bulk?refresh=true`, { method: 'POST', headers: { 'content-type': 'application/x-ndjson' }, body: nd });
    const body = await r.json();
    expect(body.errors).toBe(false);
    expect(body.vlrerank).toBeUndefined();
    expect(await get(PLAIN, '1')).toEqual({ title: 'x', image: groceryDoc(catalog[0]!).image });
  });
});
