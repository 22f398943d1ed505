/**
 * `first_stage.knn_boost` (models/CALIBRATION.md "The hybrid first stage's window"): a `hybrid` first
 * stage is the `multi_match` beside the bridge kNN, and the engine adds their scores — a kNN
 * similarity (≤ 1) beside BM25 scores of 5–20 on a caption — so the window was filled by the hits
 * sharing words with the query, and the photo the bridge found was cut off before the rerank could
 * see it (COCO-mini, window 50: 69 of 956 photos lost). Real Elasticsearch 8.19, real models, the
 * shipped `coco.yaml` (knn_boost 20) beside a copy at knn_boost 1, the first 40 COCO-mini photos
 * indexed through the proxy with caption #1, caption #2 of each as the query, a window of 5: the
 * boosted first stage brings more of the photos into the window, and so into the reranked hits.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { clientSearch, pipelinesDir, startSearchProxy, type SearchProxy } from '../../helpers/search-fixtures.js';
import { coco, ensureCoco } from '../../helpers/search-eval.js';
import { REPO_ROOT } from '../../helpers/paths.js';

const INDEX = 'knnboost-it-coco';
const N = 40;
const WINDOW = 5;
let p: SearchProxy;

function pipelines(): string {
  const shipped = readFileSync(join(REPO_ROOT, 'pipelines', 'coco.yaml'), 'utf8')
    .replace(/^index_patterns: .*$/m, 'index_patterns: [knnboost-it-*]')
    .replace(/^budget_ms: \d+$/m, 'budget_ms: 300000');
  if (!/^ {2}knn_boost: 20$/m.test(shipped)) throw new Error('coco.yaml no longer sets knn_boost 20: update this test');
  const unboosted = shipped.replace(/^name: coco$/m, 'name: coco-knn-boost-1').replace(/^ {2}knn_boost: 20$/m, '  knn_boost: 1');
  return pipelinesDir({ 'coco.yaml': shipped, 'coco-knn-boost-1.yaml': unboosted });
}

beforeAll(async () => {
  p = await startSearchProxy('elasticsearch', { pipelinesDir: pipelines() });
  await ensureCoco(p, 'elasticsearch', INDEX, N);
}, 900_000);
afterAll(async () => p?.close());

async function found(pipeline: string): Promise<number> {
  let n = 0;
  for (const row of coco.slice(0, N)) {
    const body = await clientSearch('elasticsearch', p.url, { index: INDEX, body: { size: WINDOW, _source: false, ext: { vlrerank: { query: { text: row.captions[1]! }, pipeline, window: WINDOW } } } });
    expect(body.vlrerank.degraded).toBe(false);
    if ((body.hits.hits as Array<{ _id: string }>).some((h) => h._id === String(row.coco_id))) n++;
  }
  return n;
}

it('a boosted bridge kNN brings into the window photos the BM25 hits crowded out', { timeout: 600_000 }, async () => {
  const boosted = await found('coco');
  const unboosted = await found('coco-knn-boost-1');
  expect(boosted, `photos in the window: knn_boost 20 ${boosted}, knn_boost 1 ${unboosted} of ${N}`).toBeGreaterThan(unboosted);
});
