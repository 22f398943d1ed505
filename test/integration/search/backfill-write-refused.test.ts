/**
 * Backfill writes a page while the next one is computed (ingest/backfill-records.ts): a write the
 * engine refuses must still fail the run, with the engine's reason, and leave every document as it
 * was. Played by Elasticsearch itself: an index with a write block refuses every bulk item.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { backfillRecords } from '../../../src/ingest/backfill-records.js';
import { setupIndex } from '../../../src/engine/mapping.js';
import { RerankerEmbedder } from '../../../src/rerank/embedder.js';
import { REPO_ROOT } from '../../helpers/paths.js';
import { catalog, groceryDoc, pipelinesDir, startSearchProxy, type SearchProxy } from '../../helpers/search-fixtures.js';

const INDEX = 'backfill-write-refused';
const PIPELINE = readFileSync(join(REPO_ROOT, 'pipelines', 'grocery.yaml'), 'utf8').replace(/^name: grocery$/m, 'name: backfill-refused').replace(/^index_patterns: .*$/m, 'index_patterns: [backfill-write-refused*]');

describe('backfill of feature records whose writes the engine refuses', () => {
  const dir = pipelinesDir({ 'backfill-refused.yaml': PIPELINE });
  let p: SearchProxy | undefined;
  const pipeline = () => p!.pipelines.get('backfill-refused')!;

  beforeAll(async () => {
    p = await startSearchProxy('elasticsearch', { pipelinesDir: dir });
    await p.engine.json('DELETE', `/${INDEX}`);
    await setupIndex(p.engine, pipeline(), INDEX);
    const nd = catalog.slice(40, 46).flatMap((c, i) => [JSON.stringify({ index: { _id: `d${i}` } }), JSON.stringify(groceryDoc(c))]).join('\n') + '\n';
    const r = await p.engine.json<any>('POST', `/${INDEX}/_bulk?refresh=true`, nd, { 'content-type': 'application/x-ndjson' });
    expect(r.body.errors).toBe(false);
    expect((await p.engine.json('PUT', `/${INDEX}/_settings`, { 'index.blocks.write': true })).statusCode).toBe(200);
  }, 300_000);
  afterAll(async () => {
    await p?.engine.json('PUT', `/${INDEX}/_settings`, { 'index.blocks.write': false });
    await p?.engine.json('DELETE', `/${INDEX}`);
    await p?.close();
  });

  it('fails the run with the engine’s reason; no document changes', { timeout: 600_000 }, async () => {
    const run = backfillRecords(p!.engine, pipeline(), INDEX, new RerankerEmbedder(p!.reranker), { batch: 2, concurrency: 2 });
    await expect(run).rejects.toThrow(/writing feature records into \[backfill-write-refused\] failed: .*cluster_block_exception/);
    const r = await p!.engine.json<any>('POST', `/${INDEX}/_search`, { size: 10, version: true, query: { match_all: {} } });
    expect(r.body.hits.hits.map((h: any) => h._version)).toEqual(new Array(6).fill(1));
  });
});
