/**
 * Feature records kept in the index (issue 12 §2–3), on Elasticsearch 8.19 and OpenSearch 2.19:
 * photos, clips and abstracts indexed through the proxy with the official clients get their
 * record (a binary stored field left out of `_source`); after a restart of vlrerank, a reranked
 * search takes every document feature from the index (explanations say `index`; the metrics count
 * no image or video model run), its hits never carry the record unless the client asks for it, the
 * client's `_source` view is what it is without vlrerank, the scores equal on-the-fly scores within
 * 0.02 (the int8 text model's batch noise, PITFALLS.md) and are identical in two processes; an
 * `_update` through the proxy keeps the record of the updated document; a search's query text is
 * embedded once, for its kNN first stage and its rerank alike.
 */
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { documentFromSource } from '../../../src/pipelines/document.js';
import { scoreFusionOf } from '../../../src/search/shape.js';
import { batchCounts } from '../../helpers/metrics.js';
import { DATA } from '../../helpers/paths.js';
import { scifactDocs } from '../../helpers/scifact-docs.js';
import { catalog, clientBulk, clientSearch, ENGINES, freshIndex, groceryDoc, pipelinesDir, startSearchProxy, type SearchProxy } from '../../helpers/search-fixtures.js';

const G = 'grocery-index-records';
const V = 'videos-index-records';
const K = 'kb-index-records';
const FIELD = 'vlrerank_features';
const CLIPS = ['car-detection', 'classroom'];
const MEDIA_MODELS = ['efficientnet-lite2-imagenet', 'nanodet-g-coco'];

const batches = (p: SearchProxy) => batchCounts(p.url);

describe.each(ENGINES)('feature records kept in the index on %s', (engine) => {
  const dir = pipelinesDir();
  let p: SearchProxy | undefined;
  const bulk = (url: string, operations: object[]) => clientBulk(engine, url, operations);
  /** A fresh vlrerank (empty caches, models loaded anew): what a restart gives. */
  const restart = async () => {
    await p?.close();
    p = await startSearchProxy(engine, { pipelinesDir: dir });
    await p.reranker.warm.wait();
    return p;
  };

  beforeAll(async () => {
    const ingest = await restart();
    await freshIndex(ingest, ingest.pipelines.get('grocery')!, G);
    await freshIndex(ingest, ingest.pipelines.get('videos')!, V);
    await freshIndex(ingest, ingest.pipelines.get('knowledge-base')!, K);
    const g = await bulk(ingest.url, [...catalog.slice(0, 5).flatMap((c, i) => [{ index: { _index: G, _id: `p${i}` } }, groceryDoc(c)]), { index: { _index: G, _id: 'gone' } }, { title: 'a product whose photo is gone', image: '/nonexistent/gone.jpg' }]);
    expect(g.errors).toBe(false);
    expect(g.vlrerank).toMatchObject({ documents_with_feature_records: 6 });
    const v = await bulk(ingest.url, CLIPS.flatMap((c, i) => [{ index: { _index: V, _id: c } }, { title: `clip ${i + 1}`, video: join(DATA, 'intel-sample-videos', 'clips', `${c}.mp4`) }]));
    expect(v.vlrerank).toMatchObject({ documents_with_feature_records: 2 });
    const k = await bulk(ingest.url, scifactDocs(6).flatMap((d) => [{ index: { _index: K, _id: d.id } }, { title: d.title, text: d.text }]));
    expect(k.vlrerank).toMatchObject({ documents_with_feature_records: 6 });
  }, 900_000);
  afterAll(async () => {
    for (const i of [G, V, K]) await p?.engine.json('DELETE', `/${i}`);
    await p?.close();
  });

  it('keeps the record as a binary stored field out of _source: GET through the proxy shows what the engine shows, without it', async () => {
    const m = (await p!.engine.json<any>('GET', `/${G}/_mapping`)).body[G].mappings;
    expect(m.properties[FIELD]).toMatchObject({ type: 'binary', store: true });
    expect(m._source.excludes).toContain(FIELD);
    const direct = (await p!.engine.json<any>('GET', `/${G}/_doc/p0`)).body;
    const proxied = await (await fetch(`${p!.url}/${G}/_doc/p0`)).json();
    expect(proxied).toEqual(direct);
    expect(proxied._source[FIELD]).toBeUndefined();
    const stored = (await p!.engine.json<any>('POST', `/${G}/_search`, { stored_fields: [FIELD], query: { ids: { values: ['p0'] } } })).body.hits.hits[0];
    expect(typeof stored.fields[FIELD][0]).toBe('string');
    // each complete record got its signature beside it (backfill's `term` query); the one whose photo is gone did not (retried)
    const signed = (await p!.engine.json<any>('POST', `/${G}/_search`, { size: 10, _source: false, query: { exists: { field: `${FIELD}_key` } } })).body.hits.hits.map((h: any) => h._id);
    expect(signed.sort()).toEqual(['p0', 'p1', 'p2', 'p3', 'p4']);
  });

  it('after a restart, a text search reranks photos from their records: no image model run, features from the index, same scores as on the fly', { timeout: 600_000 }, async () => {
    const s = await restart();
    const before = await batches(s);
    const body = { size: 6, ext: { vlrerank: { query: 'oat milk', window: 6, explain: true } } };
    const r = await clientSearch(engine, s.url, { index: G, body });
    const after = await batches(s);
    expect(r.vlrerank.degraded).toBe(false);
    for (const m of MEDIA_MODELS) expect(after[m] ?? 0).toBe(before[m] ?? 0);
    expect(r.hits.hits.length).toBeGreaterThanOrEqual(5); // the photo that is gone has no vectors for the kNN half
    for (const h of r.hits.hits) {
      expect(h.fields).toBeUndefined();
      expect(h._source[FIELD]).toBeUndefined();
      const f = h._vlrerank.explanation.features;
      expect(f.text).toBe('index');
      // the photo that is gone has a record of its text alone: its image is tried (and fails) as without records
      if (h._id !== 'gone') expect(f.image).toBe('index');
    }
    // the same hits reranked on the fly (media read, models run) give the same scores within the int8 batch noise
    const pipeline = s.pipelines.get('grocery')!;
    const docs = r.hits.hits.map((h: any) => documentFromSource(h._source, pipeline)!);
    const fly = await s.reranker.process({ query: 'oat milk', documents: docs, weights: pipeline.scorer.weights }, { scoreFusion: scoreFusionOf(pipeline) });
    r.hits.hits.forEach((h: any, i: number) => expect(Math.abs(h._vlrerank.rerank_score - fly.scores[i]!)).toBeLessThan(0.02));
    console.log(`${engine}: first search after a restart, rerank stage from records ${r.vlrerank.timings.rerank_ms} ms; the same documents on the fly (media read, image models run) ${fly.timings.total_ms} ms (information only)`);
    // another process, the same records: the very same scores
    const again = await clientSearch(engine, (await restart()).url, { index: G, body });
    expect(again.hits.hits.map((h: any) => [h._id, h._score])).toEqual(r.hits.hits.map((h: any) => [h._id, h._score]));
  });

  it("the client's _source filter and stored_fields behave as without vlrerank; the record shows only when asked for", { timeout: 300_000 }, async () => {
    const q = { ext: { vlrerank: { query: 'oat milk', window: 6 } } };
    const a = await clientSearch(engine, p!.url, { index: G, body: { size: 3, _source: ['title'], ...q } });
    for (const h of a.hits.hits) {
      expect(Object.keys(h._source)).toEqual(['title']);
      expect(h.fields).toBeUndefined();
    }
    const b = await clientSearch(engine, p!.url, { index: G, body: { size: 3, _source: { excludes: ['description', 'image*'] }, ...q } });
    for (const h of b.hits.hits) expect(Object.keys(h._source).sort()).toEqual(['class_id', 'coarse_class_id', 'title', 'top_category']);
    const c = await clientSearch(engine, p!.url, { index: G, body: { size: 2, stored_fields: [FIELD], _source: ['title'], ...q } });
    for (const h of c.hits.hits) expect(typeof h.fields[FIELD][0]).toBe('string');
  });

  it('videos and abstracts rerank from their records after a restart: no video frame or image model run', { timeout: 600_000 }, async () => {
    const s = await restart();
    const before = await batches(s);
    const v = await clientSearch(engine, s.url, { index: V, body: { size: 2, _source: ['title'], ext: { vlrerank: { query: 'cars driving on a road', window: 2, explain: true } } } });
    expect(v.vlrerank.degraded).toBe(false);
    expect(v.hits.hits[0]._id).toBe('car-detection');
    for (const h of v.hits.hits) expect(h._vlrerank.explanation.features).toEqual({ text: 'index', video: 'index' });
    const k = await clientSearch(engine, s.url, { index: K, body: { size: 6, query: { match_all: {} }, ext: { vlrerank: { query: 'vitamin D and bone fractures', explain: true } } } });
    expect(k.vlrerank.degraded).toBe(false);
    for (const h of k.hits.hits) {
      expect(h._vlrerank.explanation.features).toEqual({ text: 'index' });
      expect(h.fields).toBeUndefined();
    }
    const after = await batches(s);
    for (const m of MEDIA_MODELS) expect(after[m] ?? 0).toBe(before[m] ?? 0);
  });

  it('a reranked search with a kNN first stage embeds its query text once (first stage and rerank share it); the same query again not at all', { timeout: 300_000 }, async () => {
    const bge = (b: Record<string, number>) => Object.entries(b).filter(([m]) => /bge/.test(m)).reduce((n, [, c]) => n + c, 0);
    const body = { size: 3, ext: { vlrerank: { query: `sparkling water in a glass bottle ${engine}`, window: 6 } } };
    const b0 = await batches(p!);
    const first = await clientSearch(engine, p!.url, { index: G, body });
    const b1 = await batches(p!);
    const again = await clientSearch(engine, p!.url, { index: G, body });
    const b2 = await batches(p!);
    expect(first.vlrerank.degraded).toBe(false);
    expect(first.vlrerank.timings.query_embedding_ms).toBeGreaterThanOrEqual(0); // the kNN half of the hybrid first stage ran
    expect(bge(b1) - bge(b0)).toBe(1);
    expect(bge(b2) - bge(b1)).toBe(0);
    expect(again.hits.hits.map((h: any) => h._id)).toEqual(first.hits.hits.map((h: any) => h._id));
  });

  it('an _update through the proxy keeps the record of the updated document', { timeout: 300_000 }, async () => {
    const r = await fetch(`${p!.url}/${G}/_update/p1?refresh=true`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ doc: { title: 'Renamed oat drink' } }) });
    expect(r.status).toBe(200);
    const doc = (await p!.engine.json<any>('GET', `/${G}/_doc/p1`)).body._source;
    expect(doc.title).toBe('Renamed oat drink');
    expect(doc.description).toBe(catalog[1]!.description);
    const s = await restart();
    const res = await clientSearch(engine, s.url, { index: G, body: { size: 6, ext: { vlrerank: { query: 'oat drink', window: 6, explain: true } } } });
    const hit = res.hits.hits.find((h: any) => h._id === 'p1');
    expect(hit._vlrerank.explanation.features).toMatchObject({ text: 'index', image: 'index' });
  });
});
