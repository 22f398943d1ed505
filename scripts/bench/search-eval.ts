/**
 * `npm run eval:search [-- elasticsearch|opensearch]`: the full quality figures of search through
 * the proxy — search by image with all 405 Grocery in-store photos (top-1/top-5 by product and by
 * coarse class, kNN alone vs reranked), and text queries (nDCG@10 of BM25 / bridge kNN / reranked)
 * on all of COCO-mini (239 second captions → 239 photos) and on Grocery (81 product names).
 * The tests run subsets of the same code (test/helpers/search-eval.ts).
 */
import { startEngine, stopEngine, type EngineName } from '../engines.js';
import { ensureGrocery, pipelinesDir, startSearchProxy, type Engine } from '../../test/helpers/search-fixtures.js';
import { cocoQueries, ensureCoco, evalImage, evalText, groceryTextQueries } from '../../test/helpers/search-eval.js';

async function main(): Promise<void> {
  const engine = (process.argv[2] ?? 'elasticsearch') as Engine;
  const started = await startEngine(engine as EngineName);
  const p = await startSearchProxy(engine, { pipelinesDir: pipelinesDir() });
  try {
    await ensureGrocery(p, engine, 'grocery-eval');
    await ensureCoco(p, engine, 'coco-eval');
    await p.reranker.warmup();
    const f = (x: number) => x.toFixed(3);
    const img = await evalImage(p, engine, 'grocery-eval', 1, 20);
    process.stdout.write(
      `search by image (${engine}), ${img.n} in-store photos → 81 products, window 20:\n` +
        `  kNN alone  top-1 ${f(img.knn.top1)} top-5 ${f(img.knn.top5)} | coarse top-1 ${f(img.knn.coarse1)} top-5 ${f(img.knn.coarse5)}\n` +
        `  reranked   top-1 ${f(img.reranked.top1)} top-5 ${f(img.reranked.top5)} | coarse top-1 ${f(img.reranked.coarse1)} top-5 ${f(img.reranked.coarse5)} (degraded ${img.degraded})\n`,
    );
    const c = await evalText(p, engine, 'coco-eval', cocoQueries());
    process.stdout.write(`COCO-mini (${engine}) ${c.n} captions → 239 photos nDCG@10: BM25 ${f(c.bm25)} | bridge kNN ${f(c.knn)} | reranked ${f(c.reranked)} (degraded ${c.degraded})\n`);
    const g = await evalText(p, engine, 'grocery-eval', groceryTextQueries());
    process.stdout.write(`Grocery (${engine}) ${g.n} product names → 81 products nDCG@10: BM25 ${f(g.bm25)} | bridge kNN ${f(g.knn)} | reranked ${f(g.reranked)} (degraded ${g.degraded})\n`);
  } finally {
    await p.close();
    if (started.started) await stopEngine(engine as EngineName);
  }
}

main().catch((e) => {
  process.stderr.write(`${(e as Error).stack ?? e}\n`);
  process.exit(1);
});
