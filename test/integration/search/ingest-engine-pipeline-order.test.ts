/**
 * A `_bulk` whose items run through the engine's own ingest pipelines (per-item `pipeline`), beside
 * vlrerank's vectors and records. OpenSearch answers items a pipeline failed, dropped or could not
 * find out of place among themselves (`[drop, fail, ok, missing, ok]` → `[fail, missing, ok, drop,
 * ok]` for some index names, deterministically; elastic/elasticsearch#101921 was the same bug): vlrerank
 * merged its notes and counts by position, so a photo's "vectors not added" was said on another
 * document's item, and a document the engine's `drop` processor never stored was counted as stored
 * with vectors and a record (held-out probe round 22c). Real OpenSearch 3.6 (the thin 2.19 and
 * Elasticsearch builds have no ingest processors), real models and grocery photos.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { setupIndex } from '../../../src/engine/mapping.js';
import { catalog, groceryDoc, pipelinesDir, startSearchProxy, type SearchProxy } from '../../helpers/search-fixtures.js';

const PREFIX = 'p22c-order-';
const PIPELINE = `name: p22c-order
index_patterns: [${PREFIX}*]
fields:
  text: [title, description]
  image: [image]
vectors:
  ingest: true
  image: { field: image_vector, dims: 1280 }
  bridge: { field: image_text_vector, dims: 384 }
features: { store: index }
`;
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
    // the engine's order depends on the index name: the first of these it answers out of order
    for (const name of candidates) {
      await p.engine.json('DELETE', `/${name}`);
      await setupIndex(p.engine, p.pipelines.get('p22c-order')!, name);
      const direct = await bulk(p.engineUrl, [
        { index: { _index: name, _id: 'd1', pipeline: 'p22c-order-drop' } }, { a: 1 },
        { index: { _index: name, _id: 'd2', pipeline: 'p22c-order-fail' } }, { a: 1 },
        { index: { _index: name, _id: 'd3' } }, { a: 1 },
        { index: { _index: name, _id: 'd4', pipeline: 'p22c-order-missing' } }, { a: 1 },
        { index: { _index: name, _id: 'd5' } }, { a: 1 },
      ]);
      if (ids(direct).join() !== 'd1,d2,d3,d4,d5') {
        index = name;
        break;
      }
    }
  });
  afterAll(async () => {
    for (const name of candidates) await p?.engine.json('DELETE', `/${name}`);
    for (const n of ['drop', 'fail']) await p?.engine.json('DELETE', `/_ingest/pipeline/p22c-order-${n}`);
    await p?.close();
  });

  it('says each item\'s note on that item, and counts only the documents the engine stored', async () => {
    expect(index, 'the engine answered every candidate index in request order: nothing to check').toBeDefined();
    const photo = (c: number) => groceryDoc(catalog[c]!);
    const body = await bulk(p.url, [
      { index: { _index: index, _id: 'dropped', pipeline: 'p22c-order-drop' } }, photo(45),
      { index: { _index: index, _id: 'failed-gone', pipeline: 'p22c-order-fail' } }, { title: 'oat drink', image: '/nonexistent/gone.jpg' },
      { index: { _index: index, _id: 'stored-1' } }, photo(46),
      { index: { _index: index, _id: 'unknown-pipeline', pipeline: 'p22c-order-missing' } }, photo(47),
      { index: { _index: index, _id: 'stored-2' } }, photo(48),
    ]);
    expect(ids(body)).not.toEqual(['dropped', 'failed-gone', 'stored-1', 'unknown-pipeline', 'stored-2']); // the engine's order, kept
    const byId = new Map(body.items.map((it) => [Object.values(it)[0]!._id, Object.values(it)[0]!]));
    expect(byId.get('dropped')).toMatchObject({ status: 200, result: 'noop' });
    expect(byId.get('failed-gone')!.status).toBe(500);
    expect(byId.get('failed-gone')!.vlrerank?.error?.reason).toContain('gone.jpg');
    for (const id of ['dropped', 'stored-1', 'unknown-pipeline', 'stored-2']) expect(byId.get(id), id).not.toHaveProperty('vlrerank');
    // stored: stored-1 and stored-2 (vectors and records); failed-gone and unknown-pipeline refused, dropped dropped
    expect(body.vlrerank).toEqual({ documents_with_vectors: 2, documents_without_vectors: 1, documents_with_feature_records: 2 });
    const held = await p.engine.json<any>('POST', `/${index}/_search`, { size: 10, _source: ['image_vector'], query: { ids: { values: ['dropped', 'failed-gone', 'stored-1', 'unknown-pipeline', 'stored-2'] } } });
    expect(held.body.hits.hits.map((h: any) => h._id).sort()).toEqual(['stored-1', 'stored-2']);
  });
});
