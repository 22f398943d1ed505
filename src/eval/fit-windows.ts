/**
 * The window choice of `vlrerank eval --fit --window 100,200,300` (held-out probe round 14c), and of a
 * hybrid first stage's `knn_boost` beside it: the snippet's window (and boost) is the variant with the
 * best held-out figure over every query, so that figure — chosen as the best of several — flatters
 * the choice. What the choice itself is worth is measured by nested cross-validation: in each outer
 * fold the variant is chosen by a cross-validation of the fold's training queries alone (inner folds,
 * never its held-out queries), then that fold's held-out queries are scored at the variant it chose,
 * by the fit the outer cross-validation already made there (the same training queries: the partition
 * is the same for every variant, each variant holding the same query ids in the same order, and
 * `cutWindow` keeping ids and order). Pure; costs k × variants inner cross-validations (k fits each, no final fit).
 */
import { crossValidate, cutWindow, type CrossValidation, type FitOptions, type FitQuery } from './fit.js';
import { shuffled } from './fit-math.js';

/** One candidate setting: a window, with the first stage's boost when it was varied too. */
export interface Variant {
  window: number;
  /** The bridge kNN's boost of the first stage these queries were collected with (a hybrid first stage). */
  knnBoost?: number;
  /** The outer cross-validation at this variant: `crossValidate(cutWindow(queries, window), k, seed, o)`. */
  cv: CrossValidation;
  /** The queries collected at this variant's boost, at the largest window (default: `chooseWindow`'s `qs`). */
  queries?: FitQuery[];
}

export interface WindowChoice {
  /** The window with the best pooled held-out figure (ties: the variant listed first — the smaller window, the pipeline's own boost): the snippet's. */
  chosen: number;
  /** Its boost, when boosts were varied. */
  chosenBoost?: number;
  byWindow: Array<{ window: number; knnBoost?: number; fitted: number }>;
  /** Each outer fold's choice, made on its training queries only, and its held-out queries scored there. */
  nested: { fitted: number; folds: Array<{ fold: number; window: number; knnBoost?: number; queries: number; fitted: number }> };
  /** The chosen variant's figure minus the nested one: how much choosing on the reported figure flattered it here. */
  optimism: number;
}

const mean = (xs: number[]) => (xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : 0);

/** The first variant with the best figure (1e-9 tolerance, as the fitter compares). */
const best = <T extends { fitted: number }>(xs: T[]) => xs.reduce((a, b) => (b.fitted > a.fitted + 1e-9 ? b : a));

const boostOf = (v: { knnBoost?: number }) => (v.knnBoost !== undefined ? { knnBoost: v.knnBoost } : {});

/**
 * `fits`: the outer cross-validation at each variant, in order of preference on ties (windows
 * ascending; the pipeline's own boost before the others), over the same query ids as `qs` (collected
 * at the largest window) in the same order.
 */
export function chooseWindow(qs: FitQuery[], fits: Variant[], k: number, seed: number, o: FitOptions = {}): WindowChoice {
  const byWindow = fits.map((f) => ({ window: f.window, ...boostOf(f), fitted: f.cv.mean.fitted }));
  const chosen = best(byWindow);
  const order = shuffled(qs, seed);
  const byId = fits.map((f) => new Map((f.queries ?? qs).map((q) => [q.id, q])));
  const folds = fits[0]!.cv.folds.map((outer, f) => {
    const heldOut = new Set(outer.test);
    const train = order.filter((_, i) => i % k !== f);
    if (train.some((q) => heldOut.has(q.id)) || train.length + heldOut.size !== qs.length) throw new Error('chooseWindow: the folds are not those of crossValidate(qs, k, seed)');
    // too few training queries for an inner cross-validation: the first variant
    const inner =
      train.length < 2
        ? [{ at: 0, fitted: 0 }]
        : fits.map((w, at) => ({ at, fitted: crossValidate(train.map((q) => cutWindow(byId[at]!.get(q.id)!, w.window)), Math.min(k, train.length), seed, { ...o, final: false }).mean.fitted }));
    const picked = fits[best(inner).at]!;
    const scores = outer.test.map((id) => picked.cv.fittedByQuery.get(id)!);
    return { fold: outer.fold, window: picked.window, ...boostOf(picked), queries: scores.length, fitted: mean(scores), scores };
  });
  const nested = mean(folds.flatMap((f) => f.scores));
  return {
    chosen: chosen.window,
    ...(chosen.knnBoost !== undefined ? { chosenBoost: chosen.knnBoost } : {}),
    byWindow,
    nested: { fitted: nested, folds: folds.map(({ scores: _, ...f }) => f) },
    optimism: chosen.fitted - nested,
  };
}
