/**
 * Task dup25 (issue 14): search by image with a catalog product's own photo, or a near copy of it,
 * must rank that product first. Through the proxy (an in-process `vlrerank serve` in front of
 * Elasticsearch 8.19) on a Grocery copy of our own (`P` + grocery-eval, built by `index setup` +
 * `_bulk` through the proxy), every one of the 81 catalog photos as the query, and copies made at run
 * time with sharp into a temp dir (deleted after; no media is written into the repo):
 *   own     the catalog photo itself
 *   q60     re-encoded as JPEG at quality 60
 *   half    resized to 50 % (each side)
 *   crop10  its central 90 % (5 % cut from each side)
 * Prints the share of queries whose product is top-1 (and top-5), reranked and kNN alone, with the
 * first offender of each kind. `--in-store` adds the 405 in-store photos' top-1 / top-5
 * (test/helpers/search-eval.ts `evalImage`, window 20, as `scripts/bench/search-eval.ts --only image`).
 *
 * `--pipeline grocery-defaults`: the shipped grocery pipeline without its `scorer` block (the default
 * weights and log-odds fusion, as a pipeline of one's own or the rerank API gets), named per search.
 *
 *   npx tsx scripts/probe/d25-own-photo.ts [--index-prefix d25-] [--pipeline grocery|grocery-defaults] [--in-store] [--kinds own,q60,half,crop10]
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { addKnn } from '../../src/engine/dialect.js';
import { RerankerEmbedder } from '../../src/rerank/embedder.js';
import { catalog, clientSearch, ensureGrocery, groceryDoc, pipelinesDir, prefixedPipelineTexts, startSearchProxy } from '../../test/helpers/search-fixtures.js';
import { evalImage } from '../../test/helpers/search-eval.js';
import { distributionOf } from '../../test/helpers/engines.js';
import { DATA } from '../../test/helpers/paths.js';
import { nearCopy } from './d25-copies.js';

const argv = process.argv.slice(2);
const flag = (n: string) => (argv.includes(n) ? argv[argv.indexOf(n) + 1] : undefined);
const prefix = flag('--index-prefix') ?? 'd25-';
const kinds = (flag('--kinds') ?? 'own,q60,half,crop10').split(',');
const engine = 'elasticsearch' as const;
const WINDOW = 20;
const pipeline = flag('--pipeline') ?? 'grocery';

function prefixedPipelines(): string {
  const extra = prefixedPipelineTexts(prefix);
  // the grocery pipeline with the defaults' scorer: its fields and first stage, no `scorer` block
  extra['grocery-defaults.yaml'] = extra['grocery.yaml']!
    .replace(/^name: grocery$/m, 'name: grocery-defaults')
    .replace(/^index_patterns: .*$/m, `index_patterns: [${prefix}none-grocery-defaults]`)
    .replace(/^scorer:\n(?: {2}.*\n)+/m, '');
  if (extra['grocery-defaults.yaml'].includes('scorer:')) throw new Error('grocery.yaml: scorer block not removed');
  return pipelinesDir(extra);
}

async function main(): Promise<void> {
  const tmp = mkdtempSync(join(tmpdir(), 'd25-copies-'));
  const p = await startSearchProxy(engine, { pipelinesDir: prefixedPipelines(), media: { roots: [DATA, tmp] } });
  const index = `${prefix}grocery-eval`;
  const f = (x: number) => x.toFixed(3);
  try {
    await ensureGrocery(p, engine, index);
    await p.reranker.warmup();
    const embedder = new RerankerEmbedder(p.reranker);
    for (const kind of kinds) {
      let top1 = 0;
      let top5 = 0;
      let knn1 = 0;
      const misses: string[] = [];
      for (const c of catalog) {
        const image = await nearCopy(groceryDoc(c).image as string, kind, tmp, String(c.class_id));
        const kb: Record<string, unknown> = { size: 5, _source: false };
        addKnn(kb, distributionOf(engine), { field: 'image_vector', vector: Array.from(await embedder.visual(image, 'image')), k: WINDOW, numCandidates: 100 });
        const kIds = (await clientSearch(engine, p.url, { index, body: kb })).hits.hits.map((h: any) => Number(h._id));
        const rr = await clientSearch(engine, p.url, { index, body: { size: 5, _source: false, ext: { vlrerank: { pipeline, query: { image }, window: WINDOW } } } });
        const ids = rr.hits.hits.map((h: any) => Number(h._id));
        if (ids[0] === c.class_id) top1++;
        else misses.push(`${c.class_name} → ${catalog.find((o) => o.class_id === ids[0])?.class_name} (${rr.hits.hits[0]?._score} vs ${rr.hits.hits.find((h: any) => Number(h._id) === c.class_id)?._score ?? 'not in top 5'})`);
        if (ids.slice(0, 5).includes(c.class_id)) top5++;
        if (kIds[0] === c.class_id) knn1++;
      }
      const n = catalog.length;
      process.stdout.write(`${pipeline} ${kind}: ${n} catalog photos, reranked top-1 ${f(top1 / n)} top-5 ${f(top5 / n)} | kNN alone top-1 ${f(knn1 / n)}\n`);
      for (const m of misses.slice(0, 5)) process.stdout.write(`  miss: ${m}\n`);
      if (misses.length > 5) process.stdout.write(`  … ${misses.length - 5} more\n`);
    }
    if (argv.includes('--in-store')) {
      const img = await evalImage(p, engine, index, 1, WINDOW, pipeline);
      process.stdout.write(`${pipeline} in-store: ${img.n} photos, window ${WINDOW}: kNN alone top-1 ${f(img.knn.top1)} top-5 ${f(img.knn.top5)} | reranked top-1 ${f(img.reranked.top1)} top-5 ${f(img.reranked.top5)} | coarse ${f(img.reranked.coarse1)} / ${f(img.reranked.coarse5)} (degraded ${img.degraded})\n`);
    }
  } finally {
    await p.close();
    rmSync(tmp, { recursive: true, force: true });
  }
}

main().catch((e) => {
  process.stderr.write(`${(e as Error).stack ?? e}\n`);
  process.exit(1);
});
