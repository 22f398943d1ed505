/**
 * Write-back of feature records (issue 12 §2, `features.write_back: true`), on Elasticsearch 8.19
 * and OpenSearch 2.19: a reranked search over documents without records computes their features,
 * answers, and then writes their records (with their signature) to the index in the background —
 * once per document, the client's `_source` untouched — so a fresh vlrerank reranks them from the
 * index with no image model run; a document changed since the search read it is never overwritten.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { setupIndex } from '../../../src/engine/mapping.js';
import { documentFromSource } from '../../../src/pipelines/document.js';
import { recordShape } from '../../../src/ingest/records.js';
import { REPO_ROOT } from '../../helpers/paths.js';
import { catalog, clientSearch, ENGINES, groceryDoc, pipelinesDir, startSearchProxy, type SearchProxy } from '../../helpers/search-fixtures.js';

const INDEX = 'backfill-wb-grocery';
const KEY = 'vlrerank_features_key';
const N = 5;
const MEDIA_MODELS = ['efficientnet-lite2-imagenet', 'nanodet-g-coco'];
const PIPELINE =
  readFileSync(join(REPO_ROOT, 'pipelines', 'grocery.yaml'), 'utf8')
    .replace(/^name: grocery$/m, 'name: backfill-wb')
    .replace(/^index_patterns: .*$/m, 'index_patterns: [backfill-wb-*]')
    .replace(/^budget_ms: \d+$/m, 'budget_ms: 300000') + '\nfeatures:\n  write_back: true\n';

async function metric(p: SearchProxy, re: RegExp): Promise<Record<string, number>> {
  const text = await (await fetch(`${p.url}/_vlrerank/metrics`)).text();
  const out: Record<string, number> = {};
  for (const m of text.matchAll(re)) out[m[1]!] = Number(m[2]);
  return out;
}
const batches = (p: SearchProxy) => metric(p, /^vlrerank_batch_size_count\{model="([^"]+)"\} (\d+)/gm);
const writeBacks = (p: SearchProxy) => metric(p, /^vlrerank_record_write_back_total\{outcome="([^"]+)"\} (\d+)/gm);

describe.each(ENGINES)('feature records written back by reranked searches on %s', (engine) => {
  const dir = pipelinesDir({ 'backfill-wb.yaml': PIPELINE });
  let p: SearchProxy | undefined;
  const docs = catalog.slice(40, 40 + N).map(groceryDoc);
  const body = { size: N, query: { match_all: {} }, ext: { vlrerank: { query: 'fruit juice', window: N, explain: true } } };
  const versions = async () => {
    await p!.engine.json('POST', `/${INDEX}/_refresh`); // write-back does not refresh (the engine's own interval does)
    const r = await p!.engine.json<any>('POST', `/${INDEX}/_search`, { size: 100, version: true, docvalue_fields: [KEY], query: { match_all: {} } });
    return Object.fromEntries(r.body.hits.hits.map((h: any) => [h._id, { version: h._version as number, key: h.fields?.[KEY]?.[0] as string | undefined, source: h._source }]));
  };

  beforeAll(async () => {
    p = await startSearchProxy(engine, { pipelinesDir: dir });
    await p.engine.json('DELETE', `/${INDEX}`);
    await setupIndex(p.engine, p.pipelines.get('backfill-wb')!, INDEX);
    // straight to the engine: no records, no vectors
    const nd = docs.flatMap((d, i) => [JSON.stringify({ index: { _id: `w${i}` } }), JSON.stringify(d)]).join('\n') + '\n';
    expect((await p.engine.json<any>('POST', `/${INDEX}/_bulk?refresh=true`, nd, { 'content-type': 'application/x-ndjson' })).body.errors).toBe(false);
  }, 300_000);
  afterAll(async () => {
    await p?.engine.json('DELETE', `/${INDEX}`);
    await p?.close();
  });

  it('a search that computed features writes the records back once; a fresh vlrerank then reads them from the index', { timeout: 600_000 }, async () => {
    await p!.reranker.warm.wait();
    const before = await versions();
    const r = await clientSearch(engine, p!.url, { index: INDEX, body });
    expect(r.vlrerank.degraded).toBe(false);
    expect(r.hits.hits.length).toBe(N);
    for (const h of r.hits.hits) expect(h._vlrerank.explanation.features.image).not.toBe('index');
    await p!.srv.services.writeBack!.idle();
    expect(await writeBacks(p!)).toMatchObject({ written: N });
    const signature = await p!.srv.services.embedder.recordSignature(recordShape(p!.pipelines.get('backfill-wb')!));
    const after = await versions();
    for (const [id, d] of Object.entries(after) as Array<[string, any]>) {
      expect(d.version).toBe(2);
      expect(d.key).toBe(signature);
      expect(d.source).toEqual(before[id].source);
    }
    // the same search again: every record is usable now, nothing more is written
    await clientSearch(engine, p!.url, { index: INDEX, body });
    await p!.srv.services.writeBack!.idle();
    expect((await writeBacks(p!)).written).toBe(N);
    expect(Object.values(await versions()).map((d: any) => d.version)).toEqual(new Array(N).fill(2));

    await p!.close();
    p = await startSearchProxy(engine, { pipelinesDir: dir });
    await p.reranker.warm.wait();
    const b0 = await batches(p);
    const again = await clientSearch(engine, p.url, { index: INDEX, body });
    const b1 = await batches(p);
    for (const m of MEDIA_MODELS) expect(b1[m] ?? 0).toBe(b0[m] ?? 0);
    for (const h of again.hits.hits) expect(h._vlrerank.explanation.features).toMatchObject({ text: 'index', image: 'index' });
  });

  it('never overwrites a document changed since the search read it', { timeout: 300_000 }, async () => {
    const pipeline = p!.pipelines.get('backfill-wb')!;
    const seen = (await versions()).w1;
    // the search read w1 as it was; then someone renamed it straight in the engine (which also drops its record)
    const u = await p!.engine.json<any>('POST', `/${INDEX}/_update/w1?refresh=true`, { doc: { title: 'Renamed meanwhile' } });
    expect(u.statusCode).toBe(200);
    const c0 = (await writeBacks(p!)).changed ?? 0;
    p!.srv.services.writeBack!.offer(pipeline, [{ index: INDEX, id: 'w1', doc: documentFromSource(seen.source, pipeline)!, record: undefined }]);
    await p!.srv.services.writeBack!.idle();
    expect((await writeBacks(p!)).changed).toBe(c0 + 1);
    const now = (await versions()).w1;
    expect(now.version).toBe(seen.version + 1); // the rename only
    expect(now.source.title).toBe('Renamed meanwhile');
    expect(now.key).toBeUndefined();
  });
});
