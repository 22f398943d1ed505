/**
 * `vlrerank eval --fit` (issue 14 §2): fit the fusion of a pipeline on judged queries — per-signal
 * weights, calibrated / log-odds / raw-cosine fusion (with the raw mode's logistic), and the blend with the
 * first-stage score (its weight and its map: a logistic fitted to relevance, or a saturation
 * s/(s+k) with k from a grid — the pair-only shape closest to the ln(1 + bm25) term that lifts
 * SciFact, issue 14) — by coordinate search over fixed grids, and
 * measure it by k-fold cross-validation: each fold's parameters are fitted on the other folds only,
 * and only held-out figures are reported, next to the current pipeline's order and the first
 * stage's on the same held-out queries.
 *
 * A candidate's score is computed exactly as the proxy would with those parameters
 * (src/rerank/fusion.ts `fuse`, src/search/shape.ts `blendScore`/`mapFirstStage`), from values
 * collected once through the proxy (fit-collect.ts). Pure: no I/O, deterministic for a seed.
 */
import { fuse, logistic, logit, weightedMean, type FusedSignal } from '../rerank/fusion.js';
import { ndcgAt, type Gain, type Judged } from './metrics.js';
import { fitScoreLogistic, scoreLogisticOptions, shuffled } from './fit-math.js';

export { scoreLogisticOptions, shuffled };

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
  mode: 'calibrated' | 'logodds' | 'raw';
  weights: Record<string, number>;
  /** The raw mode's logistic over the weighted mean of raw values. */
  raw: { a: number; b: number };
  /** Weight of the mapped first-stage score in the final score (0: the rerank score alone). */
  blend: number;
  /** Pair-only map of the engine's score into [0, 1]: the pipeline's `first_stage.fusion.map`. */
  map: FirstMap;
}

/** The shape of a pipeline's `first_stage.fusion.map` (src/pipelines/schema.ts `firstStageMapSchema`). */
export type FirstMap = { logistic: { a: number; b: number } } | { saturation: number };

/** The engine score mapped as the proxy maps it (src/search/shape.ts `mapFirstStage`); no score = 0. */
export function mapFirst(s: number | null, map: FirstMap): number {
  if (s === null || !Number.isFinite(s)) return 0;
  if ('logistic' in map) return logistic(map.logistic.a * s + map.logistic.b);
  return s <= 0 ? 0 : s / (s + map.saturation);
}

export const WEIGHT_GRID = [0, 0.05, 0.1, 0.15, 0.2, 0.25, 0.3, 0.4, 0.5, 0.6, 0.75, 0.9, 1, 1.25, 1.5, 2, 2.5, 3, 4, 5];
export const BLEND_GRID = [0, 0.02, 0.03, 0.05, 0.075, 0.1, 0.15, 0.2, 0.3, 0.4, 0.5, 0.6, 0.8];
/** Saturation constants k tried for `map: {saturation: k}` (BM25 and kNN scores are ≥ 0; BM25's run to tens). */
export const SATURATION_GRID = [0.5, 1, 2, 5, 10, 20, 30, 50, 75, 100, 150];

const signalsOf = (c: FitCandidate, w: Record<string, number>): FusedSignal[] => c.signals.map((s) => ({ name: s.name, raw: s.raw, calibrated: s.calibrated, weight: w[s.name] ?? 0 }));

/** The rerank score is rounded to 6 decimals by the reranker (pair-score.ts): ties there are ties here. */
const r6 = (x: number) => Math.round(x * 1e6) / 1e6;

/** The final score of a candidate under `p`: what `_score` would be through the proxy. */
export function scoreCandidate(c: FitCandidate, p: FusionParams): number {
  const rerank = r6(fuse(signalsOf(c, p.weights), p.mode === 'raw' ? { kind: 'raw', ...p.raw } : { kind: p.mode }));
  if (p.blend === 0) return rerank;
  const mapped = mapFirst(c.first, p.map);
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
  queries: Array<{ n: number; raw: Float64Array; cal: Float64Array; /** logit(cal), for the logodds mode */ lo: Float64Array; first: Float64Array; rank: Int32Array; gain: Float64Array; idcg: number }>;
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
      const lo = new Float64Array(n * S).fill(NaN);
      q.candidates.forEach((c, i) => {
        for (const sg of c.signals) {
          raw[i * S + at.get(sg.name)!] = sg.raw;
          cal[i * S + at.get(sg.name)!] = sg.calibrated;
          lo[i * S + at.get(sg.name)!] = logit(sg.calibrated);
        }
      });
      const ideal = [...q.rel.values()].sort((a, b) => b - a).slice(0, 10);
      return {
        n,
        raw,
        cal,
        lo,
        first: Float64Array.from(q.candidates, (c) => (c.first === null || !Number.isFinite(c.first) ? NaN : c.first)),
        rank: Int32Array.from(q.candidates, (c) => c.firstRank),
        gain: Float64Array.from(q.candidates, (c) => gainOf(q.rel.get(c.id) ?? 0, gain)),
        idcg: ideal.reduce((acc, g, i) => acc + gainOf(g, gain) / Math.log2(i + 2), 0),
      };
    }),
  };
}

/** Each query's rerank scores under `p`'s mode and weights (the blend left out). */
function rerankScores(c: Compiled, p: FusionParams): Float64Array[] {
  const S = c.names.length;
  const w = c.names.map((n) => p.weights[n] ?? 0);
  return c.queries.map((q) => {
    const scores = new Float64Array(q.n);
    const vals = p.mode === 'raw' ? q.raw : p.mode === 'logodds' ? q.lo : q.cal;
    for (let i = 0; i < q.n; i++) {
      let num = 0, den = 0;
      for (let k = 0; k < S; k++) {
        const x = vals[i * S + k]!;
        if (w[k]! > 0 && Number.isFinite(x)) {
          num += w[k]! * x;
          den += w[k]!;
        }
      }
      const r = den === 0 ? 0 : p.mode === 'raw' ? logistic(p.raw.a * (num / den) + p.raw.b) : p.mode === 'logodds' ? logistic(num / den) : num / den;
      scores[i] = r6(Math.min(1, Math.max(0, r)));
    }
    return scores;
  });
}

/** Each query's mapped first-stage scores under `map`. */
const mappedFirst = (c: Compiled, map: FirstMap): Float64Array[] =>
  c.queries.map((q) => Float64Array.from(q.first, (f) => mapFirst(Number.isFinite(f) ? f : null, map)));

/** Mean nDCG@10 of `(1 − blend)·rerank + blend·mapped` (clamped), ties by first-stage rank; top 10 by selection. */
function ndcgOf(c: Compiled, rerank: Float64Array[], mapped: Float64Array[] | undefined, blend: number): number {
  let total = 0;
  const top = new Int32Array(10);
  const topS = new Float64Array(10);
  c.queries.forEach((q, qi) => {
    if (q.idcg === 0) return;
    const r = rerank[qi]!;
    const m = mapped?.[qi];
    let k = 0;
    for (let i = 0; i < q.n; i++) {
      const s = blend === 0 || !m ? r[i]! : Math.min(1, Math.max(0, (1 - blend) * r[i]! + blend * m[i]!));
      // insert i into the sorted top list (score desc, first-stage rank asc) if it belongs there
      let j = k < 10 ? k : 10;
      while (j > 0 && (s > topS[j - 1]! || (s === topS[j - 1]! && q.rank[i]! < q.rank[top[j - 1]!]!))) {
        if (j < 10) {
          topS[j] = topS[j - 1]!;
          top[j] = top[j - 1]!;
        }
        j--;
      }
      if (j < 10) {
        topS[j] = s;
        top[j] = i;
        if (k < 10) k++;
      }
    }
    let dcg = 0;
    for (let i = 0; i < k; i++) dcg += q.gain[top[i]!]! / Math.log2(i + 2);
    total += dcg / q.idcg;
  });
  return c.queries.length ? total / c.queries.length : 0;
}

function compiledNdcg(c: Compiled, p: FusionParams): number {
  return ndcgOf(c, rerankScores(c, p), p.blend !== 0 ? mappedFirst(c, p.map) : undefined, p.blend);
}

export function meanNdcg(qs: FitQuery[], p: FusionParams, gain: Gain = 'exponential'): number {
  return mean(qs.map((q) => ndcgAt(rankQuery(q, p), q.rel, 10, gain)));
}

export const firstStageNdcg = (qs: FitQuery[], gain: Gain = 'exponential') =>
  mean(qs.map((q) => ndcgAt([...q.candidates].sort((a, b) => a.firstRank - b.firstRank).map((c) => c.id), q.rel, 10, gain)));
export const currentNdcg = (qs: FitQuery[], gain: Gain = 'exponential') => mean(qs.map((q) => ndcgAt(q.current, q.rel, 10, gain)));

export interface FitOptions {
  gain?: Gain;
  /** Rounds of coordinate search over the weights. */
  rounds?: number;
  /** Fit only these modes (default all three). */
  modes?: Array<FusionParams['mode']>;
  /** First-stage maps tried: the fitted logistic alone, or it and the saturation grid (default). */
  maps?: 'logistic' | 'all';
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
  const fitted: FirstMap = { logistic: fitScoreLogistic(firstSeen.map((x) => x.c.first!), firstSeen.map((x) => x.y)) };
  // saturation needs scores ≥ 0 (BM25, kNN similarity): offered only when every seen score is
  const maps: FirstMap[] = [fitted, ...(o.maps !== 'logistic' && firstSeen.every((x) => x.c.first! >= 0) ? SATURATION_GRID.map((k) => ({ saturation: k })) : [])];
  let best: { params: FusionParams; trainNdcg: number } | undefined;
  for (const mode of o.modes ?? (['logodds', 'calibrated', 'raw'] as const)) {
    let p: FusionParams = { mode, weights: Object.fromEntries(names.map((n) => [n, 1])), raw: { a: 1, b: 0 }, blend: 0, map: fitted };
    p = coordinateWeights(compiled, p, names, o.rounds ?? 3).p;
    if (mode === 'raw') {
      const xs = cands.map((x) => weightedMean(signalsOf(x.c, p.weights), (s) => s.raw));
      const keep = xs.map((x, i) => ({ x, y: cands[i]!.y })).filter((v): v is { x: number; y: boolean } => v.x !== undefined);
      p = { ...p, raw: fitScoreLogistic(keep.map((v) => v.x), keep.map((v) => v.y)) };
    }
    let score = compiledNdcg(compiled, p);
    const noBlend = p;
    const rerank = rerankScores(compiled, p);
    for (const m of maps) {
      const mapped = mappedFirst(compiled, m);
      for (const blend of BLEND_GRID) {
        if (blend === 0) continue;
        const s = ndcgOf(compiled, rerank, mapped, blend);
        if (s > score + 1e-9) {
          score = s;
          p = { ...noBlend, blend, map: m };
        }
      }
    }
    if (p.blend > 0) ({ p, score } = coordinateWeights(compiled, p, names, 1));
    // ties keep the first mode tried (logodds, the default)
    if (!best || score > best.trainNdcg + 1e-9) best = { params: p, trainNdcg: score };
  }
  return best!;
}

/**
 * The query as a search with the first `window` hits of the same first stage would have collected
 * it: the candidates ranked ≤ window, and the current pipeline's order restricted to them (exact
 * when its fusion is pair-only, `none` or `blend`: a hit's score does not depend on the others).
 */
export function cutWindow(q: FitQuery, window: number): FitQuery {
  const candidates = q.candidates.filter((c) => c.firstRank <= window);
  const kept = new Set(candidates.map((c) => c.id));
  return { ...q, candidates, current: q.current.filter((id) => kept.has(id)) };
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
  /** Held-out nDCG@10 pooled: each query counted once, in the fold that held it out (folds of unequal size averaged as folds weighed their queries unequally, round 14c). */
  mean: { fitted: number; current: number; first: number };
  /** Each query's held-out nDCG@10 under the parameters of the fold that held it out. */
  fittedByQuery: Map<string, number>;
  /** Fitted on every query: the parameters to ship (their figure is the held-out mean above); fold 1's with `final: false`. */
  final: FusionParams;
}

/** k-fold cross-validation of `fitFusion` over the queries (each needs a relevant judgement); `final: false` skips the fit on every query. */
export function crossValidate(qs: FitQuery[], k: number, seed: number, o: FitOptions & { final?: boolean } = {}): CrossValidation {
  const gain = o.gain ?? 'exponential';
  const order = shuffled(qs, seed);
  const folds: FoldResult[] = [];
  const per = { fitted: [] as number[], current: [] as number[], first: [] as number[] };
  const fittedByQuery = new Map<string, number>();
  for (let f = 0; f < k; f++) {
    const test = order.filter((_, i) => i % k === f);
    const train = order.filter((_, i) => i % k !== f);
    const { params } = fitFusion(train, o);
    const fitted = test.map((q) => ndcgAt(rankQuery(q, params), q.rel, 10, gain));
    test.forEach((q, i) => fittedByQuery.set(q.id, fitted[i]!));
    const current = test.map((q) => currentNdcg([q], gain));
    const first = test.map((q) => firstStageNdcg([q], gain));
    per.fitted.push(...fitted);
    per.current.push(...current);
    per.first.push(...first);
    folds.push({ fold: f + 1, test: test.map((q) => q.id), trainQueries: train.length, params, fitted: mean(fitted), current: mean(current), first: mean(first) });
  }
  const final = o.final === false ? folds[0]!.params : fitFusion(order, o).params;
  return { folds, mean: { fitted: mean(per.fitted), current: mean(per.current), first: mean(per.first) }, fittedByQuery, final };
}
