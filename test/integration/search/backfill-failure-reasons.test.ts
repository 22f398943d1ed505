/**
 * `vlrerank index backfill` says which documents' media could not be read and why (held-out probe
 * round 22d: a backfill of 50 half-hour videos ended "40 only part of it (media unreadable; rerun to
 * retry)" — neither the documents nor the cause, which was the ffmpeg time limit, not the files).
 * Elasticsearch 8.19, the grocery pipeline, real models: one product whose photo is not there beside
 * one whose photo is.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { backfillRecords } from '../../../src/ingest/backfill-records.js';
import { RerankerEmbedder } from '../../../src/rerank/embedder.js';
import { REPO_ROOT } from '../../helpers/paths.js';
import { catalog, freshIndex, groceryDoc, pipelinesDir, startSearchProxy, type SearchProxy } from '../../helpers/search-fixtures.js';

const INDEX = 'backfill-reasons-grocery';
const PIPELINE = readFileSync(join(REPO_ROOT, 'pipelines', 'grocery.yaml'), 'utf8').replace(/^name: grocery$/m, 'name: backfill-reasons').replace(/^index_patterns: .*$/m, 'index_patterns: [backfill-reasons*]');

describe('backfill of feature records: the failures named', () => {
  let p: SearchProxy | undefined;

  beforeAll(async () => {
    p = await startSearchProxy('elasticsearch', { pipelinesDir: pipelinesDir({ 'backfill-reasons.yaml': PIPELINE }) });
    await freshIndex(p, p.pipelines.get('backfill-reasons')!, INDEX);
    const good = groceryDoc(catalog[0]!);
    const gone = { ...groceryDoc(catalog[1]!), image: join(String(good.image), '..', 'no-such-photo.jpg') };
    const nd = [['good', good], ['gone', gone]].flatMap(([id, d]) => [JSON.stringify({ index: { _id: id } }), JSON.stringify(d)]).join('\n') + '\n';
    const r = await p.engine.json<any>('POST', `/${INDEX}/_bulk?refresh=true`, nd, { 'content-type': 'application/x-ndjson' });
    expect(r.body.errors).toBe(false);
  }, 300_000);
  afterAll(async () => {
    await p?.engine.json('DELETE', `/${INDEX}`);
    await p?.close();
  });

  it('gives each failed document its id and the reason its media could not be read', { timeout: 300_000 }, async () => {
    const r = await backfillRecords(p!.engine, p!.pipelines.get('backfill-reasons')!, INDEX, new RerankerEmbedder(p!.reranker), { batch: 8 });
    expect(r).toMatchObject({ total: 2, recorded: 1, failed: 1 });
    expect(r.failures).toHaveLength(1);
    expect(r.failures[0]!.id).toBe('gone');
    expect(r.failures[0]!.reason).toMatch(/no-such-photo\.jpg/);
  });
});
