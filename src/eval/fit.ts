/**
 * `vlrerank eval --fit` (issue 14 §2): fit the fusion of a pipeline on judged queries — per-signal
 * weights, calibrated vs raw-cosine fusion (with the raw mode's logistic), and the blend with the
 * first-stage score (its weight and its logistic map) — by coordinate search over fixed grids, and
 * measure it by k-fold cross-validation: each fold's parameters are fitted on the other folds only,
 * and only held-out figures are reported, next to the current pipeline's order and the first
 * stage's on the same held-out queries.
 *
 * A candidate's score is computed exactly as the proxy would with those parameters
 * (src/rerank/fusion.ts `fuse`, src/search/shape.ts `blendScore`/`mapFirstStage`), from values
 * collected once through the proxy (fit-collect.ts). Pure: no I/O, deterministic for a seed.
 */
import { fitLogistic, type LogisticFitOptions } from '../rerank/calibration.js';
import { fuse, logistic, weightedMean, type FusedSignal } from '../rerank/fusion.js';
import { ndcgAt, type Gain, type Judged } from './metrics.js';

/** One hit of one query's window, as the proxy explained it. */
export interface FitCandidate {
  id: string;
  /** The engine's `_score` (null when it gave none). */
  first: number | null;
  /** 1-based first-stage rank: the tie-break, as in the proxy. */
  firstRank: number;
  signals: Array<{ name: string; raw: number; calibrated: number }>;
}

export interface FitQuery {
  id: string;
  candidates: FitCandidate[];
  rel: Judged;
  /** The order the current pipeline returned (its held-out baseline). */
  current: string[];
}

export interface FusionParams {
  mode: 'calibrated' | 'raw';
  weights: Record<string, number>;
  /** The raw mode's logistic over the weighted mean of raw values. */
  raw: { a: number; b: number };
  /** Weight of the mapped first-stage score in the final score (0: the rerank score alone). */
  blend: number;
  /** Logistic map of the engine's score into [0, 1]. */
  map: { a: number; b: number };
}

export const WEIGHT_GRID = [0, 0.05, 0.1, 0.15, 0.2, 0.25, 0.3, 0.4, 0.5, 0.6, 0.75, 0.9, 1, 1.25, 1.5, 2, 2.5, 3, 4, 5];
export const BLEND_GRID = [0, 0.05, 0.1, 0.15, 0.2, 0.3, 0.4, 0.5, 0.6, 0.8];

const signalsOf = (c: FitCandidate, w: Record<string, number>): FusedSignal[] => c.signals.map((s) => ({ name: s.name, raw: s.raw, calibrated: s.calibrated, weight: w[s.name] ?? 0 }));

/** The rerank score is rounded to 6 decimals by the reranker (pair-score.ts): ties there are ties here. */
const r6 = (x: number) => Math.round(x * 1e6) / 1e6;

/** The final score of a candidate under `p`: what `_score` would be through the proxy. */
export function scoreCandidate(c: FitCandidate, p: FusionParams): number {
  const rerank = r6(fuse(signalsOf(c, p.weights), p.mode === 'raw' ? { kind: 'raw', ...p.raw } : { kind: 'calibrated' }));
  if (p.blend === 0) return rerank;
  const mapped = c.first === null || !Number.isFinite(c.first) ? 0 : logistic(p.map.a * c.first + p.map.b);
  return Math.min(1, Math.max(0, (1 - p.blend) * rerank + p.blend * mapped));
}

/** The window ordered by `p` (ties: first-stage rank, as the proxy orders them). */
export function rankQuery(q: FitQuery, p: FusionParams): string[] {
  return q.candidates
    .map((c) => ({ c, s: scoreCandidate(c, p) }))
    .sort((x, y) => y.s - x.s || x.c.firstRank - y.c.firstRank)
    .map((x) => x.c.id);
}

const mean = (xs: number[]) => (xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : 0);

/**
 * The queries in flat arrays for the search loop (hundreds of queries × the window × every trial):
 * the same arithmetic as `scoreCandidate`, without allocating per candidate.
 */
interface Compiled {
  names: string[];
  queries: Array<{ n: number; raw: Float64Array; cal: Float64Array; first: Float64Array; rank: Int32Array; gain: Float64Array; idcg: number }>;
}

const gainOf = (g: number, gain: Gain) => (g <= 0 ? 0 : gain === 'exponential' ? 2 ** g - 1 : g);

function compile(qs: FitQuery[], gain: Gain): Compiled {
  const names = signalNames(qs);
  const at = new Map(names.map((n, i) => [n, i]));
  const S = names.length;
  return {
    names,
    queries: qs.map((q) => {
      const n = q.candidates.length;
      const raw = new Float64Array(n * S).fill(NaN);
      const cal = new Float64Array(n * S).fill(NaN);
      q.candidates.forEach((c, i) => {
        for (const sg of c.signals) {
          raw[i * S + at.get(sg.name)!] = sg.raw;
          cal[i * S + at.get(sg.name)!] = sg.calibrated;
        }
      });
      const ideal = [...q.rel.values()].sort((a, b) => b - a).slice(0, 10);
      return {
        n,
        raw,
        cal,
        first: Float64Array.from(q.candidates, (c) => (c.first === null || !Number.isFinite(c.first) ? NaN : c.first)),
        rank: Int32Array.from(q.candidates, (c) => c.firstRank),
        gain: Float64Array.from(q.candidates, (c) => gainOf(q.rel.get(c.id) ?? 0, gain)),
        idcg: ideal.reduce((acc, g, i) => acc + gainOf(g, gain) / Math.log2(i + 2), 0),
      };
    }),
  };
}

function compiledNdcg(c: Compiled, p: FusionParams): number {
  const S = c.names.length;
  const w = c.names.map((n) => p.weights[n] ?? 0);
  let total = 0;
  for (const q of c.queries) {
    if (q.idcg === 0) continue;
    const scores = new Float64Array(q.n);
    const vals = p.mode === 'raw' ? q.raw : q.cal;
    for (let i = 0; i < q.n; i++) {
      let num = 0, den = 0;
      for (let k = 0; k < S; k++) {
        const x = vals[i * S + k]!;
        if (w[k]! > 0 && Number.isFinite(x)) {
          num += w[k]! * x;
          den += w[k]!;
        }
      }
      let r = den === 0 ? 0 : p.mode === 'raw' ? logistic(p.raw.a * (num / den) + p.raw.b) : num / den;
      r = r6(Math.min(1, Math.max(0, r)));
      if (p.blend !== 0) {
        const f = q.first[i]!;
        r = Math.min(1, Math.max(0, (1 - p.blend) * r + p.blend * (Number.isFinite(f) ? logistic(p.map.a * f + p.map.b) : 0)));
      }
      scores[i] = r;
    }
    const idx = Array.from({ length: q.n }, (_, i) => i).sort((x, y) => scores[y]! - scores[x]! || q.rank[x]! - q.rank[y]!);
    let dcg = 0;
    for (let i = 0; i < Math.min(10, q.n); i++) dcg += q.gain[idx[i]!]! / Math.log2(i + 2);
    total += dcg / q.idcg;
  }
  return c.queries.length ? total / c.queries.length : 0;
}

export function meanNdcg(qs: FitQuery[], p: FusionParams, gain: Gain = 'exponential'): number {
  return mean(qs.map((q) => ndcgAt(rankQuery(q, p), q.rel, 10, gain)));
}

export const firstStageNdcg = (qs: FitQuery[], gain: Gain = 'exponential') =>
  mean(qs.map((q) => ndcgAt([...q.candidates].sort((a, b) => a.firstRank - b.firstRank).map((c) => c.id), q.rel, 10, gain)));
export const currentNdcg = (qs: FitQuery[], gain: Gain = 'exponential') => mean(qs.map((q) => ndcgAt(q.current, q.rel, 10, gain)));

/**
 * Eval's logistic (the first-stage map and the raw-fusion logistic): relevance (grade > 0) on one
 * value, every judged candidate counted once (no class balance: p is the rate of relevance), values
 * standardised so that the ridge 1e-3·n on the slope does not depend on the score's scale (a BM25
 * score or a cosine). The fitter is the calibration's (src/rerank/calibration.ts).
 */
export const scoreLogisticOptions = (n: number): LogisticFitOptions => ({ balance: false, standardise: true, l2: 1e-3 * n, interceptCurvature: 0 });
const fitScoreLogistic = (xs: number[], ys: boolean[]) => fitLogistic(xs, ys.map(Number), scoreLogisticOptions(xs.length));

export interface FitOptions {
  gain?: Gain;
  /** Rounds of coordinate search over the weights. */
  rounds?: number;
  /** Fit only these modes (default both). */
  modes?: Array<FusionParams['mode']>;
}

/** Every signal name seen in the candidates, sorted. */
export function signalNames(qs: FitQuery[]): string[] {
  return [...new Set(qs.flatMap((q) => q.candidates.flatMap((c) => c.signals.map((s) => s.name))))].sort();
}

function coordinateWeights(train: Compiled, p: FusionParams, names: string[], rounds: number): { p: FusionParams; score: number } {
  let best = compiledNdcg(train, p);
  for (let r = 0; r < rounds; r++) {
    let moved = false;
    for (const name of names) {
      for (const w of WEIGHT_GRID) {
        if (w === p.weights[name]) continue;
        const trial = { ...p, weights: { ...p.weights, [name]: w } };
        if (Object.values(trial.weights).every((x) => x === 0)) continue;
        const s = compiledNdcg(train, trial);
        if (s > best + 1e-9) {
          best = s;
          p = trial;
          moved = true;
        }
      }
    }
    if (!moved) break;
  }
  return { p, score: best };
}

/** Fit every parameter on `train` (see the module header). */
export function fitFusion(train: FitQuery[], o: FitOptions = {}): { params: FusionParams; trainNdcg: number } {
  const gain = o.gain ?? 'exponential';
  const names = signalNames(train);
  const compiled = compile(train, gain);
  const cands = train.flatMap((q) => q.candidates.map((c) => ({ c, y: (q.rel.get(c.id) ?? 0) > 0 })));
  const firstSeen = cands.filter((x) => x.c.first !== null && Number.isFinite(x.c.first));
  const map = fitScoreLogistic(firstSeen.map((x) => x.c.first!), firstSeen.map((x) => x.y));
  let best: { params: FusionParams; trainNdcg: number } | undefined;
  for (const mode of o.modes ?? ['calibrated', 'raw']) {
    let p: FusionParams = { mode, weights: Object.fromEntries(names.map((n) => [n, 1])), raw: { a: 1, b: 0 }, blend: 0, map };
    p = coordinateWeights(compiled, p, names, o.rounds ?? 3).p;
    if (mode === 'raw') {
      const xs = cands.map((x) => weightedMean(signalsOf(x.c, p.weights), (s) => s.raw));
      const keep = xs.map((x, i) => ({ x, y: cands[i]!.y })).filter((v): v is { x: number; y: boolean } => v.x !== undefined);
      p = { ...p, raw: fitScoreLogistic(keep.map((v) => v.x), keep.map((v) => v.y)) };
    }
    let score = compiledNdcg(compiled, p);
    for (const blend of BLEND_GRID) {
      const s = compiledNdcg(compiled, { ...p, blend });
      if (s > score + 1e-9) {
        score = s;
        p = { ...p, blend };
      }
    }
    if (p.blend > 0) ({ p, score } = coordinateWeights(compiled, p, names, 1));
    // ties keep the first mode tried (calibrated, the default)
    if (!best || score > best.trainNdcg + 1e-9) best = { params: p, trainNdcg: score };
  }
  return best!;
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

export interface FoldResult {
  fold: number;
  /** Ids of the held-out queries (never seen by this fold's fit). */
  test: string[];
  trainQueries: number;
  params: FusionParams;
  /** Held-out nDCG@10: the fitted parameters, the current pipeline's order, the first stage's. */
  fitted: number;
  current: number;
  first: number;
}

export interface CrossValidation {
  folds: FoldResult[];
  mean: { fitted: number; current: number; first: number };
  /** Fitted on every query: the parameters to ship (their figure is the held-out mean above). */
  final: FusionParams;
}

/** k-fold cross-validation of `fitFusion` over the queries (each needs a relevant judgement). */
export function crossValidate(qs: FitQuery[], k: number, seed: number, o: FitOptions = {}): CrossValidation {
  const gain = o.gain ?? 'exponential';
  const order = shuffled(qs, seed);
  const folds: FoldResult[] = [];
  for (let f = 0; f < k; f++) {
    const test = order.filter((_, i) => i % k === f);
    const train = order.filter((_, i) => i % k !== f);
    const { params } = fitFusion(train, o);
    folds.push({ fold: f + 1, test: test.map((q) => q.id), trainQueries: train.length, params, fitted: meanNdcg(test, params, gain), current: currentNdcg(test, gain), first: firstStageNdcg(test, gain) });
  }
  const m = (key: 'fitted' | 'current' | 'first') => mean(folds.map((x) => x[key]));
  return { folds, mean: { fitted: m('fitted'), current: m('current'), first: m('first') }, final: fitFusion(order, o).params };
}
