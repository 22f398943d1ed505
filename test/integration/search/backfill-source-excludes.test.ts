/**
 * Held-out probe round 12e: an index whose `_source` leaves a client's field out (`excludes`), on
 * Elasticsearch 8.19 and OpenSearch 2.19. Backfill and the record write-back write partial updates,
 * which rebuild the document from `_source`: the excluded field's indexed values were dropped from
 * every document written (a `term` query on it matched 1 document before the backfill, 0 after).
 * Now both backfills refuse the index up front with a 400 naming the field, the write-back skips it
 * (counted `unsafe`), and the client's field stays searchable.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { backfill } from '../../../src/ingest/backfill.js';
import { backfillRecords } from '../../../src/ingest/backfill-records.js';
import { RecordWriteBack, type WriteBackOutcome } from '../../../src/ingest/write-back.js';
import { setupIndex } from '../../../src/engine/mapping.js';
import { documentFromSource } from '../../../src/pipelines/document.js';
import { RerankerEmbedder } from '../../../src/rerank/embedder.js';
import { REPO_ROOT } from '../../helpers/paths.js';
import { catalog, ENGINES, groceryDoc, pipelinesDir, startSearchProxy, type SearchProxy } from '../../helpers/search-fixtures.js';

const INDEX = 'p12e-excludes';
const SHAPE = 'p12e-excludes-shape';
const NO_SOURCE = 'p12e-excludes-nosource';
const FIELD = 'vlrerank_features';
const KEY = 'vlrerank_features_key';
const PIPELINE =
  readFileSync(join(REPO_ROOT, 'pipelines', 'grocery.yaml'), 'utf8')
    .replace(/^name: grocery$/m, 'name: p12e-excl')
    .replace(/^index_patterns: .*$/m, 'index_patterns: [p12e-excludes*]') + '\nfeatures:\n  write_back: true\n';

describe.each(ENGINES)('backfill and write-back on an index excluding a client field from _source, on %s', (engine) => {
  const dir = pipelinesDir({ 'p12e-excl.yaml': PIPELINE });
  let p: SearchProxy | undefined;
  const pipeline = () => p!.pipelines.get('p12e-excl')!;
  const secretCount = async () => (await p!.engine.json<any>('POST', `/${INDEX}/_count`, { query: { term: { secret: 's1' } } })).body.count;

  beforeAll(async () => {
    p = await startSearchProxy(engine, { pipelinesDir: dir });
    await p.engine.json('DELETE', `/${INDEX}`);
    await p.engine.json('DELETE', `/${SHAPE}`);
    // the mapping `vlrerank index setup` makes, with one more field of the client's left out of _source
    await setupIndex(p.engine, pipeline(), SHAPE);
    const m = Object.values((await p.engine.json<any>('GET', `/${SHAPE}/_mapping`)).body as Record<string, any>)[0].mappings;
    await p.engine.json('DELETE', `/${SHAPE}`);
    const settings = engine === 'opensearch' ? { 'index.knn': true } : {};
    const mappings = { ...m, _source: { excludes: [FIELD, KEY, 'secret'] }, properties: { ...m.properties, secret: { type: 'keyword' } } };
    expect((await p.engine.json('PUT', `/${INDEX}`, { settings, mappings })).statusCode).toBe(200);
    await p.engine.json('DELETE', `/${NO_SOURCE}`);
    expect((await p.engine.json('PUT', `/${NO_SOURCE}`, { settings, mappings: { ...m, _source: { enabled: false } } })).statusCode).toBe(200);
    expect((await p.engine.json('PUT', `/${NO_SOURCE}/_doc/d0?refresh=true`, groceryDoc(catalog[70]!))).statusCode).toBe(201);
    const doc = { ...groceryDoc(catalog[70]!), secret: 's1' };
    expect((await p.engine.json('PUT', `/${INDEX}/_doc/d0?refresh=true`, doc)).statusCode).toBe(201);
    expect(await secretCount()).toBe(1);
  }, 300_000);
  afterAll(async () => {
    await p?.engine.json('DELETE', `/${INDEX}`);
    await p?.engine.json('DELETE', `/${NO_SOURCE}`);
    await p?.close();
  });

  it('the records backfill refuses the index, naming the field; the field stays searchable', { timeout: 600_000 }, async () => {
    const run = backfillRecords(p!.engine, pipeline(), INDEX, new RerankerEmbedder(p!.reranker));
    await expect(run).rejects.toThrow(/leaves \[secret\] out of _source/);
    await expect(run).rejects.toMatchObject({ status: 400 });
    expect(await secretCount()).toBe(1);
  });

  it('the vectors backfill refuses it too', { timeout: 600_000 }, async () => {
    const run = backfill(p!.engine, pipeline(), INDEX, new RerankerEmbedder(p!.reranker));
    await expect(run).rejects.toThrow(/leaves \[secret\] out of _source/);
    expect(await secretCount()).toBe(1);
  });

  it('an index keeping no _source: both backfills refuse it up front, saying so (was the engine’s search error)', { timeout: 600_000 }, async () => {
    const embedder = new RerankerEmbedder(p!.reranker);
    // each started when checked: both started at once, the second's refusal waited unhandled while the first was checked
    for (const start of [() => backfillRecords(p!.engine, pipeline(), NO_SOURCE, embedder), () => backfill(p!.engine, pipeline(), NO_SOURCE, embedder)]) {
      const run = start();
      await expect(run).rejects.toThrow(/keeps no _source/);
      await expect(run).rejects.toMatchObject({ status: 400 });
    }
    expect((await p!.engine.json<any>('GET', `/${NO_SOURCE}/_doc/d0`)).body._version).toBe(1);
  });

  it('the record write-back skips it, counted unsafe', { timeout: 600_000 }, async () => {
    const seen: Array<[WriteBackOutcome, number]> = [];
    const wb = new RecordWriteBack({ engine: p!.engine, embedder: new RerankerEmbedder(p!.reranker), onOutcome: (o, n) => seen.push([o, n]), onError: (e) => seen.push(['failed', String(e).length]) });
    const source = (await p!.engine.json<any>('GET', `/${INDEX}/_doc/d0`)).body._source;
    wb.offer(pipeline(), [{ index: INDEX, id: 'd0', doc: documentFromSource(source, pipeline())!, record: undefined }]);
    await wb.idle();
    expect(seen).toEqual([['unsafe', 1]]);
    await p!.engine.json('POST', `/${INDEX}/_refresh`);
    expect(await secretCount()).toBe(1);
    const got = await p!.engine.json<any>('GET', `/${INDEX}/_doc/d0?stored_fields=${FIELD}`);
    expect(got.body.fields?.[FIELD]).toBeUndefined();
  });
});
