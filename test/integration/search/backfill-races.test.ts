/**
 * Held-out probe round 12e: a client's write racing with `vlrerank index backfill` (records) on
 * Elasticsearch 8.19 and OpenSearch 2.19. The race is made deterministic with the hook the code
 * already has: the embedder backfill is handed. Its first `records()` call — after backfill read
 * the page, before it writes — first lands the client's writes on the engine: an `_update`, a
 * whole-document overwrite, a delete, an `_update` of a routed document. After the run, what the
 * engine holds is the client's: its fields (never the old source plus a record), a deleted document
 * stays deleted, the routed documents on an index of 3 shards get their record (none written to
 * another shard), and the run ends without an error (the losers are counted as conflicts).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { backfillRecords } from '../../../src/ingest/backfill-records.js';
import { RerankerEmbedder } from '../../../src/rerank/embedder.js';
import { REPO_ROOT } from '../../helpers/paths.js';
import { catalog, ENGINES, groceryDoc, pipelinesDir, seedThreeShards, startSearchProxy, type SearchProxy } from '../../helpers/search-fixtures.js';

const INDEX = 'p12e-backfill-races';
const TEMPLATE = 'p12e-three-shards';
const FIELD = 'vlrerank_features';
const KEY = 'vlrerank_features_key';
const PIPELINE = readFileSync(join(REPO_ROOT, 'pipelines', 'grocery.yaml'), 'utf8').replace(/^name: grocery$/m, 'name: p12e-races').replace(/^index_patterns: .*$/m, 'index_patterns: [p12e-backfill-races*]');

describe.each(ENGINES)('a client writing while backfill computes, on %s', (engine) => {
  const dir = pipelinesDir({ 'p12e-races.yaml': PIPELINE });
  let p: SearchProxy | undefined;
  const pipeline = () => p!.pipelines.get('p12e-races')!;
  const docs = catalog.slice(50, 56).map(groceryDoc);
  /** Routing values that put a document on another shard than its id alone would. */
  const routing: Record<string, string> = {};

  beforeAll(async () => {
    p = await startSearchProxy(engine, { pipelinesDir: dir });
    Object.assign(routing, await seedThreeShards(p.engine, pipeline(), INDEX, TEMPLATE, docs, ['d3', 'd4']));
  }, 300_000);
  afterAll(async () => {
    await p?.engine.json('DELETE', `/${INDEX}`);
    await p?.engine.json('DELETE', `/_index_template/${TEMPLATE}`);
    await p?.close();
  });

  it('the client’s writes win, a deleted document stays deleted, routed documents get their record', { timeout: 900_000 }, async () => {
    const real = new RerankerEmbedder(p!.reranker);
    let raced = false;
    const clientWrites = async () => {
      const e = p!.engine;
      expect((await e.json('POST', `/${INDEX}/_update/d0?refresh=true`, { doc: { title: 'client update d0' } })).statusCode).toBe(200);
      expect((await e.json('PUT', `/${INDEX}/_doc/d1?refresh=true`, { title: 'client overwrite d1', class_id: 999 })).statusCode).toBe(200);
      expect((await e.json('DELETE', `/${INDEX}/_doc/d2?refresh=true`)).statusCode).toBe(200);
      expect((await e.json('POST', `/${INDEX}/_update/d3?routing=${routing.d3}&refresh=true`, { doc: { title: 'client update d3' } })).statusCode).toBe(200);
    };
    // the hook: backfill has read the page and computes its records; the client writes first
    const embedder = {
      recordSignature: real.recordSignature.bind(real),
      recordCovers: real.recordCovers.bind(real),
      mediaVectors: real.mediaVectors.bind(real),
      records: async (...a: Parameters<RerankerEmbedder['records']>) => {
        if (!raced) {
          raced = true;
          await clientWrites();
        }
        return real.records(...a);
      },
    };
    const run = await backfillRecords(p!.engine, pipeline(), INDEX, embedder, { batch: 10 });
    expect(raced).toBe(true);
    expect(run).toMatchObject({ total: 6, done: 6, conflicts: 4, failed: 0 });
    expect(run.recorded).toBe(2);

    const get = (id: string) => p!.engine.json<any>('GET', `/${INDEX}/_doc/${id}?stored_fields=${FIELD},${KEY}&_source=true${routing[id] ? `&routing=${routing[id]}` : ''}`);
    expect((await get('d0')).body._source.title).toBe('client update d0');
    expect((await get('d1')).body._source).toEqual({ title: 'client overwrite d1', class_id: 999 });
    expect((await get('d2')).statusCode).toBe(404);
    const d3 = await get('d3');
    expect(d3.body._source.title).toBe('client update d3');
    const d4 = await get('d4');
    expect(d4.body.fields?.[FIELD]).toBeDefined();
    expect(d4.body._source).toMatchObject(docs[4]!);
    expect(d4.body._source.image_vector).toHaveLength(1280);
    const all = await p!.engine.json<any>('POST', `/${INDEX}/_search`, { size: 20, query: { match_all: {} } });
    expect(all.body.hits.hits.map((h: any) => h._id).sort()).toEqual(['d0', 'd1', 'd3', 'd4', 'd5']);

    // the next run records the client's versions of the documents it lost to, and nothing else
    const again = await backfillRecords(p!.engine, pipeline(), INDEX, real, { batch: 10 });
    expect(again).toMatchObject({ total: 3, recorded: 3, conflicts: 0, failed: 0 });
    expect((await get('d0')).body._source.title).toBe('client update d0');
    expect((await get('d3')).body.fields?.[FIELD]).toBeDefined();
    const d1 = (await get('d1')).body._source;
    expect(d1).toMatchObject({ title: 'client overwrite d1', class_id: 999 });
    expect(d1).not.toHaveProperty('image');
    expect(d1).not.toHaveProperty('description');
  });
});
