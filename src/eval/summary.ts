/**
 * What one evaluation run holds (per configuration, per query: the first-stage and the reranked
 * order of the window, timings, degradation, feature sources) and the figures computed from it —
 * the same figures go to the JSON output and to the HTML report.
 *
 * Pure: computes from the recorded orders only; never runs a search or reads a file.
 */
import { bestJudged, distribution, hasRelevant, mean, meanRankShift, mrrAt, ndcgAt, overlapAt, positionOf, promotedInto, recallAt, type Distribution, type Gain, type Judged } from './metrics.js';
import type { EvalQuery, Qrels } from './judgements.js';
import { partialOf, type EvalStop, type PartialRun } from './stop.js';

/** One query through one configuration. */
export interface QueryRun {
  id: string;
  /** The first stage's order of the window (as the proxy ran it). */
  first: string[];
  /** The returned order of the same window. */
  reranked: string[];
  /** Per-stage milliseconds as the response reports them (`vlrerank.timings`, or the API's `timings`). */
  timings: Record<string, number>;
  /** Wall time of the request, measured by the client. */
  wallMs: number;
  /** The degradation reason when the response fell back to the first stage. */
  degraded?: string;
  /** Hits whose media could not be read. */
  documentErrors: number;
  /** The first of them, as "document: code: reason" (the API) or "code: reason" (the proxy's report names no document). */
  documentErrorFirst?: string;
  /** Feature-source counts the response reports (feature-cache hits/misses, store tiers). */
  featureSources: Record<string, number>;
}

export interface ConfigRun {
  name: string;
  pipeline?: string;
  window: number;
  queries: QueryRun[];
}

export interface Quality {
  ndcg10: number;
  mrr10: number;
  recall10: number;
  /** Recall within the whole window (the ceiling reranking can reach). */
  recallWindow: number;
}

export interface ConfigFigures {
  name: string;
  pipeline?: string;
  window: number;
  queries: number;
  /** Queries averaged over for the quality figures: every judged one (one without a relevant document counts 0, as in trec_eval and BEIR). */
  judged: number;
  first?: Quality;
  reranked?: Quality;
  agreement: { overlap10: number; top1Same: number; meanRankShift10: number; promoted10: number };
  latency: Record<string, Distribution>;
  degraded: number;
  degradedReasons: Record<string, number>;
  documentErrors: number;
  featureSources: Record<string, number>;
}

export interface QueryRow {
  id: string;
  query: { text?: string; image?: string; video?: string };
  config: string;
  first: { ndcg10?: number; top: string | undefined; bestPosition?: number | null };
  reranked: { ndcg10?: number; top: string | undefined; bestPosition?: number | null };
  best?: string;
  delta?: number;
  rankShift10: number;
  degraded?: string;
}

export interface EvalResult {
  tool: 'vlrerank eval';
  mode: 'proxy' | 'api';
  target: Record<string, unknown>;
  gain: Gain;
  created: string;
  judged: boolean;
  configs: ConfigFigures[];
  /** Per query of the first configuration: the wins and losses the report shows come from these. */
  focus: string;
  perQuery: QueryRow[];
  notes: string[];
  /** Present when the run stopped early (a signal, a failed search): the figures cover `searches` of `of`. */
  partial?: PartialRun;
}

const r4 = (x: number) => Math.round(x * 1e4) / 1e4;

function quality(runs: QueryRun[], qrels: Qrels, pick: (r: QueryRun) => string[], window: number, gain: Gain): Quality {
  // every judged query, those without a relevant document counting 0 (trec_eval, pytrec_eval, BEIR)
  const judged = runs.filter((r) => qrels.has(r.id));
  const rel = (r: QueryRun) => qrels.get(r.id) as Judged;
  return {
    ndcg10: r4(mean(judged.map((r) => ndcgAt(pick(r), rel(r), 10, gain)))),
    mrr10: r4(mean(judged.map((r) => mrrAt(pick(r), rel(r), 10)))),
    recall10: r4(mean(judged.map((r) => recallAt(pick(r), rel(r), 10)))),
    recallWindow: r4(mean(judged.map((r) => recallAt(pick(r), rel(r), window)))),
  };
}

export function figuresOf(run: ConfigRun, qrels: Qrels | undefined, gain: Gain): ConfigFigures {
  const qs = run.queries;
  const stages = [...new Set(qs.flatMap((q) => Object.keys(q.timings)))];
  const latency: Record<string, Distribution> = {};
  for (const s of stages) latency[s] = distribution(qs.filter((q) => q.timings[s] !== undefined).map((q) => q.timings[s]!));
  latency.wall_ms = distribution(qs.map((q) => q.wallMs));
  const reasons: Record<string, number> = {};
  for (const q of qs) if (q.degraded) reasons[q.degraded] = (reasons[q.degraded] ?? 0) + 1;
  const sources: Record<string, number> = {};
  for (const q of qs) for (const [k, v] of Object.entries(q.featureSources)) sources[k] = (sources[k] ?? 0) + v;
  const judged = qrels ? qs.filter((q) => qrels.has(q.id)).length : 0;
  return {
    name: run.name,
    ...(run.pipeline ? { pipeline: run.pipeline } : {}),
    window: run.window,
    queries: qs.length,
    judged,
    ...(qrels && judged ? { first: quality(qs, qrels, (r) => r.first, run.window, gain), reranked: quality(qs, qrels, (r) => r.reranked, run.window, gain) } : {}),
    agreement: {
      overlap10: r4(mean(qs.map((q) => overlapAt(q.first, q.reranked, 10)))),
      top1Same: r4(mean(qs.map((q) => (q.first[0] !== undefined && q.first[0] === q.reranked[0] ? 1 : 0)))),
      meanRankShift10: r4(mean(qs.map((q) => meanRankShift(q.first, q.reranked, 10)))),
      promoted10: r4(mean(qs.map((q) => promotedInto(q.first, q.reranked, 10)))),
    },
    latency,
    degraded: qs.filter((q) => q.degraded).length,
    degradedReasons: reasons,
    documentErrors: qs.reduce((s, q) => s + q.documentErrors, 0),
    featureSources: sources,
  };
}

export function queryRows(run: ConfigRun, queries: EvalQuery[], qrels: Qrels | undefined, gain: Gain): QueryRow[] {
  const byId = new Map(queries.map((q) => [q.id, q]));
  return run.queries.map((r) => {
    const q = byId.get(r.id);
    const rel = qrels?.get(r.id);
    const judged = hasRelevant(rel);
    const best = judged ? bestJudged(rel, r.first.length ? r.first : r.reranked) : undefined;
    const f = rel ? ndcgAt(r.first, rel, 10, gain) : undefined;
    const x = rel ? ndcgAt(r.reranked, rel, 10, gain) : undefined;
    return {
      id: r.id,
      query: { ...(q?.text ? { text: q.text } : {}), ...(q?.image ? { image: q.image } : {}), ...(q?.video ? { video: q.video } : {}) },
      config: run.name,
      first: { ...(f !== undefined ? { ndcg10: r4(f) } : {}), top: r.first[0], ...(judged ? { bestPosition: positionOf(r.first, best) } : {}) },
      reranked: { ...(x !== undefined ? { ndcg10: r4(x) } : {}), top: r.reranked[0], ...(judged ? { bestPosition: positionOf(r.reranked, best) } : {}) },
      ...(best !== undefined ? { best } : {}),
      ...(f !== undefined && x !== undefined ? { delta: r4(x - f) } : {}),
      rankShift10: r4(meanRankShift(r.first, r.reranked, 10)),
      ...(r.degraded ? { degraded: r.degraded } : {}),
    };
  });
}

export function summarise(opts: { mode: 'proxy' | 'api'; target: Record<string, unknown>; runs: ConfigRun[]; queries: EvalQuery[]; qrels?: Qrels; gain: Gain; notes?: string[]; stopped?: EvalStop }): EvalResult {
  const s = opts.stopped;
  const judged = !!opts.qrels && opts.qrels.size > 0;
  const qrels = judged ? opts.qrels : undefined;
  return {
    tool: 'vlrerank eval',
    mode: opts.mode,
    target: opts.target,
    gain: opts.gain,
    created: new Date().toISOString(),
    judged,
    configs: opts.runs.map((r) => figuresOf(r, qrels, opts.gain)),
    focus: opts.runs[0]?.name ?? '',
    perQuery: opts.runs[0] ? queryRows(opts.runs[0], opts.queries, qrels, opts.gain) : [],
    notes: [...(opts.notes ?? []), ...gradedGain(opts.runs, qrels, opts.gain), ...emptyFirstStage(opts.runs), ...shortWindows(opts.runs), ...smallWindows(opts.runs, judged), ...mediaErrors(opts.runs)],
    ...(s ? { partial: partialOf(s) } : {}),
  };
}

/**
 * Configurations whose first stage never filled the window (an index, or a query's matches, smaller
 * than it): `--window 200` on 60 documents measured a window of 60, and said nothing (held-out eval
 * probe round).
 */
function shortWindows(runs: ConfigRun[]): string[] {
  return runs.flatMap((r) => {
    const most = Math.max(0, ...r.queries.map((q) => q.first.length));
    return r.queries.length && most < r.window ? [`${r.name}: the first stage returned at most ${most} candidates, fewer than the window: its figures are those of a window of ${most} or less`] : [];
  });
}

/**
 * Graded judgements under the default gain: nDCG@10 then differs from trec_eval's and BEIR's
 * (pytrec_eval's `ndcg_cut` takes the grade itself as the gain); only the JSON and the report named
 * the gain, the printed figures did not (held-out probe round 14c: 0.567 here, 0.502 by pytrec_eval).
 */
function gradedGain(runs: ConfigRun[], qrels: Qrels | undefined, gain: Gain): string[] {
  if (!qrels || gain !== 'exponential') return [];
  const evaluated = new Set(runs.flatMap((r) => r.queries.map((q) => q.id)));
  const top = Math.max(0, ...[...evaluated].flatMap((id) => [...(qrels.get(id)?.values() ?? [])]));
  return top > 1 ? [`graded judgements (up to ${top}): nDCG@10 takes 2^grade−1 as the gain; trec_eval and BEIR (pytrec_eval) take the grade itself — --gain linear gives their figure`] : [];
}

/**
 * Queries the first stage found nothing for: nothing was reranked, and each counts 0 in every
 * quality figure (as pytrec_eval counts an empty ranking) — 1 query in 4 with no candidate moved
 * the means without a word (held-out probe round 14c).
 */
function emptyFirstStage(runs: ConfigRun[]): string[] {
  const ids = [...new Set(runs.flatMap((r) => r.queries.filter((q) => !q.first.length && !q.reranked.length).map((q) => q.id)))];
  if (!ids.length) return [];
  return [`${ids.length} queries got no candidate from the first stage (e.g. ${ids.slice(0, 3).map((id) => `"${id}"`).join(', ')}): nothing to rerank, each counts 0 in nDCG, MRR and recall (as trec_eval -c and pytrec_eval count a query without results)`];
}

/** Windows smaller than 10: the @10 figures rank the window's documents only (an nDCG@10 of a window of 5 is not the engine's nDCG@10). */
function smallWindows(runs: ConfigRun[], judged: boolean): string[] {
  return runs.filter((r) => r.window < 10).map((r) => `${r.name}: the window is smaller than 10: ${judged ? 'nDCG@10, MRR@10, R@10' : 'overlap@10 and rank shift@10'} rank its ${r.window} documents only`);
}

/** Configurations some of whose hits were ranked without their media: how many, and the first one's reason (the count alone named nothing). */
function mediaErrors(runs: ConfigRun[]): string[] {
  return runs.flatMap((r) => {
    const hit = r.queries.filter((q) => q.documentErrors > 0);
    if (!hit.length) return [];
    const n = hit.reduce((s, q) => s + q.documentErrors, 0);
    const first = hit.find((q) => q.documentErrorFirst);
    return [`${r.name}: ${n} hits in ${hit.length} queries were ranked without their media (it could not be read)${first ? `; first, in query "${first.id}": ${first.documentErrorFirst}` : ''}`];
  });
}

/**
 * Relevant judged documents (grade > 0) of the evaluated queries that no configuration ever returned,
 * and how many relevant judgements there are: the candidates for "judged, but not in the index".
 */
export function relevantNeverReturned(runs: ConfigRun[], qrels: Qrels | undefined): { ids: string[]; relevant: number } {
  if (!qrels) return { ids: [], relevant: 0 };
  const evaluated = new Set(runs.flatMap((r) => r.queries.map((q) => q.id)));
  const seen = new Set(runs.flatMap((r) => r.queries.flatMap((q) => [...q.first, ...q.reranked])));
  const relevant = new Set<string>();
  for (const qid of evaluated) for (const [d, g] of qrels.get(qid) ?? []) if (g > 0) relevant.add(d);
  return { ids: [...relevant].filter((d) => !seen.has(d)), relevant: relevant.size };
}

/**
 * The note for relevant judged documents the index (or collection) does not hold: each counts as a
 * document never found (as in trec_eval), and a judgement file whose ids do not match the documents'
 * ids would otherwise show only as low figures (held-out eval probe round).
 */
export function notInIndexNote(missing: string[], relevant: number, where: string): string[] {
  if (!missing.length) return [];
  return [`${missing.length} of ${relevant} relevant judged documents are not in ${where} (e.g. ${missing.slice(0, 3).join(', ')}): each counts as never found, as trec_eval counts it${missing.length === relevant ? ' — do the judgement ids match the documents\' ids?' : ''}`];
}

/** Wins and losses of the focus configuration: by nDCG@10 change with judgements, by rank shift without. */
export function winsAndLosses(rows: QueryRow[], n = 8): { wins: QueryRow[]; losses: QueryRow[] } {
  if (rows.some((r) => r.delta !== undefined)) {
    const d = rows.filter((r) => r.delta !== undefined);
    return {
      wins: d.filter((r) => r.delta! > 0).sort((a, b) => b.delta! - a.delta!).slice(0, n),
      losses: d.filter((r) => r.delta! < 0).sort((a, b) => a.delta! - b.delta!).slice(0, n),
    };
  }
  // without judgements: the queries whose top hit changed most, as "changes"
  return { wins: rows.filter((r) => r.first.top !== r.reranked.top).sort((a, b) => b.rankShift10 - a.rankShift10).slice(0, n), losses: [] };
}
