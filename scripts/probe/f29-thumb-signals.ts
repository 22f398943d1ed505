/**
 * Task fix29 (round 27b's open question): which signal pulls a 32×32 query photo below the kNN first
 * stage? Every `--step`th in-store photo, clean and as a 32×32 thumbnail (p27b-copies.ts), reranked
 * with process() against the 81 products (title + description + photo) under the grocery pipeline's
 * weights and fusion; the right product's top-1 / top-5 by the fused score and by each signal alone
 * (its raw value), image_image alone being what the kNN first stage ranks by.
 *
 *   npx tsx scripts/probe/f29-thumb-signals.ts [--step 10]
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { loadPipelines } from '../../src/pipelines/load.js';
import { scoreFusionOf } from '../../src/search/shape.js';
import { REPO_ROOT } from '../../test/helpers/paths.js';
import { testReranker } from '../../test/helpers/reranker.js';
import { catalog, groceryDoc, groceryQueries } from '../../test/helpers/search-fixtures.js';
import { queryCopy } from './p27b-copies.js';

const argv = process.argv.slice(2);
const step = Number(argv.includes('--step') ? argv[argv.indexOf('--step') + 1] : 10);
const p = loadPipelines(join(REPO_ROOT, 'pipelines')).find((x) => x.name === 'grocery')!;
const r = testReranker({ mediaRoots: ['/'] });
const dir = '/tmp/f29-thumbs';
mkdirSync(dir, { recursive: true });
const documents = catalog.map((c) => {
  const d = groceryDoc(c);
  return { text: `${d.title}\n${d.description}`, image: d.image as string };
});
for (const kind of ['clean', 'thumb32']) {
  const tally: Record<string, { top1: number; top5: number }> = {};
  const qs = groceryQueries(step);
  for (const [i, q] of qs.entries()) {
    const bytes = await queryCopy(q.image, kind, dir, String(i));
    const out = await r.process({ query: { image: bytes.toString('base64') }, documents, weights: p.scorer.weights, explain: true }, { scoreFusion: scoreFusionOf(p) });
    const want = catalog.findIndex((c) => c.class_id === q.classId);
    const ranks: Record<string, number[]> = { fused: out.map((x) => x.index) };
    const bySignal: Record<string, Array<[number, number]>> = {};
    for (const x of out) for (const s of x.explanation!.signals) (bySignal[s.name] ??= []).push([x.index, s.raw]);
    for (const [name, v] of Object.entries(bySignal)) ranks[name] = v.sort((a, b) => b[1] - a[1]).map(([i]) => i);
    for (const [name, order] of Object.entries(ranks)) {
      const t = (tally[name] ??= { top1: 0, top5: 0 });
      t.top1 += order[0] === want ? 1 : 0;
      t.top5 += order.slice(0, 5).includes(want) ? 1 : 0;
    }
  }
  console.log(kind, `n ${qs.length}`, Object.entries(tally).map(([n, t]) => `${n} ${(t.top1 / qs.length).toFixed(3)}/${(t.top5 / qs.length).toFixed(3)}`).join(' | '));
}
await r.close();
