/**
 * What `vlrerank eval --fit` reports as held out (held-out probe round 14c): the figure is the
 * pooled per-query mean — each judged query counted once, in the fold that held it out — not the
 * mean of the folds' means (folds of unequal size weighed their queries unequally); and with several
 * windows, what choosing the window is worth is measured by nested cross-validation (the window
 * chosen in each fold on its training queries only), not by the best of the figures that chose it.
 */
import { describe, expect, it } from 'vitest';
import { crossValidate, currentNdcg, cutWindow, firstStageNdcg, meanNdcg, shuffled, type FitQuery } from '../../../src/eval/fit.js';
import { chooseWindow } from '../../../src/eval/fit-windows.js';

function rng(seed: number): () => number {
  const order = shuffled(Array.from({ length: 50_000 }, (_, i) => i / 50_000), seed);
  let i = 0;
  return () => order[i++ % order.length]!;
}

/** n queries of 30 candidates; relevance follows a + 0.3·b + noise; the first stage follows it loosely. */
function synth(n: number, seed: number): FitQuery[] {
  const r = rng(seed);
  return Array.from({ length: n }, (_, qi) => {
    const cands = Array.from({ length: 30 }, (_, ci) => {
      const a = r(), b = r(), u = r();
      return { id: `q${qi}d${ci}`, a, b, truth: a + 0.3 * b + 0.8 * u, first: 10 * (0.5 * a + u) };
    });
    const byFirst = [...cands].sort((x, y) => y.first - x.first);
    const rel = new Map([...cands].sort((x, y) => y.truth - x.truth).slice(0, 3).map((c, i) => [c.id, i === 0 ? 2 : 1]));
    return {
      id: `q${qi}`,
      rel,
      current: byFirst.map((c) => c.id),
      candidates: cands.map((c) => ({ id: c.id, first: c.first, firstRank: byFirst.indexOf(c) + 1, signals: [{ name: 'a', raw: c.a, calibrated: c.a }, { name: 'b', raw: c.b, calibrated: c.b ** 2 }] })),
    };
  });
}

const mean = (xs: number[]) => xs.reduce((s, x) => s + x, 0) / xs.length;

describe('--fit held-out figures', () => {
  it('pools every held-out query once: folds of unequal size (23 queries, 5 folds) do not weigh their queries unequally', () => {
    const qs = synth(23, 5);
    const cv = crossValidate(qs, 5, 42);
    expect(cv.folds.map((f) => f.test.length).sort()).toEqual([4, 4, 5, 5, 5]);
    const byId = new Map(qs.map((q) => [q.id, q]));
    const perQuery = cv.folds.flatMap((f) => f.test.map((id) => meanNdcg([byId.get(id)!], f.params)));
    expect(cv.mean.fitted).toBeCloseTo(mean(perQuery), 12);
    // the current pipeline's and the first stage's orders do not depend on the folds: pooled, they are the plain means
    expect(cv.mean.current).toBeCloseTo(currentNdcg(qs), 12);
    expect(cv.mean.first).toBeCloseTo(firstStageNdcg(qs), 12);
    // this data tells the two apart (the mean of the folds' means is another figure)
    expect(Math.abs(mean(cv.folds.map((f) => f.current)) - currentNdcg(qs))).toBeGreaterThan(1e-4);
    for (const f of cv.folds) for (const id of f.test) expect(cv.fittedByQuery.get(id)).toBeCloseTo(meanNdcg([byId.get(id)!], f.params), 12);
  });

  it('measures the window choice by nested cross-validation: each fold chooses on its training queries only', () => {
    const qs = synth(30, 9);
    const k = 5, seed = 42;
    const fits = [5, 15, 30].map((window) => ({ window, cv: crossValidate(qs.map((q) => cutWindow(q, window)), k, seed) }));
    const w = chooseWindow(qs, fits, k, seed);
    const pooled = (f: (typeof fits)[number]) => f.cv.mean.fitted;
    const top = fits.reduce((a, b) => (pooled(b) > pooled(a) + 1e-9 ? b : a));
    expect(w.chosen).toBe(top.window);
    expect(w.byWindow).toEqual(fits.map((f) => ({ window: f.window, fitted: f.cv.mean.fitted })));
    const byId = new Map(qs.map((q) => [q.id, q]));
    const scores: number[] = [];
    expect(w.nested.folds).toHaveLength(k);
    fits[0]!.cv.folds.forEach((outer, i) => {
      const held = new Set(outer.test);
      // the inner choice, recomputed: a cross-validation of this fold's training queries alone
      const trainOrder = shuffled(qs, seed).filter((q) => !held.has(q.id));
      const innerSame = fits.map((f) => crossValidate(trainOrder.map((q) => cutWindow(q, f.window)), k, seed).mean.fitted);
      const chosen = fits[innerSame.reduce((bi, x, j) => (x > innerSame[bi]! + 1e-9 ? j : bi), 0)]!;
      expect(trainOrder.length + held.size).toBe(qs.length);
      expect(w.nested.folds[i]!.window).toBe(chosen.window);
      const params = chosen.cv.folds[i]!.params;
      const s = outer.test.map((id) => meanNdcg([cutWindow(byId.get(id)!, chosen.window)], params));
      expect(w.nested.folds[i]!.fitted).toBeCloseTo(mean(s), 12);
      scores.push(...s);
    });
    expect(w.nested.fitted).toBeCloseTo(mean(scores), 12);
    expect(w.optimism).toBeCloseTo(top.cv.mean.fitted - w.nested.fitted, 12);
  });
  it("chooses among a hybrid first stage's boosts on each variant's own queries (each boost is its own collection, with its own candidates)", () => {
    // two collections of the same queries: at boost 20 the first stage lost every relevant document
    // (nDCG 0 whatever the fit), at boost 1 it kept them. Listed first, boost 20 wins every tie: a
    // choice made on the other variant's queries would tie and pick it
    const at1 = synth(30, 4);
    const at20 = at1.map((q) => ({ ...q, candidates: q.candidates.filter((c) => !q.rel.has(c.id)), current: q.current.filter((id) => !q.rel.has(id)) }));
    const k = 5, seed = 42;
    const fits = [
      { window: 30, knnBoost: 20, cv: crossValidate(at20, k, seed), queries: at20 },
      { window: 30, knnBoost: 1, cv: crossValidate(at1, k, seed), queries: at1 },
    ];
    expect(fits[0]!.cv.mean.fitted).toBe(0);
    const w = chooseWindow(at20, fits, k, seed);
    expect(w.chosen).toBe(30);
    expect(w.chosenBoost).toBe(1);
    expect(w.byWindow.map((x) => x.knnBoost)).toEqual([20, 1]);
    expect(w.nested.folds.map((f) => f.knnBoost)).toEqual([1, 1, 1, 1, 1]);
    expect(w.nested.fitted).toBeCloseTo(fits[1]!.cv.mean.fitted, 12);
  });
});
