/**
 * `npm run eval:search [-- elasticsearch|opensearch]`: the full quality figures of search through
 * the proxy — search by image with all 405 Grocery in-store photos (top-1/top-5 by product and by
 * coarse class, kNN alone vs reranked), and text queries (nDCG@10 of BM25 / bridge kNN / reranked)
 * on all of COCO-mini (239 second captions → 239 photos) and on Grocery (81 product names).
 * The tests run subsets of the same code (test/helpers/search-eval.ts).
 *   --index-prefix P  evaluate on indices of your own (P + grocery-eval, P + coco-eval; the shipped
 *                     pipelines are copied with those names added to their index_patterns)
 *   --only image|text just search by image, or just the text queries
 */
import { startEngine, stopEngine, type EngineName } from '../engines.js';
import { ensureGrocery, pipelinesDir, prefixedPipelineTexts, startSearchProxy, type Engine } from '../../test/helpers/search-fixtures.js';
import { cocoQueries, ensureCoco, evalImage, evalText, groceryTextQueries } from '../../test/helpers/search-eval.js';

const argv = process.argv.slice(2);
const flag = (n: string) => (argv.includes(n) ? argv[argv.indexOf(n) + 1] : undefined);
const prefix = flag('--index-prefix') ?? '';
const only = flag('--only');

/** The shipped pipelines, each also applying to `prefix` + its eval index. */
function prefixedPipelines(): string {
  return prefix ? pipelinesDir(prefixedPipelineTexts(prefix)) : pipelinesDir();
}

async function main(): Promise<void> {
  const engine = (argv.find((a, i) => !a.startsWith('--') && !argv[i - 1]?.startsWith('--')) ?? 'elasticsearch') as Engine;
  const started = await startEngine(engine as EngineName);
  const p = await startSearchProxy(engine, { pipelinesDir: prefixedPipelines() });
  const grocery = `${prefix}grocery-eval`;
  const cocoIndex = `${prefix}coco-eval`;
  try {
    await ensureGrocery(p, engine, grocery);
    if (only !== 'image') await ensureCoco(p, engine, cocoIndex);
    await p.reranker.warmup();
    const f = (x: number) => x.toFixed(3);
    if (only !== 'text') {
      const img = await evalImage(p, engine, grocery, 1, 20);
      process.stdout.write(
      `search by image (${engine}), ${img.n} in-store photos → 81 products, window 20:\n` +
        `  kNN alone  top-1 ${f(img.knn.top1)} top-5 ${f(img.knn.top5)} | coarse top-1 ${f(img.knn.coarse1)} top-5 ${f(img.knn.coarse5)}\n` +
        `  reranked   top-1 ${f(img.reranked.top1)} top-5 ${f(img.reranked.top5)} | coarse top-1 ${f(img.reranked.coarse1)} top-5 ${f(img.reranked.coarse5)} (degraded ${img.degraded})\n`,
      );
    }
    if (only === 'image') return;
    const c = await evalText(p, engine, cocoIndex, cocoQueries());
    process.stdout.write(`COCO-mini (${engine}) ${c.n} captions → 239 photos nDCG@10: BM25 ${f(c.bm25)} | bridge kNN ${f(c.knn)} | reranked ${f(c.reranked)} (degraded ${c.degraded})\n`);
    const g = await evalText(p, engine, grocery, groceryTextQueries());
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
