/**
 * Held-out probe round 12e: a client's write racing with the vectors-only backfill
 * (ingest/backfill.ts: pipelines keeping no records in the index, indices without the record
 * field), on Elasticsearch 8.19 and OpenSearch 2.19, an index of 3 shards. Made deterministic with
 * the embedder backfill is handed: its first `mediaVectors()` call — after backfill read the page,
 * before it writes — lands the client's writes first: `d0` overwritten with another product's photo,
 * `d1` deleted. Afterwards `d0` holds the vectors of its new photo (not the old photo's written
 * into the new document), `d1` stays deleted, the run ends without an error, and `d2`, written with
 * a routing to another shard than its id's, gets its vectors. A document the client changes on
 * every attempt is left after 3 conflicts (read again each time, it would loop as long as the
 * client writes).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { backfill } from '../../../src/ingest/backfill.js';
import { RerankerEmbedder } from '../../../src/rerank/embedder.js';
import { REPO_ROOT } from '../../helpers/paths.js';
import { catalog, ENGINES, groceryDoc, pipelinesDir, seedThreeShards, startSearchProxy, type SearchProxy } from '../../helpers/search-fixtures.js';

const INDEX = 'p12e-vectors-races';
const TEMPLATE = 'p12e-vectors-three-shards';
const PIPELINE = readFileSync(join(REPO_ROOT, 'pipelines', 'grocery.yaml'), 'utf8').replace(/^name: grocery$/m, 'name: p12e-vraces').replace(/^index_patterns: .*$/m, 'index_patterns: [p12e-vectors-races*]');

describe.each(ENGINES)('a client writing while the vectors backfill computes, on %s', (engine) => {
  const dir = pipelinesDir({ 'p12e-vraces.yaml': PIPELINE });
  let p: SearchProxy | undefined;
  const pipeline = () => p!.pipelines.get('p12e-vraces')!;
  const docs = catalog.slice(60, 64).map(groceryDoc);
  let routing = '';

  beforeAll(async () => {
    p = await startSearchProxy(engine, { pipelinesDir: dir });
    // d2 routed to another shard than its id alone would put it on
    routing = (await seedThreeShards(p.engine, pipeline(), INDEX, TEMPLATE, docs, ['d2'])).d2!;
  }, 300_000);
  afterAll(async () => {
    await p?.engine.json('DELETE', `/${INDEX}`);
    await p?.engine.json('DELETE', `/_index_template/${TEMPLATE}`);
    await p?.close();
  });

  it('the client’s photo gets its own vectors, a deleted document stays deleted, a routed one gets its vectors', { timeout: 900_000 }, async () => {
    const real = new RerankerEmbedder(p!.reranker);
    let raced = false;
    const embedder = {
      mediaVectors: async (...a: Parameters<RerankerEmbedder['mediaVectors']>) => {
        if (!raced) {
          raced = true;
          // d0 becomes another product (d3's photo), d1 is deleted
          expect((await p!.engine.json('PUT', `/${INDEX}/_doc/d0?refresh=true`, { ...docs[3], title: 'client overwrite d0' })).statusCode).toBe(200);
          expect((await p!.engine.json('DELETE', `/${INDEX}/_doc/d1?refresh=true`)).statusCode).toBe(200);
        }
        return real.mediaVectors(...a);
      },
    };
    const run = await backfill(p!.engine, pipeline(), INDEX, embedder, { batch: 10 });
    expect(raced).toBe(true);
    expect(run.failed).toBe(0);

    const get = (id: string, r?: string) => p!.engine.json<any>('GET', `/${INDEX}/_doc/${id}${r ? `?routing=${r}` : ''}`);
    expect((await get('d1')).statusCode).toBe(404);
    const d0 = (await get('d0')).body._source;
    const d3 = (await get('d3')).body._source;
    expect(d0.title).toBe('client overwrite d0');
    expect(d0.image).toBe(docs[3]!.image);
    expect(d3.image_vector).toHaveLength(1280);
    // the vectors of its photo now, not of the photo it had when backfill read it
    const close = (a: number[], b: number[]) => a.every((x, i) => Math.abs(x - b[i]!) < 1e-4);
    expect(close(d0.image_vector, d3.image_vector)).toBe(true);
    expect(close(d0.image_text_vector, d3.image_text_vector)).toBe(true);
    const d2 = await get('d2', routing);
    expect(d2.body._source.image_vector).toHaveLength(1280);
    const all = await p!.engine.json<any>('POST', `/${INDEX}/_search`, { size: 20, query: { match_all: {} } });
    expect(all.body.hits.hits.map((h: any) => h._id).sort()).toEqual(['d0', 'd2', 'd3']);
  });

  it('a document the client changes on every attempt is left after 3 conflicts (no endless re-read)', { timeout: 120_000 }, async () => {
    const real = new RerankerEmbedder(p!.reranker);
    const busy = groceryDoc(catalog[64]!);
    expect((await p!.engine.json('PUT', `/${INDEX}/_doc/busy?refresh=true`, busy)).statusCode).toBe(201);
    let n = 0;
    const embedder = {
      mediaVectors: async (...a: Parameters<RerankerEmbedder['mediaVectors']>) => {
        if (a[0] === busy.image) await p!.engine.json('POST', `/${INDEX}/_update/busy?refresh=true`, { doc: { class_id: ++n } });
        return real.mediaVectors(...a);
      },
    };
    const run = await backfill(p!.engine, pipeline(), INDEX, embedder, { batch: 10 });
    expect(run.conflicts).toBe(3);
    expect(n).toBe(3);
    expect((await p!.engine.json<any>('GET', `/${INDEX}/_doc/busy`)).body._source).toEqual({ ...busy, class_id: 3 });
  });
});
