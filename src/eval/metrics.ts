/**
 * Ranking-quality metrics of `vlrerank eval` (issue 14): nDCG@k, MRR@k, recall@k with judgements,
 * and agreement / rank shifts against the first stage without them; plus the latency summaries.
 *
 * nDCG follows the repo's own helpers (test/helpers/search-eval.ts and scifact.ts `ndcgAt10`),
 * which is BEIR's reading: log2(rank + 1) discount, the ideal ranking built from *all* judged
 * documents of the query (retrieved or not), gain `2^rel − 1` ("exponential", the default). BEIR
 * computes it with pytrec_eval, whose trec_eval `ndcg_cut` uses the grade itself as the gain
 * ("linear"); both agree on binary judgements (SciFact, COCO-mini) and `--gain linear` gives
 * trec_eval's figure on graded ones. Judgements ≤ 0 count as not relevant, as in trec_eval.
 *
 * Pure functions over ids and judgement maps; never does I/O and never sees an engine or HTTP.
 */

/** Judged relevance of one query's documents: doc id → grade. */
export type Judged = ReadonlyMap<string, number>;
export type Gain = 'exponential' | 'linear';

const gainOf = (g: number, gain: Gain) => (g <= 0 ? 0 : gain === 'exponential' ? 2 ** g - 1 : g);

/**
 * The ranking with each id once, at its first place: the same document twice (an id shared by two
 * indices behind one name, a run file repeating a line) must not be counted twice — nDCG was 1.63
 * for [d, d] (held-out eval probe round). trec_eval keeps one entry per document too.
 */
export function uniqueIds(ranked: readonly string[]): string[] {
  return [...new Set(ranked)];
}

/** nDCG@k of a ranking (best first) against the judged grades; 0 when nothing is relevant. */
export function ndcgAt(ranked: readonly string[], rel: Judged, k = 10, gain: Gain = 'exponential'): number {
  let dcg = 0;
  uniqueIds(ranked).slice(0, k).forEach((id, i) => {
    dcg += gainOf(rel.get(id) ?? 0, gain) / Math.log2(i + 2);
  });
  const ideal = [...rel.values()].sort((a, b) => b - a).slice(0, k);
  const idcg = ideal.reduce((s, g, i) => s + gainOf(g, gain) / Math.log2(i + 2), 0);
  return idcg === 0 ? 0 : dcg / idcg;
}

/** Reciprocal rank of the first relevant document within the top k (0 when none). */
export function mrrAt(ranked: readonly string[], rel: Judged, k = 10): number {
  const i = uniqueIds(ranked).slice(0, k).findIndex((id) => (rel.get(id) ?? 0) > 0);
  return i < 0 ? 0 : 1 / (i + 1);
}

/** Share of the relevant documents found in the top k (0 when the query has none). */
export function recallAt(ranked: readonly string[], rel: Judged, k: number): number {
  const relevant = [...rel.entries()].filter(([, g]) => g > 0).map(([id]) => id);
  if (!relevant.length) return 0;
  const top = new Set(uniqueIds(ranked).slice(0, k));
  return relevant.filter((id) => top.has(id)).length / relevant.length;
}

/** Does the query have at least one relevant judged document (the queries metrics are averaged over)? */
export function hasRelevant(rel: Judged | undefined): rel is Judged {
  return !!rel && [...rel.values()].some((g) => g > 0);
}

/**
 * 1-based position of the query's best judged document in a ranking (highest grade; among equals the
 * one ranked first by `tieBreak`), or null when it is not in the ranking.
 */
export function bestJudged(rel: Judged, tieBreak: readonly string[]): string | undefined {
  const top = Math.max(...rel.values());
  if (!(top > 0)) return undefined;
  const best = [...rel.entries()].filter(([, g]) => g === top).map(([id]) => id);
  const pos = (id: string) => {
    const i = tieBreak.indexOf(id);
    return i < 0 ? Infinity : i;
  };
  return best.sort((a, b) => pos(a) - pos(b))[0];
}

export function positionOf(ranked: readonly string[], id: string | undefined): number | null {
  if (id === undefined) return null;
  const i = ranked.indexOf(id);
  return i < 0 ? null : i + 1;
}

/**
 * Share of the first stage's top k that the reranked top k keeps (1 = same set). The agreement
 * figures read each id once, at its first place, as the quality ones do: an id held twice (two
 * indices behind one pattern sharing an `_id`) gave a promotion count of 2 for one document
 * (held-out probe round 14c).
 */
export function overlapAt(first: readonly string[], reranked: readonly string[], k = 10): number {
  const a = uniqueIds(first).slice(0, k);
  if (!a.length) return 1;
  const b = new Set(uniqueIds(reranked).slice(0, k));
  return a.filter((id) => b.has(id)).length / a.length;
}

/** Mean |first-stage rank − reranked rank| over the reranked top k (documents absent from the first stage are skipped). */
export function meanRankShift(first: readonly string[], reranked: readonly string[], k = 10): number {
  const f = uniqueIds(first);
  const shifts = uniqueIds(reranked).slice(0, k).flatMap((id, i) => {
    const j = f.indexOf(id);
    return j < 0 ? [] : [Math.abs(j - i)];
  });
  return shifts.length ? shifts.reduce((s, x) => s + x, 0) / shifts.length : 0;
}

/** How many of the reranked top k the first stage ranked below k (promoted into view). */
export function promotedInto(first: readonly string[], reranked: readonly string[], k = 10): number {
  const top = new Set(uniqueIds(first).slice(0, k));
  return uniqueIds(reranked).slice(0, k).filter((id) => !top.has(id)).length;
}

export const mean = (xs: readonly number[]): number => (xs.length ? xs.reduce((s, x) => s + x, 0) / xs.length : 0);

/** Percentile by linear interpolation between closest ranks (numpy's default). */
export function percentile(xs: readonly number[], p: number): number {
  if (!xs.length) return 0;
  const s = [...xs].sort((a, b) => a - b);
  const pos = (p / 100) * (s.length - 1);
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return s[lo]! + (s[hi]! - s[lo]!) * (pos - lo);
}

export interface Distribution {
  n: number;
  mean: number;
  p50: number;
  p90: number;
  p99: number;
  max: number;
}

export function distribution(xs: readonly number[]): Distribution {
  const r = (x: number) => Math.round(x * 100) / 100;
  return { n: xs.length, mean: r(mean(xs)), p50: r(percentile(xs, 50)), p90: r(percentile(xs, 90)), p99: r(percentile(xs, 99)), max: r(xs.length ? Math.max(...xs) : 0) };
}
