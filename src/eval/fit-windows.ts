/**
 * The window choice of `vlrerank eval --fit --window 100,200,300` (held-out probe round 14c): the
 * snippet's window is the one with the best held-out figure over every query, so that figure —
 * chosen as the best of several — flatters the choice. What the choice itself is worth is measured
 * by nested cross-validation: in each outer fold the window is chosen by a cross-validation of the
 * fold's training queries alone (inner folds, never its held-out queries), then that fold's held-out
 * queries are scored at the window it chose, by the fit the outer cross-validation already made there
 * (the same training queries: the partition is the same at every window, `cutWindow` keeping ids and
 * order). Pure; costs k × windows inner cross-validations (k fits each, no final fit).
 */
import { crossValidate, cutWindow, type CrossValidation, type FitOptions, type FitQuery } from './fit.js';
import { shuffled } from './fit-math.js';

export interface WindowChoice {
  /** The window with the best pooled held-out figure (ties: the smaller, cheaper per search): the snippet's. */
  chosen: number;
  byWindow: Array<{ window: number; fitted: number }>;
  /** Each outer fold's choice, made on its training queries only, and its held-out queries scored there. */
  nested: { fitted: number; folds: Array<{ fold: number; window: number; queries: number; fitted: number }> };
  /** The chosen window's figure minus the nested one: how much choosing on the reported figure flattered it here. */
  optimism: number;
}

const mean = (xs: number[]) => (xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : 0);

/** The smallest window with the best figure (1e-9 tolerance, as the fitter compares). */
const best = (xs: Array<{ window: number; fitted: number }>) => xs.reduce((a, b) => (b.fitted > a.fitted + 1e-9 ? b : a));

/**
 * `fits`: the outer cross-validation at each window (ascending), all made by `crossValidate(cutWindow(qs, w), k, seed, o)`
 * over the same collected queries `qs` (at the largest window).
 */
export function chooseWindow(qs: FitQuery[], fits: Array<{ window: number; cv: CrossValidation }>, k: number, seed: number, o: FitOptions = {}): WindowChoice {
  const byWindow = fits.map((f) => ({ window: f.window, fitted: f.cv.mean.fitted }));
  const chosen = best(byWindow).window;
  const order = shuffled(qs, seed);
  const folds = fits[0]!.cv.folds.map((outer, f) => {
    const heldOut = new Set(outer.test);
    const train = order.filter((_, i) => i % k !== f);
    if (train.some((q) => heldOut.has(q.id)) || train.length + heldOut.size !== qs.length) throw new Error('chooseWindow: the folds are not those of crossValidate(qs, k, seed)');
    // too few training queries for an inner cross-validation: the smallest window
    const inner = train.length < 2 ? [{ window: fits[0]!.window, fitted: 0 }] : fits.map((w) => ({ window: w.window, fitted: crossValidate(train.map((q) => cutWindow(q, w.window)), Math.min(k, train.length), seed, { ...o, final: false }).mean.fitted }));
    const window = best(inner).window;
    const at = fits.find((w) => w.window === window)!.cv.fittedByQuery;
    const scores = outer.test.map((id) => at.get(id)!);
    return { fold: outer.fold, window, queries: scores.length, fitted: mean(scores), scores };
  });
  const nested = mean(folds.flatMap((f) => f.scores));
  return {
    chosen,
    byWindow,
    nested: { fitted: nested, folds: folds.map(({ scores: _, ...f }) => f) },
    optimism: byWindow.find((w) => w.window === chosen)!.fitted - nested,
  };
}
