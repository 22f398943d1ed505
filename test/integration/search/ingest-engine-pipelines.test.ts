/**
 * Writes that name the engine's own ingest pipelines (`?pipeline=` on `_doc` and `_bulk`, an action's
 * `pipeline`), beside vlrerank's vectors and records (held-out probe round 22c):
 * - the vectors and the record describe the document **as the pipeline stores it**: a pipeline that
 *   sets the photo from another field stored the kNN vectors of the photo sent beside the photo
 *   stored (a search by the stored photo could not find it), one that removes the photo kept the
 *   removed photo's vectors; every record of such a document was rejected at search ("made from
 *   another image") and recomputed;
 * - a `_bulk`'s notes and counts are each item's: OpenSearch answers items a pipeline failed, dropped or could not
 * find out of place among themselves (`[drop, fail, ok, missing, ok]` → `[fail, missing, ok, drop,
 * ok]` for some index names, deterministically; elastic/elasticsearch#101921 was the same bug): vlrerank
 * merged its notes and counts by position, so a photo's "vectors not added" was said on another
 * document's item, and a document the engine's `drop` processor never stored was counted as stored
 * with vectors and a record (held-out probe round 22c). Real OpenSearch 3.6 (the thin 2.19 and
 * Elasticsearch builds have no ingest processors), real models and grocery photos.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { setupIndex } from '../../../src/engine/mapping.js';
import { RerankerEmbedder } from '../../../src/rerank/embedder.js';
import { cosine } from '../../helpers/models.js';
import { catalog, groceryDoc, photoIngestPipeline, pipelinesDir, startSearchProxy, type SearchProxy } from '../../helpers/search-fixtures.js';

const PREFIX = 'p22c-order-';
const PIPELINE = photoIngestPipeline('p22c-order', `${PREFIX}*`);
const ndjson = (lines: unknown[]) => lines.map((l) => JSON.stringify(l)).join('\n') + '\n';
type Item = { _id?: string; status: number; result?: string; vlrerank?: { vectors?: boolean; error?: { reason?: string } } };

describe('a _bulk through the engine\'s ingest pipelines (opensearch3)', () => {
  let p: SearchProxy;
  let index: string | undefined;
  const candidates = Array.from({ length: 12 }, (_, i) => `${PREFIX}${i}`);
  const bulk = async (url: string, lines: unknown[]) => {
    const r = await fetch(`${url}/_bulk?refresh=true`, { method: 'POST', headers: { 'content-type': 'application/x-ndjson' }, body: ndjson(lines) });
    expect(r.status).toBe(200);
    return (await r.json()) as { items: Array<Record<string, Item>>; vlrerank?: Record<string, number> };
  };
  const ids = (b: { items: Array<Record<string, Item>> }) => b.items.map((it) => Object.values(it)[0]!._id);

  beforeAll(async () => {
    p = await startSearchProxy('opensearch3', { pipelinesDir: pipelinesDir({ 'p22c-order.yaml': PIPELINE }) });
    await p.engine.json('PUT', '/_ingest/pipeline/p22c-order-drop', { processors: [{ drop: {} }] });
    await p.engine.json('PUT', '/_ingest/pipeline/p22c-order-fail', { processors: [{ fail: { message: 'refused by the team\'s pipeline' } }] });
    await p.engine.json('DELETE', '/_ingest/pipeline/p22c-order-missing');
    await p.engine.json('PUT', '/_ingest/pipeline/p22c-order-photo', { processors: [{ set: { field: 'image', value: '{{shelf_photo}}' } }, { remove: { field: 'shelf_photo' } }] });
    await p.engine.json('PUT', '/_ingest/pipeline/p22c-order-nophoto', { processors: [{ remove: { field: 'image' } }] });
    // the engine's order depends on the index names: the first set it answers out of order — `-drop`
    // and `-fail` drop and fail every document by their `default_pipeline` (simulated since fix23p)
    for (const name of candidates) {
      for (const i of [name, `${name}-drop`, `${name}-fail`]) {
        await p.engine.json('DELETE', `/${i}`);
        await setupIndex(p.engine, p.pipelines.get('p22c-order')!, i);
      }
      await p.engine.json('PUT', `/${name}-drop/_settings`, { index: { default_pipeline: 'p22c-order-drop' } });
      await p.engine.json('PUT', `/${name}-fail/_settings`, { index: { default_pipeline: 'p22c-order-fail' } });
      const direct = await bulk(p.engineUrl, [
        { index: { _index: `${name}-drop`, _id: 'd1' } }, { a: 1 },
        { index: { _index: `${name}-fail`, _id: 'd2' } }, { a: 1 },
        { index: { _index: name, _id: 'd3' } }, { a: 1 },
        { index: { _index: name, _id: 'd4', pipeline: 'p22c-order-missing' } }, { a: 1 },
        { index: { _index: name, _id: 'd5' } }, { a: 1 },
      ]);
      const order = ids(direct);
      if (order[0] !== 'd1' && order[1] !== 'd2') {
        index = name;
        break;
      }
    }
  });
  afterAll(async () => {
    for (const name of candidates) await p?.engine.json('DELETE', `/${name},${name}-drop,${name}-fail`);
    for (const n of ['drop', 'fail', 'photo', 'nophoto']) await p?.engine.json('DELETE', `/_ingest/pipeline/p22c-order-${n}`);
    await p?.close();
  });

  it('says each item\'s note on that item, and counts only the documents the engine stored', async () => {
    expect(index, 'the engine answered every candidate index in request order: nothing to check').toBeDefined();
    const photo = (c: number) => groceryDoc(catalog[c]!);
    const body = await bulk(p.url, [
      { index: { _index: `${index}-drop`, _id: 'dropped' } }, photo(45),
      { index: { _index: `${index}-fail`, _id: 'failed-gone' } }, { title: 'oat drink', image: '/nonexistent/gone.jpg' },
      { index: { _index: index, _id: 'stored-1' } }, photo(46),
      { index: { _index: index, _id: 'unknown-pipeline', pipeline: 'p22c-order-missing' } }, photo(47),
      { index: { _index: index, _id: 'stored-2' } }, photo(48),
    ]);
    expect(ids(body)).not.toEqual(['dropped', 'failed-gone', 'stored-1', 'unknown-pipeline', 'stored-2']); // the engine's order, kept
    const byId = new Map(body.items.map((it) => [Object.values(it)[0]!._id, Object.values(it)[0]!]));
    expect(byId.get('dropped')).toMatchObject({ status: 200, result: 'noop' });
    expect(byId.get('failed-gone')!.status).toBe(500);
    // failed by its index's default pipeline: nothing computed, the engine's item as directly (fix23p;
    // before, the missing photo of a document the engine never stored was said on it)
    for (const id of ['dropped', 'failed-gone', 'stored-1', 'unknown-pipeline', 'stored-2']) expect(byId.get(id), id).not.toHaveProperty('vlrerank');
    // stored: stored-1 and stored-2 (vectors and records); failed-gone and unknown-pipeline refused, dropped dropped
    expect(body.vlrerank).toEqual({ documents_with_vectors: 2, documents_without_vectors: 0, documents_with_feature_records: 2 });
    const held = await p.engine.json<any>('POST', `/${index},${index}-drop,${index}-fail/_search`, { size: 10, _source: ['image_vector'], query: { ids: { values: ['dropped', 'failed-gone', 'stored-1', 'unknown-pipeline', 'stored-2'] } } });
    expect(held.body.hits.hits.map((h: any) => h._id).sort()).toEqual(['stored-1', 'stored-2']);
  });

  it('computes the vectors and the record of the document the named pipeline stores', async () => {
    expect(index).toBeDefined();
    const sent = groceryDoc(catalog[45]!); // an oat drink
    const shelf = groceryDoc(catalog[51]!).image as string; // a soy drink's photo, which the pipeline stores instead
    const put = async (path: string, body: unknown) => {
      const r = await fetch(`${p.url}${path}`, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
      expect(r.status, await r.clone().text()).toBeLessThan(300);
      return (await r.json()) as Record<string, unknown>;
    };
    const doc1 = await put(`/${index}/_doc/set-photo?pipeline=p22c-order-photo&refresh=true`, { ...sent, shelf_photo: shelf });
    expect(doc1).not.toHaveProperty('vlrerank');
    await put(`/${index}/_doc/no-photo?pipeline=p22c-order-nophoto&refresh=true`, sent);
    const b = await bulk(p.url, [
      { index: { _index: index, _id: 'bulk-item', pipeline: 'p22c-order-photo' } }, { ...sent, shelf_photo: shelf },
      { index: { _index: index, _id: 'bulk-none', pipeline: '_none' } }, sent,
    ]);
    expect(b.vlrerank).toMatchObject({ documents_with_vectors: 2 });
    const r = await fetch(`${p.url}/_bulk?pipeline=p22c-order-photo&refresh=true`, { method: 'POST', headers: { 'content-type': 'application/x-ndjson' }, body: ndjson([{ index: { _index: index, _id: 'bulk-url' } }, { ...sent, shelf_photo: shelf }]) });
    expect(r.status).toBe(200);
    const embedder = new RerankerEmbedder(p.reranker);
    const stored = await embedder.visual(shelf, 'image');
    const asSent = await embedder.visual(sent.image as string, 'image');
    const get = async (id: string) => (await p.engine.json<any>('GET', `/${index}/_doc/${id}?stored_fields=vlrerank_features&_source=true`)).body;
    for (const id of ['set-photo', 'bulk-item', 'bulk-url']) {
      const d = await get(id);
      expect(d._source.image, id).toBe(shelf);
      expect(cosine(d._source.image_vector, stored), id).toBeGreaterThan(0.9999);
      expect(d.fields?.vlrerank_features, id).toBeDefined();
    }
    expect(cosine((await get('bulk-none'))._source.image_vector, asSent)).toBeGreaterThan(0.9999); // `_none`: as sent
    const gone = await get('no-photo');
    expect(gone._source.image).toBeUndefined();
    expect(gone._source.image_vector).toBeUndefined();
    // the records are the stored documents': used at search, none rejected
    const s = await fetch(`${p.url}/${index}/_search`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ size: 10, query: { ids: { values: ['set-photo', 'bulk-item', 'bulk-url'] } }, ext: { vlrerank: { query: { text: 'soy drink' }, explain: true } } }) });
    const hits = ((await s.json()) as any).hits.hits;
    expect(hits).toHaveLength(3);
    for (const h of hits) {
      expect(h._vlrerank.explanation.records, h._id).toBeUndefined();
      expect(h._vlrerank.explanation.features, h._id).toEqual({ text: 'index', image: 'index' });
    }
    // a search by the stored photo finds them first
    const byPhoto = await fetch(`${p.url}/${index}/_search`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ size: 3, _source: false, knn: undefined, query: { bool: { filter: { ids: { values: ['set-photo', 'bulk-item', 'bulk-url', 'bulk-none', 'stored-1', 'stored-2'] } } } }, ext: { vlrerank: { query: { image: shelf } } } }) });
    expect(byPhoto.status).toBe(200);
    expect(((await byPhoto.json()) as any).hits.hits.map((h: any) => h._id).sort()).toEqual(['bulk-item', 'bulk-url', 'set-photo']);
  });
});
