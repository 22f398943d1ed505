/**
 * The default weight of the zero-shot bridge against a document's text (src/rerank/fusion.ts
 * DEFAULT_WEIGHTS.text_image), fitted by k-fold cross-validation on the raw values that
 * scripts/bench/anchors.ts keeps (text + photo sets: grocery-*, coco-mixed). Folds by query within
 * each set (seeded shuffle); the objective is the mean nDCG@10 over the sets; for each fold the
 * weight is chosen on the other folds from a grid and scored on the held-out one. Prints, for the
 * calibrated mean (the shipped fusion) and the logit-space mean (measured, not shipped), each fold's
 * choice and the held-out figures next to weight 1 and the raw-cosine 0.5/0.5 anchor.
 *   npx tsx scripts/bench/anchors-fit.ts grocery-descriptions grocery-titles grocery-shopper-words coco-mixed [--dir .cache/anchors]
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { figures, type CollectedSet, type DocValues } from '../../test/helpers/anchors.js';

const argv = process.argv.slice(2);
const dir = argv.includes('--dir') ? argv[argv.indexOf('--dir') + 1]! : '.cache/anchors';
const names = argv.filter((a, i) => !a.startsWith('--') && argv[i - 1] !== '--dir');
const FOLDS = 5;
const GRID = [0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 1];
const curves = (JSON.parse(readFileSync('models/calibration/signals.json', 'utf8')) as { signals: Record<string, { a: number; b: number }> }).signals;
const sets: CollectedSet[] = names.map((n) => JSON.parse(readFileSync(join(dir, `${n}.json`), 'utf8')) as CollectedSet);

type Mode = 'calibrated' | 'logit' | 'raw';
const fusion = (mode: Mode, bridge: number) => (d: DocValues) => {
  let num = 0;
  let den = 0;
  for (const [n, x] of Object.entries(d.raw)) {
    const w = n === 'text_image' || n === 'text_video' ? bridge : 1;
    const z = curves[n]!.a * x + curves[n]!.b;
    num += w * (mode === 'raw' ? x : mode === 'logit' ? z : 1 / (1 + Math.exp(-z)));
    den += w;
  }
  return den ? num / den : 0;
};

let seed = 42;
const rnd = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
const foldOf = sets.map((s) => {
  const idx = s.queries.map((_, i) => i);
  for (let i = idx.length - 1; i > 0; i--) {
    const j = Math.floor(rnd() * (i + 1));
    [idx[i], idx[j]] = [idx[j]!, idx[i]!];
  }
  const f: number[] = new Array(idx.length);
  idx.forEach((q, k) => (f[q] = k % FOLDS));
  return f;
});

for (const mode of ['calibrated', 'logit'] as const) {
  const held = sets.map(() => ({ sum: 0, n: 0 }));
  const chosen: number[] = [];
  for (let k = 0; k < FOLDS; k++) {
    const train = (w: number) => sets.reduce((a, s, si) => a + figures(s, fusion(mode, w), (qi) => foldOf[si]![qi] !== k).ndcg10, 0) / sets.length;
    const best = GRID.reduce((b, w) => (train(w) > train(b) ? w : b), GRID[0]!);
    chosen.push(best);
    sets.forEach((s, si) => {
      const f = figures(s, fusion(mode, best), (qi) => foldOf[si]![qi] === k);
      held[si]!.sum += f.ndcg10 * f.n;
      held[si]!.n += f.n;
    });
  }
  console.log(`${mode} mean: folds chose bridge weight ${chosen.join(', ')}`);
  sets.forEach((s, si) => {
    const at1 = figures(s, fusion(mode, 1)).ndcg10;
    const anchor = figures(s, fusion('raw', 1)).ndcg10;
    console.log(`  ${s.name.padEnd(24)} held-out nDCG@10 ${(held[si]!.sum / held[si]!.n).toFixed(3)}  (weight 1: ${at1.toFixed(3)}, anchor raw 0.5/0.5: ${anchor.toFixed(3)})`);
  });
}
