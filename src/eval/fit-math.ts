/**
 * The small numerical pieces of `vlrerank eval --fit` (src/eval/fit.ts): a one-variable logistic
 * regression (the first-stage and raw-mode maps, the calibration's fitter with eval's options) and a
 * seeded shuffle (the folds). Pure.
 */
import { fitLogistic, type LogisticFitOptions } from '../rerank/calibration.js';

/**
 * Eval's logistic (the first-stage map and the raw-fusion logistic): relevance (grade > 0) on one
 * value, every judged candidate counted once (no class balance: p is the rate of relevance), values
 * standardised so that the ridge 1e-3·n on the slope does not depend on the score's scale (a BM25
 * score or a cosine). The fitter is the calibration's (src/rerank/calibration.ts).
 */
export const scoreLogisticOptions = (n: number): LogisticFitOptions => ({ balance: false, standardise: true, l2: 1e-3 * n, interceptCurvature: 0 });
export const fitScoreLogistic = (xs: number[], ys: boolean[]) => fitLogistic(xs, ys.map(Number), scoreLogisticOptions(xs.length));

/** A seeded shuffle (mulberry32): the same folds for the same queries and seed. */
export function shuffled<T>(xs: readonly T[], seed: number): T[] {
  let t = seed >>> 0;
  const rand = () => {
    t = (t + 0x6d2b79f5) >>> 0;
    let r = Math.imul(t ^ (t >>> 15), 1 | t);
    r = (r + Math.imul(r ^ (r >>> 7), 61 | r)) ^ r;
    return ((r ^ (r >>> 14)) >>> 0) / 4294967296;
  };
  const out = [...xs];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1));
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}
