/**
 * The fusion fitter of `vlrerank eval --fit` on synthetic signals whose right weights are known:
 * it must recover them (raw-cosine mode, the weight ratio, a useless signal switched off, a
 * first-stage blend exactly when the first stage carries information), and its cross-validation
 * must fit each fold without that fold's queries.
 */
import { describe, expect, it } from 'vitest';
import { crossValidate, cutWindow, fitFusion, mapFirst, meanNdcg, rankQuery, scoreCandidate, scoreLogisticOptions, shuffled, type FitQuery } from '../../../src/eval/fit.js';
import { fitLogistic } from '../../../src/rerank/calibration.js';
import { mapFirstStage } from '../../../src/search/shape.js';

/** A seeded uniform generator, so the data are the same every run. */
function rng(seed: number): () => number {
  const order = shuffled(Array.from({ length: 100_000 }, (_, i) => i / 100_000), seed);
  let i = 0;
  return () => order[i++ % order.length]!;
}
const sigmoid = (x: number) => 1 / (1 + Math.exp(-x));

/** Relevance from `truth` (grade 2 for the best candidate, 1 for the next two); first-stage score `first`. */
function synth(n: number, seed: number, make: (r: () => number) => { raw: Record<string, number>; truth: number; first: number }): FitQuery[] {
  const r = rng(seed);
  return Array.from({ length: n }, (_, qi) => {
    const cands = Array.from({ length: 30 }, (_, ci) => ({ id: `q${qi}d${ci}`, ...make(r) }));
    const byFirst = [...cands].sort((a, b) => b.first - a.first);
    const byTruth = [...cands].sort((a, b) => b.truth - a.truth);
    const rel = new Map(byTruth.slice(0, 3).map((c, i) => [c.id, i === 0 ? 2 : 1]));
    const candidates = cands.map((c) => ({
      id: c.id,
      first: c.first,
      firstRank: byFirst.indexOf(c) + 1,
      // calibrations that bend each signal differently, so the calibrated mean ranks otherwise than the raw one
      signals: Object.entries(c.raw).map(([name, raw]) => ({ name, raw, calibrated: name === 'a' ? sigmoid(12 * (raw - 0.5)) : name === 'b' ? raw ** 3 : raw })),
    }));
    return { id: `q${qi}`, candidates, rel, current: byFirst.map((c) => c.id) };
  });
}

describe('fusion fitter', () => {
  it('recovers raw-cosine fusion with weights a : b = 4 : 1 and switches the noise signal off', () => {
    const qs = synth(200, 7, (r) => {
      const a = r(), b = r(), noise = r();
      return { raw: { a, b, noise }, truth: a + 0.25 * b, first: r() };
    });
    const { params, trainNdcg } = fitFusion(qs);
    expect(params.mode).toBe('raw');
    expect(params.weights.a! / params.weights.b!).toBeGreaterThanOrEqual(3.3);
    expect(params.weights.a! / params.weights.b!).toBeLessThanOrEqual(5);
    expect(params.weights.noise! / params.weights.a!).toBeLessThanOrEqual(0.05);
    // the first stage here is noise: no blend
    expect(params.blend).toBe(0);
    expect(trainNdcg).toBeGreaterThan(0.97);
    // the search loop's fast arithmetic is the definition's (fuse + blend, ordered as the proxy orders)
    expect(trainNdcg).toBeCloseTo(meanNdcg(qs, params), 9);
    // the raw logistic is fitted (relevance rises with the fused raw value) and every score is in [0, 1]
    expect(params.raw.a).toBeGreaterThan(0);
    for (const c of qs[0]!.candidates) expect(scoreCandidate(c, params)).toBeGreaterThanOrEqual(0);
  });

  it('blends in the first stage when it carries what the signals miss, with a map that rises with its score', () => {
    const qs = synth(200, 11, (r) => {
      const a = r(), u = r();
      return { raw: { a }, truth: a + 0.6 * u, first: 20 * u };
    });
    const { params } = fitFusion(qs);
    expect(params.blend).toBeGreaterThan(0);
    expect(mapFirst(15, params.map)).toBeGreaterThan(mapFirst(5, params.map));
    const alone = meanNdcg(qs, { ...params, blend: 0 });
    expect(meanNdcg(qs, params)).toBeGreaterThan(alone + 0.1);
  });

  it('picks a saturation map when relevance follows ln(1 + score) over BM25-like scores (SciFact, issue 14)', () => {
    // scores spread over tens, relevance rising with their log: a logistic of the score is nearly flat
    // or a step over that range; s/(s+k) with k near the scores' middle follows the log
    const qs = synth(300, 17, (r) => {
      const a = r(), s = 2 + 80 * r() ** 2;
      return { raw: { a }, truth: a + 0.35 * Math.log1p(s), first: s };
    });
    const { params, trainNdcg } = fitFusion(qs, { modes: ['calibrated'] });
    expect(params.blend).toBeGreaterThan(0);
    expect('saturation' in params.map).toBe(true);
    const logistic = fitFusion(qs, { modes: ['calibrated'], maps: 'logistic' });
    expect(trainNdcg).toBeGreaterThan(logistic.trainNdcg);
  });

  it('recovers log-odds fusion when relevance is the mean of the signals\u2019 log-odds, and scores it as the proxy would', () => {
    // signal a's calibration saturates near 1 (sigmoid of 12·(raw − 0.5)); relevance follows the
    // mean of both calibrated signals' log-odds, which the plain calibrated mean flattens near 1
    const logit = (p: number) => Math.log(Math.min(1 - 1e-6, Math.max(1e-6, p)) / (1 - Math.min(1 - 1e-6, Math.max(1e-6, p))));
    const qs = synth(200, 29, (r) => {
      const a = r(), b = 0.2 + 0.6 * r();
      return { raw: { a, b }, truth: logit(sigmoid(12 * (a - 0.5))) + logit(b ** 3), first: r() };
    });
    const { params, trainNdcg } = fitFusion(qs, { modes: ['calibrated', 'logodds'] });
    expect(params.mode).toBe('logodds');
    expect(trainNdcg).toBeGreaterThan(fitFusion(qs, { modes: ['calibrated'] }).trainNdcg);
    // the fitter's fast path and the proxy's fuse() rank alike
    expect(meanNdcg(qs, params)).toBeCloseTo(trainNdcg, 9);
    const c = qs[0]!.candidates[0]!;
    const p = { ...params, blend: 0 };
    const w = (n: string) => p.weights[n] ?? 0;
    const num = c.signals.reduce((acc, s) => acc + w(s.name) * logit(s.calibrated), 0);
    const den = c.signals.reduce((acc, s) => acc + w(s.name), 0);
    expect(scoreCandidate(c, p)).toBeCloseTo(sigmoid(num / den), 6);
  });

  it('cuts a collected window to a smaller one: the first W of the first stage, the current order restricted to them', () => {
    const [q] = synth(1, 23, (r) => ({ raw: { a: r() }, truth: r(), first: r() }));
    const cut = cutWindow(q!, 10);
    expect(cut.candidates.map((c) => c.firstRank).sort((a, b) => a - b)).toEqual(Array.from({ length: 10 }, (_, i) => i + 1));
    const ids = new Set(cut.candidates.map((c) => c.id));
    expect(cut.current).toEqual(q!.current.filter((id) => ids.has(id)));
    expect(cut.current).toHaveLength(10);
    expect(cutWindow(q!, 30).candidates).toHaveLength(30);
  });

  it('maps the engine score exactly as the proxy does (both map kinds, no score, negative scores)', () => {
    for (const map of [{ logistic: { a: 0.3, b: -4 } }, { saturation: 20 }]) {
      for (const s of [null, -3, 0, 0.5, 12, 55.5, 400]) expect(mapFirst(s, map)).toBe(mapFirstStage(s, map));
    }
  });

  it('cross-validates: folds partition the queries, each fitted without its own, figures are the held-out ones', () => {
    const qs = synth(100, 3, (r) => {
      const a = r(), b = r();
      return { raw: { a, b }, truth: a + 0.25 * b, first: r() };
    });
    const cv = crossValidate(qs, 5, 42);
    const all = cv.folds.flatMap((f) => f.test).sort();
    expect(all).toEqual(qs.map((q) => q.id).sort());
    for (const f of cv.folds) {
      expect(f.trainQueries).toBe(qs.length - f.test.length);
      const test = qs.filter((q) => f.test.includes(q.id));
      expect(f.fitted).toBeCloseTo(meanNdcg(test, f.params), 12);
    }
    expect(cv.mean.fitted).toBeGreaterThan(cv.mean.current);
    // the same seed gives the same folds
    expect(crossValidate(qs, 5, 42).folds.map((f) => f.test)).toEqual(cv.folds.map((f) => f.test));
    expect(rankQuery(qs[0]!, cv.final)).toHaveLength(30);
  });

  it('fits a logistic that recovers a known slope and intercept', () => {
    const r = rng(5);
    const xs: number[] = [];
    const ys: boolean[] = [];
    for (let i = 0; i < 20_000; i++) {
      const x = r() * 10;
      xs.push(x);
      ys.push(r() < sigmoid(0.8 * x - 4));
    }
    const { a, b } = fitLogistic(xs, ys.map(Number), scoreLogisticOptions(xs.length));
    expect(a).toBeCloseTo(0.8, 1);
    expect(b).toBeCloseTo(-4, 0);
  });
});
