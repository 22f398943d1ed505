/**
 * Held-out probe round 12e: the record write-back (ingest/write-back.ts) racing with another
 * replica's write-back of the same hit and with a client's writes, on Elasticsearch 8.19 and
 * OpenSearch 2.19. Deterministic through the engine the write-back is handed: a fault fake that
 * holds its `_bulk` (after the `_mget` that read `_seq_no`) until the other side has landed.
 * - two replicas write back the same hit at once: one is `written`, the other a `conflict`, the
 *   record written once (version 2, never 3), no error;
 * - a client's `_update` between the read and the write: a `conflict`, the client's fields kept;
 * - a client's delete between them: the document stays deleted, counted as a `conflict` (it was
 *   counted `failed`, as if the engine had refused the write).
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

const INDEX = 'p12e-wb-races';
const FIELD = 'vlrerank_features';
const PIPELINE =
  readFileSync(join(REPO_ROOT, 'pipelines', 'grocery.yaml'), 'utf8')
    .replace(/^name: grocery$/m, 'name: p12e-wb')
    .replace(/^index_patterns: .*$/m, 'index_patterns: [p12e-wb-races*]') + '\nfeatures:\n  write_back: true\n';

/** Fault fake: an engine whose `_bulk` waits until `release()`; `reached` resolves when one is held. */
function holdsBulkUntilReleased(engine: EngineClient) {
  let release!: () => void;
  let reachedNow!: () => void;
  const gate = new Promise<void>((r) => (release = r));
  const reached = new Promise<void>((r) => (reachedNow = r));
  const json: EngineClient['json'] = async (...a) => {
    if (/\/_bulk(\?|$)/.test(a[1])) {
      reachedNow();
      await gate;
    }
    return engine.json(...a);
  };
  return { engine: { json } as Pick<EngineClient, 'json'>, release, reached };
}

describe.each(ENGINES)('record write-back races on %s', (engine) => {
  const dir = pipelinesDir({ 'p12e-wb.yaml': PIPELINE });
  let p: SearchProxy | undefined;
  const pipeline = () => p!.pipelines.get('p12e-wb')!;
  const docs = catalog.slice(20, 23).map(groceryDoc);
  const hit = (id: string, i: number) => ({ index: INDEX, id, doc: documentFromSource(docs[i]!, pipeline())!, record: undefined });
  const replica = (e: Pick<EngineClient, 'json'>) => {
    const seen: Array<[WriteBackOutcome | 'error', number]> = [];
    const wb = new RecordWriteBack({ engine: e, embedder: new RerankerEmbedder(p!.reranker), onOutcome: (o, n) => seen.push([o, n]), onError: (e) => seen.push([String(e) as never, 1]) });
    return { wb, seen };
  };
  const get = (id: string) => p!.engine.json<any>('GET', `/${INDEX}/_doc/${id}?stored_fields=${FIELD}&_source=true`);

  beforeAll(async () => {
    p = await startSearchProxy(engine, { pipelinesDir: dir });
    expect(await seededIndex(p, pipeline(), INDEX, docs)).toBe(false);
  }, 300_000);
  afterAll(async () => {
    await p?.engine.json('DELETE', `/${INDEX}`);
    await p?.close();
  });

  it('two replicas writing back the same hit: one written, one conflict, the record written once', { timeout: 600_000 }, async () => {
    const held = holdsBulkUntilReleased(p!.engine);
    const a = replica(held.engine);
    const b = replica(p!.engine);
    a.wb.offer(pipeline(), [hit('d0', 0)]);
    await Promise.race([held.reached, a.wb.idle()]);
    expect(a.seen).toEqual([]);
    b.wb.offer(pipeline(), [hit('d0', 0)]);
    await b.wb.idle();
    held.release();
    await a.wb.idle();
    expect(b.seen).toEqual([['written', 1]]);
    expect(a.seen).toEqual([['conflict', 1]]);
    const d0 = await get('d0');
    expect(d0.body._version).toBe(2);
    expect(d0.body.fields?.[FIELD]).toBeDefined();
  });

  it('a client’s update between read and write: conflict, the client’s fields kept', { timeout: 600_000 }, async () => {
    const held = holdsBulkUntilReleased(p!.engine);
    const a = replica(held.engine);
    a.wb.offer(pipeline(), [hit('d1', 1)]);
    await Promise.race([held.reached, a.wb.idle()]);
    expect(a.seen).toEqual([]);
    expect((await p!.engine.json('POST', `/${INDEX}/_update/d1?refresh=true`, { doc: { class_id: 4242 } })).statusCode).toBe(200);
    held.release();
    await a.wb.idle();
    expect(a.seen).toEqual([['conflict', 1]]);
    expect((await get('d1')).body._source.class_id).toBe(4242);
  });

  it('a client’s delete between read and write: stays deleted, counted as a conflict', { timeout: 600_000 }, async () => {
    const held = holdsBulkUntilReleased(p!.engine);
    const a = replica(held.engine);
    a.wb.offer(pipeline(), [hit('d2', 2)]);
    await Promise.race([held.reached, a.wb.idle()]);
    expect(a.seen).toEqual([]);
    expect((await p!.engine.json('DELETE', `/${INDEX}/_doc/d2?refresh=true`)).statusCode).toBe(200);
    held.release();
    await a.wb.idle();
    expect(a.seen).toEqual([['conflict', 1]]);
    expect((await get('d2')).statusCode).toBe(404);
  });
});
