/**
 * The small numerical pieces of `vlrerank eval --fit` (src/eval/fit.ts): a one-variable logistic
 * regression (the first-stage and raw-mode maps) and a seeded shuffle (the folds). Pure.
 */
import { logistic } from '../rerank/fusion.js';

const mean = (xs: number[]) => (xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : 0);

/**
 * Logistic regression of relevance (grade > 0) on one value, by Newton's method with a small ridge
 * on `a` (separable data would push it to infinity). Values are standardised while fitting.
 */
export function fitLogistic(xs: number[], ys: boolean[]): { a: number; b: number } {
  const n = xs.length;
  if (!n) return { a: 1, b: 0 };
  const mu = mean(xs);
  const sd = Math.sqrt(mean(xs.map((x) => (x - mu) ** 2))) || 1;
  const z = xs.map((x) => (x - mu) / sd);
  let a = 0;
  let b = 0;
  const lambda = 1e-3 * n;
  for (let it = 0; it < 50; it++) {
    let ga = -lambda * a, gb = 0, haa = -lambda, hab = 0, hbb = 0;
    for (let i = 0; i < n; i++) {
      const p = logistic(a * z[i]! + b);
      const r = (ys[i] ? 1 : 0) - p;
      const w = p * (1 - p);
      ga += r * z[i]!;
      gb += r;
      haa -= w * z[i]! * z[i]!;
      hab -= w * z[i]!;
      hbb -= w;
    }
    const det = haa * hbb - hab * hab;
    if (!(Math.abs(det) > 1e-12)) break;
    const da = (hbb * ga - hab * gb) / det;
    const db = (haa * gb - hab * ga) / det;
    a -= da;
    b -= db;
    if (Math.abs(da) + Math.abs(db) < 1e-9) break;
  }
  return { a: a / sd, b: b - (a * mu) / sd };
}

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
