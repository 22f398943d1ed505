/**
 * Write-back of feature records for routed documents (held-out probe round 4 left it): on an index
 * of several shards, a document indexed with a custom routing lives on the routing's shard, so
 * reading it again (`_mget`) or updating it (`_bulk` update) without that routing misses it. The
 * search hands each hit's `_routing` to the write-back, which reads and writes with it: every routed
 * hit gets its record. Before, each was counted `changed` (not found) and kept no record.
 * Real Elasticsearch 8.19 (3 shards, the mapping `index setup` makes) and real models.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { recordShape } from '../../../src/ingest/records.js';
import { createShardedIndex, routingOffShard } from '../../helpers/sharded-index.js';
import { REPO_ROOT } from '../../helpers/paths.js';
import { catalog, clientSearch, groceryDoc, pipelinesDir, startSearchProxy, type SearchProxy } from '../../helpers/search-fixtures.js';

const INDEX = 'backfill-wbr-grocery';
const KEY = 'vlrerank_features_key';
const N = 4;
const engine = 'elasticsearch' as const;
const PIPELINE =
  readFileSync(join(REPO_ROOT, 'pipelines', 'grocery.yaml'), 'utf8')
    .replace(/^name: grocery$/m, 'name: backfill-wbr')
    .replace(/^index_patterns: .*$/m, 'index_patterns: [backfill-wbr-*]')
    .replace(/^budget_ms: \d+$/m, 'budget_ms: 300000') + '\nfeatures:\n  write_back: true\n';

describe('feature records written back for routed documents (Elasticsearch 8.19, 3 shards)', () => {
  const dir = pipelinesDir({ 'backfill-wbr.yaml': PIPELINE });
  let p: SearchProxy;
  const docs = catalog.slice(50, 50 + N).map(groceryDoc);
  const routings: string[] = [];


  beforeAll(async () => {
    p = await startSearchProxy(engine, { pipelinesDir: dir });
    await createShardedIndex(p.engine, p.pipelines.get('backfill-wbr')!, INDEX);
    // straight to the engine, each routed off its id's shard: no records, no vectors
    for (let i = 0; i < N; i++) routings.push(await routingOffShard(p.engine, INDEX, `r${i}`));
    const nd = docs.flatMap((d, i) => [JSON.stringify({ index: { _id: `r${i}`, routing: routings[i] } }), JSON.stringify(d)]).join('\n') + '\n';
    expect((await p.engine.json<any>('POST', `/${INDEX}/_bulk?refresh=true`, nd, { 'content-type': 'application/x-ndjson' })).body.errors).toBe(false);
  }, 300_000);
  afterAll(async () => {
    await p?.engine.json('DELETE', `/${INDEX}`);
    await p?.close();
  });

  it('a reranked search writes each routed hit its record, read and written with its routing', { timeout: 600_000 }, async () => {
    await p.reranker.warm.wait();
    const versions = async () => Object.fromEntries((await p.engine.json<any>('POST', `/${INDEX}/_search`, { size: 100, version: true, query: { match_all: {} } })).body.hits.hits.map((h: any) => [h._id, h._version as number]));
    const before = await versions();
    const r = await clientSearch(engine, p.url, { index: INDEX, body: { size: N, query: { match_all: {} }, ext: { vlrerank: { query: 'fruit juice', window: N } } } });
    expect(r.vlrerank.degraded).toBe(false);
    expect(r.hits.hits.map((h: any) => h._routing).sort()).toEqual([...routings].sort());
    await p.srv.services.writeBack!.idle();
    const text = await (await fetch(`${p.url}/_vlrerank/metrics`)).text();
    const outcomes = Object.fromEntries([...text.matchAll(/^vlrerank_record_write_back_total\{outcome="([^"]+)"\} (\d+)/gm)].map((m) => [m[1], Number(m[2])]));
    expect(outcomes).toMatchObject({ written: N });
    expect(outcomes.changed ?? 0).toBe(0);
    await p.engine.json('POST', `/${INDEX}/_refresh`);
    const signature = await p.srv.services.embedder.recordSignature(recordShape(p.pipelines.get('backfill-wbr')!));
    const stored = await p.engine.json<any>('POST', `/${INDEX}/_search`, { size: 100, version: true, docvalue_fields: [KEY], query: { match_all: {} } });
    expect(stored.body.hits.hits).toHaveLength(N);
    for (const h of stored.body.hits.hits) {
      expect(h.fields?.[KEY]?.[0], h._id).toBe(signature);
      expect(h._version, h._id).toBe(before[h._id] + 1); // the record's update, once
    }
  });
});
