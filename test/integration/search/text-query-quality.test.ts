/**
 * Text queries on image indices through the proxy: nDCG@10 of BM25 alone, of kNN over the
 * photos' text-space (bridge) vectors alone, and after reranking (hybrid first stage), on a
 * COCO-mini subset (a second human caption → its photo, the first caption indexed as alt text) and
 * on the Grocery catalog (product names → product 2, same kind 1). Full sets: scripts/bench/search-eval.ts.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ENGINES, ensureGrocery, startSearchProxy, type SearchProxy } from '../../helpers/search-fixtures.js';
import { cocoQueries, ensureCoco, evalText, groceryTextQueries } from '../../helpers/search-eval.js';

const COCO_N = 40;

describe.each(ENGINES)('text queries on image indices on %s', (engine) => {
  let p: SearchProxy;
  beforeAll(async () => {
    p = await startSearchProxy(engine);
    await ensureGrocery(p, engine, 'grocery-it');
    await ensureCoco(p, engine, 'coco-it', COCO_N);
  });
  afterAll(async () => p?.close());

  it('COCO-mini: BM25 vs bridge kNN vs reranked', async () => {
    const r = await evalText(p, engine, 'coco-it', cocoQueries(COCO_N));
    console.log(`[text-quality ${engine}] COCO-mini ${r.n} captions → ${COCO_N} photos nDCG@10: BM25 ${r.bm25.toFixed(3)} | bridge kNN ${r.knn.toFixed(3)} | reranked ${r.reranked.toFixed(3)}`);
    expect(r.degraded).toBe(0);
    expect(r.documentErrors).toEqual([]);
    // the bridge alone must beat chance by far (random over 40 photos ≈ 0.07) and reranking must
    // not lose to the better of its two first-stage signals by more than noise
    expect(r.knn).toBeGreaterThan(0.2);
    expect(r.reranked).toBeGreaterThan(Math.max(r.bm25, r.knn) - 0.1);
  });

  it('Grocery: BM25 vs bridge kNN vs reranked', async () => {
    const r = await evalText(p, engine, 'grocery-it', groceryTextQueries().filter((_, i) => i % 3 === 0));
    console.log(`[text-quality ${engine}] Grocery ${r.n} product names → 81 products nDCG@10: BM25 ${r.bm25.toFixed(3)} | bridge kNN ${r.knn.toFixed(3)} | reranked ${r.reranked.toFixed(3)}`);
    expect(r.degraded).toBe(0);
    expect(r.documentErrors).toEqual([]);
    expect(r.reranked).toBeGreaterThan(Math.max(r.bm25, r.knn) - 0.1);
  });
});
