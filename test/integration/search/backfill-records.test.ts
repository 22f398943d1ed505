/**
 * `vlrerank index backfill` writing feature records (issue 12 §3), on Elasticsearch 8.19 and
 * OpenSearch 2.19: documents written straight to the engine (no records) get their record, its
 * signature and their vectors; a run aborted half-way and then resumed writes every document
 * exactly once (each document's `_version` goes 1 → 2, never 3); a record written under another
 * configuration (another signature) is recomputed; the client's `_source` is what it was; a
 * fresh vlrerank reranks from the backfilled records with no image model run; and an index made
 * before the signature field existed is read whole, each record checked, the current ones kept.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { backfillRecords, type RecordsBackfillProgress } from '../../../src/ingest/backfill-records.js';
import { pipelineProperties, setupIndex } from '../../../src/engine/mapping.js';
import { packRecord, unpackRecord, type FeatureRecord } from '../../../src/features/record/index.js';
import { RerankerEmbedder } from '../../../src/rerank/embedder.js';
import { recordShape } from '../../../src/ingest/records.js';
import { batchCounts } from '../../helpers/metrics.js';
import { REPO_ROOT } from '../../helpers/paths.js';
import { catalog, clientSearch, ENGINES, freshIndex, groceryDoc, pipelinesDir, startSearchProxy, type SearchProxy } from '../../helpers/search-fixtures.js';

const INDEX = 'backfill-grocery-records';
const FIELD = 'vlrerank_features';
const KEY = 'vlrerank_features_key';
const N = 8;
const MEDIA_MODELS = ['efficientnet-lite2-imagenet', 'nanodet-g-coco'];
const PIPELINE = readFileSync(join(REPO_ROOT, 'pipelines', 'grocery.yaml'), 'utf8').replace(/^name: grocery$/m, 'name: backfill-grocery').replace(/^index_patterns: .*$/m, 'index_patterns: [backfill-grocery*]').replace(/^budget_ms: \d+$/m, 'budget_ms: 300000');

const batches = (p: SearchProxy) => batchCounts(p.url);

describe.each(ENGINES)('backfill of feature records on %s', (engine) => {
  const dir = pipelinesDir({ 'backfill-grocery.yaml': PIPELINE });
  let p: SearchProxy | undefined;
  const docs = catalog.slice(30, 30 + N).map(groceryDoc);
  const pipeline = () => p!.pipelines.get('backfill-grocery')!;
  /** Every document as the engine keeps it: version, `_source`, stored record and signature. */
  const stored = async () => {
    const r = await p!.engine.json<any>('POST', `/${INDEX}/_search`, { size: 100, version: true, stored_fields: [FIELD], _source: true, docvalue_fields: [KEY], query: { match_all: {} }, sort: [{ class_id: 'asc' }] });
    expect(r.statusCode).toBe(200);
    return r.body.hits.hits.map((h: any) => ({ id: h._id as string, version: h._version as number, source: h._source, record: unpackRecord(h.fields?.[FIELD]) as FeatureRecord | undefined, key: h.fields?.[KEY]?.[0] as string | undefined }));
  };

  beforeAll(async () => {
    p = await startSearchProxy(engine, { pipelinesDir: dir });
    const setup = await freshIndex(p, pipeline(), INDEX);
    expect((setup.mapping as any).mappings._source.excludes).toEqual([FIELD, KEY]);
    // written straight to the engine, as an index that existed before vlrerank: no vectors, no records
    const nd = docs.flatMap((d, i) => [JSON.stringify({ index: { _id: `d${i}` } }), JSON.stringify(d)]).join('\n') + '\n';
    const r = await p.engine.json<any>('POST', `/${INDEX}/_bulk?refresh=true`, nd, { 'content-type': 'application/x-ndjson' });
    expect(r.body.errors).toBe(false);
  }, 300_000);
  afterAll(async () => {
    await p?.engine.json('DELETE', `/${INDEX}`);
    await p?.close();
  });

  it('a run aborted half-way, then resumed, writes every document exactly once; _source is untouched', { timeout: 900_000 }, async () => {
    const before = await stored();
    expect(before.map((d: any) => d.version)).toEqual(new Array(N).fill(1));
    const embedder = new RerankerEmbedder(p!.reranker);
    const stop = new AbortController();
    const first = await backfillRecords(p!.engine, pipeline(), INDEX, embedder, {
      batch: 3,
      concurrency: 2,
      signal: stop.signal,
      onProgress: (x) => {
        if (x.done > 0) stop.abort();
      },
    });
    expect(first.total).toBe(N);
    expect(first.stopped).toBe(true);
    expect(first.recorded).toBeGreaterThan(0);
    expect(first.recorded).toBeLessThan(N);
    const half = await stored();
    expect(half.filter((d: any) => d.version === 2).length).toBe(first.recorded);

    const seen: RecordsBackfillProgress[] = [];
    const rest = await backfillRecords(p!.engine, pipeline(), INDEX, embedder, { batch: 3, onProgress: (x) => seen.push({ ...x }) });
    expect(rest).toMatchObject({ total: N - first.recorded, done: N - first.recorded, recorded: N - first.recorded, failed: 0, conflicts: 0 });
    expect(rest.stopped).toBeUndefined();
    expect(seen.length).toBeGreaterThan(1);

    const after = await stored();
    const signature = await embedder.recordSignature(recordShape(pipeline()));
    const keys = await p!.reranker.recordKeys();
    for (const [i, d] of after.entries()) {
      expect(d.version).toBe(2); // written once: never twice, never skipped
      expect(d.key).toBe(signature);
      expect(d.record?.text?.k).toBe(keys.text);
      expect(d.record?.image?.k).toBe(keys.image);
      // the client's _source: the same fields and values, plus the pipeline's vectors only
      const { image_vector, image_text_vector, ...rest } = d.source;
      expect(rest).toEqual(before[i].source);
      expect(image_vector).toHaveLength(1280);
      expect(image_text_vector).toHaveLength(384);
      expect(d.source[FIELD]).toBeUndefined();
      expect(d.source[KEY]).toBeUndefined();
    }
    // nothing left: a third run finds nothing to do
    expect(await backfillRecords(p!.engine, pipeline(), INDEX, embedder)).toMatchObject({ total: 0, done: 0 });
  });

  it('a fresh vlrerank reranks from the backfilled records: features from the index, no image model run', { timeout: 600_000 }, async () => {
    await p!.close();
    p = await startSearchProxy(engine, { pipelinesDir: dir });
    await p.reranker.warm.wait();
    const before = await batches(p);
    const r = await clientSearch(engine, p.url, { index: INDEX, body: { size: N, ext: { vlrerank: { query: 'juice', window: N, explain: true } } } });
    const after = await batches(p);
    expect(r.vlrerank.degraded).toBe(false);
    expect(r.hits.hits.length).toBe(N);
    for (const m of MEDIA_MODELS) expect(after[m] ?? 0).toBe(before[m] ?? 0);
    for (const h of r.hits.hits) {
      expect(h._vlrerank.explanation.features).toMatchObject({ text: 'index', image: 'index' });
      expect(h._source[FIELD]).toBeUndefined();
      expect(h._source[KEY]).toBeUndefined();
      expect(h.fields).toBeUndefined();
    }
  });

  it('a record written under another configuration is recomputed; records written through the proxy are not', { timeout: 600_000 }, async () => {
    const keys = await p!.reranker.recordKeys();
    const old = (await stored()).find((d: any) => d.id === 'd2')!;
    const foreign: FeatureRecord = { ...old.record!, text: { ...old.record!.text!, k: 'another-text-model' } };
    const w = await p!.engine.json<any>('POST', `/${INDEX}/_update/d2?refresh=true`, { doc: { [FIELD]: packRecord(foreign), [KEY]: 'another-configuration' } });
    expect(w.statusCode).toBe(200);
    // a new product through the proxy: record and signature added at ingest
    const ingest = await fetch(`${p!.url}/${INDEX}/_doc/new?refresh=true`, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: JSON.stringify(groceryDoc(catalog[50]!)) });
    expect(ingest.status).toBe(201);
    const r = await backfillRecords(p!.engine, pipeline(), INDEX, new RerankerEmbedder(p!.reranker));
    expect(r).toMatchObject({ total: 1, recorded: 1 });
    const now = (await stored()).find((d: any) => d.id === 'd2')!;
    expect(now.record?.text?.k).toBe(keys.text);
    expect(now.version).toBe(old.version + 2);
    expect((await stored()).find((d: any) => d.id === 'new')!.version).toBe(1);
  });

  it('an index without the signature field: every record is read and checked, current ones are kept, no signature is added', { timeout: 600_000 }, async () => {
    const OLD = `${INDEX}-unsigned`;
    await p!.engine.json('DELETE', `/${OLD}`);
    // as an older "vlrerank index setup" made it: the record out of _source, no signature field
    const { [KEY]: _key, ...properties } = pipelineProperties(pipeline(), (await p!.engine.info()).distribution);
    const settings = engine === 'opensearch' ? { 'index.knn': true } : {};
    expect((await p!.engine.json('PUT', `/${OLD}`, { settings, mappings: { _source: { excludes: [FIELD] }, properties } })).statusCode).toBe(200);
    const nd = docs.slice(0, 4).flatMap((d, i) => [JSON.stringify({ index: { _id: `o${i}` } }), JSON.stringify(d)]).join('\n') + '\n';
    expect((await p!.engine.json<any>('POST', `/${OLD}/_bulk?refresh=true`, nd, { 'content-type': 'application/x-ndjson' })).body.errors).toBe(false);
    try {
      const embedder = new RerankerEmbedder(p!.reranker);
      const first = await backfillRecords(p!.engine, pipeline(), OLD, embedder, { batch: 3 });
      expect(first).toMatchObject({ total: 4, recorded: 4, current: 0 });
      const again = await backfillRecords(p!.engine, pipeline(), OLD, embedder, { batch: 3 });
      expect(again).toMatchObject({ total: 4, recorded: 0, current: 4 });
      const m = (await p!.engine.json<any>('GET', `/${OLD}/_mapping`)).body[OLD].mappings;
      expect(m.properties[KEY]).toBeUndefined();
      const hit = (await p!.engine.json<any>('POST', `/${OLD}/_search`, { version: true, query: { ids: { values: ['o0'] } } })).body.hits.hits[0];
      expect(hit._version).toBe(2);
      expect(hit._source[KEY]).toBeUndefined();
      expect(hit._source[FIELD]).toBeUndefined();
    } finally {
      await p!.engine.json('DELETE', `/${OLD}`);
    }
  });
});
