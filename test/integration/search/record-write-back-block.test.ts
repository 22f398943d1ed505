/**
 * Held-out probe round 29d: the record write-back (ingest/write-back.ts) into an index under the
 * flood-stage block (`index.blocks.read_only_allow_delete`, set by hand on the test's own index),
 * on Elasticsearch 8.19 and OpenSearch 2.19. The engine refuses each update with 429
 * `cluster_block_exception`: the write-back counted it `failed` and, offered the same hits by the
 * next search, read the mapping, `_mget` and sent a refused `_bulk` again — each search, into a
 * cluster out of disk. Now it is `refused` like a write block's 403, that index is not offered again
 * for `REFUSED_MS`, and once the block is lifted a write-back writes the records.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RecordWriteBack, type WriteBackOutcome } from '../../../src/ingest/write-back.js';
import { documentFromSource } from '../../../src/pipelines/document.js';
import { RerankerEmbedder } from '../../../src/rerank/embedder.js';
import type { EngineClient } from '../../../src/engine/client.js';
import { REPO_ROOT } from '../../helpers/paths.js';
import { catalog, ENGINES, groceryDoc, pipelinesDir, seededIndex, startSearchProxy, type SearchProxy } from '../../helpers/search-fixtures.js';

const INDEX = 'p29d-wb-block';
const PIPELINE =
  readFileSync(join(REPO_ROOT, 'pipelines', 'grocery.yaml'), 'utf8')
    .replace(/^name: grocery$/m, 'name: p29d-wb')
    .replace(/^index_patterns: .*$/m, 'index_patterns: [p29d-wb-block*]') + '\nfeatures:\n  write_back: true\n';

describe.each(ENGINES)('record write-back under the flood-stage block on %s', (engine) => {
  const dir = pipelinesDir({ 'p29d-wb.yaml': PIPELINE });
  let p: SearchProxy | undefined;
  const pipeline = () => p!.pipelines.get('p29d-wb')!;
  const docs = catalog.slice(30, 33).map(groceryDoc);
  const hits = () => docs.map((d, i) => ({ index: INDEX, id: `d${i}`, doc: documentFromSource(d, pipeline())!, record: undefined }));
  /** The engine as handed to the write-back, counting the requests it sends. */
  const counted = () => {
    const sent: string[] = [];
    const json: EngineClient['json'] = (...a) => (sent.push(`${a[0]} ${a[1]}`), p!.engine.json(...a));
    return { engine: { json } as Pick<EngineClient, 'json'>, sent };
  };
  const replica = (e: Pick<EngineClient, 'json'>) => {
    const seen: Array<[WriteBackOutcome | 'error', number]> = [];
    const wb = new RecordWriteBack({ engine: e, embedder: new RerankerEmbedder(p!.reranker), onOutcome: (o, n) => seen.push([o, n]), onError: (e) => seen.push([String(e) as never, 1]) });
    return { wb, seen };
  };
  const block = (v: true | null) => p!.engine.json('PUT', `/${INDEX}/_settings`, { 'index.blocks.read_only_allow_delete': v });
  const recorded = async () => (await p!.engine.json<any>('POST', `/${INDEX}/_count`, { query: { exists: { field: 'vlrerank_features_key' } } })).body.count;

  beforeAll(async () => {
    p = await startSearchProxy(engine, { pipelinesDir: dir });
    expect(await seededIndex(p, pipeline(), INDEX, docs)).toBe(false);
  }, 300_000);
  afterAll(async () => {
    await block(null);
    await p?.engine.json('DELETE', `/${INDEX}`);
    await p?.close();
  });

  it('refused, not tried again at the next search; written once the block is lifted', { timeout: 600_000 }, async () => {
    expect((await block(true)).statusCode).toBe(200);
    const c = counted();
    const a = replica(c.engine);
    a.wb.offer(pipeline(), hits());
    await a.wb.idle();
    expect(a.seen).toEqual([['refused', 3]]);
    const sentBefore = c.sent.length;
    expect(c.sent.some((s) => /_bulk/.test(s))).toBe(true);
    a.wb.offer(pipeline(), hits());
    await a.wb.idle();
    expect(a.seen).toEqual([['refused', 3], ['refused', 3]]);
    expect(c.sent.length).toBe(sentBefore);
    expect(await recorded()).toBe(0);

    expect((await block(null)).statusCode).toBe(200);
    const b = replica(p!.engine);
    b.wb.offer(pipeline(), hits());
    await b.wb.idle();
    expect(b.seen).toEqual([['written', 3]]);
    await p!.engine.json('POST', `/${INDEX}/_refresh`);
    expect(await recorded()).toBe(3);
  });
});
