/**
 * After the rerank: fuse the rerank score with the first-stage order as the pipeline says, order
 * the window, apply min_score, cut `from … from+size`, restore the client's `_source` view, and
 * write an ordinary search response (`_score` = final score, `max_score` follows) with a top-level
 * `vlrerank` report and, with `explain`, a per-hit `_vlrerank` explanation.
 *
 * Pure functions over parsed JSON.
 */
import type { FirstStageMap, Fusion, Pipeline } from '../pipelines/index.js';
import type { ScoreFusion } from '../rerank/fusion.js';
import { applySourceFilter, isIdentityFilter, type SourceFilter } from './source.js';
import { sameTokens } from '../util/json-tokens.js';
import type { ScoredDocument } from './hit-scorer.js';

export interface Hit {
  _id?: string;
  _index?: string;
  _score?: number | null;
  _source?: Record<string, unknown>;
  [k: string]: unknown;
}

export interface RankedHit {
  hit: Hit;
  /** 1-based rank in the first stage. */
  firstRank: number;
  firstScore: number | null;
  rerankScore: number | null;
  score: number;
  explanation?: unknown;
  error?: string;
  /** After the window (not reranked): the engine's `_score` and explanation stay as they came. */
  pastWindow?: boolean;
}

/** The pipeline's fusion of the signals for the reranker: undefined = the reranker's default (logodds). */
export function scoreFusionOf(p: Pick<Pipeline, 'scorer'>): ScoreFusion | undefined {
  const l = p.scorer.raw_logistic;
  if (p.scorer.fusion === 'calibrated') return { kind: 'calibrated' };
  if (p.scorer.fusion === 'logodds') return { kind: 'logodds' };
  return p.scorer.fusion === 'raw' && l ? { kind: 'raw', a: l.a, b: l.b } : undefined;
}

/** A first-stage `_score` mapped into [0, 1] by the pipeline's pair-only map (no other hit is looked at). */
export function mapFirstStage(s: number | null, map: FirstStageMap): number {
  if (s === null || !Number.isFinite(s)) return 0;
  if ('logistic' in map) return 1 / (1 + Math.exp(-(map.logistic.a * s + map.logistic.b)));
  return s <= 0 ? 0 : s / (s + map.saturation);
}

/**
 * Final score of each hit by the pipeline's fusion; `scored[i]` undefined = hit had nothing to score (0).
 * `none` and `blend` (and `weight`, its older spelling) give a `_score` in [0, 1] that depends on
 * the (query, document) pair alone; `rrf` gives a rank sum, kept for compatibility.
 */
export function fuseWithFirstStage(hits: Hit[], scored: Array<ScoredDocument | undefined>, fusion: Fusion, unscored?: ReadonlyMap<number, string>): RankedHit[] {
  const base = hits.map((hit, i) => ({
    hit,
    firstRank: i + 1,
    firstScore: typeof hit._score === 'number' ? hit._score : null,
    rerankScore: scored[i] ? scored[i]!.score : 0,
    explanation: scored[i]?.explanation,
    error: scored[i] ? undefined : (unscored?.get(i) ?? 'the hit has none of the pipeline fields'),
    score: scored[i] ? scored[i]!.score : 0,
  }));
  if (fusion.method === 'rrf') {
    const byRerank = [...base].sort((a, b) => (b.rerankScore ?? 0) - (a.rerankScore ?? 0) || a.firstRank - b.firstRank);
    byRerank.forEach((r, i) => {
      r.score = 1 / (fusion.k + i + 1) + 1 / (fusion.k + r.firstRank);
    });
  } else if (fusion.method === 'blend' || fusion.method === 'weight') {
    const map: FirstStageMap = fusion.method === 'blend' ? fusion.map : { saturation: 1 };
    // rounded as `_score` is printed: hits sorted (and `min_score` compared) by unrounded values could
    // print equal scores out of first-stage order (held-out probe round 10a's leftover)
    for (const r of base) r.score = round(blendScore(r.rerankScore ?? 0, mapFirstStage(r.firstScore, map), fusion.weight));
  }
  return base.sort((a, b) => b.score - a.score || a.firstRank - b.firstRank);
}

/** (1 − w) · rerank + w · mapped first stage, clamped to [0, 1]. */
export function blendScore(rerank: number, firstMapped: number, weight: number): number {
  return Math.min(1, Math.max(0, (1 - weight) * rerank + weight * firstMapped));
}

/** The first-stage order as it came back (for a degraded response). */
export function firstStageOrder(hits: Hit[], ranksBefore = 0): RankedHit[] {
  return hits.map((hit, i) => {
    const s = typeof hit._score === 'number' ? hit._score : null;
    return { hit, firstRank: ranksBefore + i + 1, firstScore: s, rerankScore: null, score: s ?? 0, ...(ranksBefore ? { pastWindow: true } : {}) };
  });
}

export interface VlrerankReport {
  pipeline: string;
  syntax: string;
  window: number;
  /** Hits the first stage returned (≤ window). */
  candidates: number;
  /** The query text the hits were scored against (with `explain`: the client's, or the words read from its query). */
  query_text?: string;
  /** The query as typed, when the reranker read a corrected one (`query_text`; first_stage.fuzzy.correct). */
  query_text_typed?: string;
  /** Hits after the window answered in first-stage order (a default pipeline's page past its maximum window). */
  past_window?: number;
  /** The pipeline's kNN/hybrid first stage ran on text only (the index does not map its bridge vector field), and why. */
  first_stage?: 'text';
  first_stage_note?: string;
  /** The bridge kNN stood beside a query (a `hybrid` first stage): the boost it was weighed by (`first_stage.knn_boost`, or the request's `ext.vlrerank.knn_boost`). */
  knn_boost?: number;
  /** The first stage answered from part of the index (shards failed, or its `timeout` passed): the window was reranked among what it found. */
  first_stage_partial?: FirstStagePartial;
  degraded: false | 'overloaded' | 'timeout' | 'failed';
  reason?: string;
  /** What the client is told of its query though the search was reranked: a query photo under 64 px a side, its size and the models' input. */
  warnings?: string[];
  /** Hits whose image or video could not be read (scored on their text): how many, and the first error. */
  document_errors?: { count: number; first: string };
  /** Hits scored without some value of their pipeline fields, which no field could be read from (`image: 42`): how many, and the first. */
  unread?: { count: number; first: string };
  /** Hits whose pipeline fields are out of `_source` and whose feature record cannot stand in (not scored): how many, and the first. */
  unscored?: { count: number; first: string };
  timings: Record<string, number>;
}

export interface FirstStagePartial {
  failed_shards: number;
  total_shards: number;
  timed_out: boolean;
  /** The search's `terminate_after` stopped each shard's collection early (the engine's `terminated_early`). */
  terminated_early?: true;
  note: string;
}

/**
 * Whether the first stage's answer is partial: shards that failed (a shard with no copy left on a
 * red cluster, a node lost mid-search) or the search's `timeout` passed. The engine says so in
 * `_shards`/`timed_out`, which the response keeps; the `vlrerank` report says it too, as the window
 * it reranked lacked those shards' hits (held-out probe round 17a: a red index's search was
 * reranked among 2 of 3 shards' hits with `degraded: false` and nothing in the report). A search's
 * `terminate_after` that stopped the shards early (`terminated_early: true`) is said too: the window
 * holds the first documents each shard collected, not its best (held-out probe round 30a: 4 of 24
 * matches reranked, the report silent).
 */
export function partialFirstStage(upstream: Record<string, unknown>): FirstStagePartial | undefined {
  const shards = (upstream._shards ?? {}) as { failed?: unknown; total?: unknown };
  const failed = typeof shards.failed === 'number' ? shards.failed : 0;
  const total = typeof shards.total === 'number' ? shards.total : 0;
  const timedOut = upstream.timed_out === true;
  const early = upstream.terminated_early === true;
  if (failed <= 0 && !timedOut && !early) return undefined;
  const why = [
    ...(failed > 0 ? [`${failed} of ${total} shards failed (see _shards.failures)`] : []),
    ...(timedOut ? ['the search timed out (timed_out)'] : []),
    ...(early ? ["the search's terminate_after stopped the shards early (terminated_early)"] : []),
  ].join(' and ');
  return { failed_shards: failed, total_shards: total, timed_out: timedOut, ...(early ? { terminated_early: true as const } : {}), note: `the first stage answered from part of the index: ${why}; the window holds only the hits it found` };
}

export interface ShapeOptions {
  from: number;
  size: number;
  minScore?: number;
  sourceFilter: SourceFilter;
  explain: boolean;
  /** Keep the first-stage `_score`s (degraded). */
  keepScores: boolean;
  /** Stored fields vlrerank asked for on its own (feature records): removed from each hit's `fields`. */
  stripFields?: string[];
  /** Hits with several photos or clips: which one was scored, shown with `explain` (`_vlrerank.media`). */
  media?: ReadonlyMap<Hit, unknown>;
  /** Hits with a value of a pipeline field not read (pipelines/document.ts `unreadValues`), shown with `explain` (`_vlrerank.unread`). */
  unread?: ReadonlyMap<Hit, string>;
  report: VlrerankReport;
}

const round = (x: number) => Math.round(x * 1e6) / 1e6;

/** The client's response from the first-stage response and the ranked window. */
export function shapeResponse(upstream: Record<string, unknown>, ranked: RankedHit[], o: ShapeOptions): Record<string, unknown> {
  const kept = o.minScore !== undefined && !o.keepScores ? ranked.filter((r) => r.score >= o.minScore!) : ranked;
  const page = kept.slice(o.from, o.from + o.size);
  const hitsOut = page.map((r) => {
    const h = clientView(r.hit, o);
    const rescored = !o.keepScores && !r.pastWindow;
    if (rescored) h._score = round(r.score);
    // the engine's own `explain: true`: its explanation is of the first-stage score; the hit's
    // `_score` is now vlrerank's, so the explanation says so and keeps the engine's under it
    if (rescored && isExplanation(h._explanation)) h._explanation = rerankExplanation(h._score as number, r, h._explanation);
    if (o.explain) {
      h._vlrerank = {
        first_stage_score: r.firstScore,
        first_stage_rank: r.firstRank,
        rerank_score: r.rerankScore === null ? null : round(r.rerankScore),
        ...(r.explanation !== undefined ? { explanation: r.explanation } : {}),
        ...(r.error ? { error: r.error } : {}),
        ...(o.media?.has(r.hit) && r.rerankScore !== null ? { media: o.media.get(r.hit) } : {}),
        ...(o.unread?.has(r.hit) && r.rerankScore !== null ? { unread: o.unread.get(r.hit) } : {}),
      };
    }
    return h;
  });
  const hits = (upstream.hits ?? {}) as Record<string, unknown>;
  const maxScore = o.keepScores ? (hits.max_score ?? null) : kept.length ? round(kept[0]!.score) : null;
  return {
    ...upstream,
    ...(upstream.suggest !== undefined ? { suggest: suggestView(upstream.suggest, o) } : {}),
    hits: { ...hits, max_score: maxScore, hits: hitsOut },
    vlrerank: { ...o.report, returned: hitsOut.length, ...(o.minScore !== undefined ? { min_score: o.minScore, above_min_score: kept.length } : {}) },
  };
}

/**
 * A document as the client asked to see it: the `_source` filter the first stage was widened from,
 * and the stored fields vlrerank asked for on its own (feature records) taken off.
 */
function clientView(doc: Hit, o: ShapeOptions): Hit {
  const h: Hit = { ...doc };
  if (h._source !== undefined && !isIdentityFilter(o.sourceFilter)) {
    const s = applySourceFilter(h._source, o.sourceFilter);
    if (s === undefined) delete h._source;
    else h._source = s;
  }
  if (o.stripFields?.length && h.fields && typeof h.fields === 'object') {
    const fields = { ...(h.fields as Record<string, unknown>) };
    sameTokens(h.fields, fields);
    for (const f of o.stripFields) delete fields[f];
    if (Object.keys(fields).length) h.fields = fields;
    else delete h.fields;
  }
  return h;
}

/**
 * A `completion` suggester's options are documents of the first stage too (`_source`, `fields`):
 * shown as the client asked, as the hits are (held-out probe round 26c: beside a rerank ask each
 * option carried the widened `_source` and the binary feature record in `fields`). Other
 * suggestions (term, phrase) hold no document and pass as they are.
 */
function suggestView(suggest: unknown, o: ShapeOptions): unknown {
  if (!suggest || typeof suggest !== 'object' || Array.isArray(suggest)) return suggest;
  const isDoc = (x: unknown): x is Hit => !!x && typeof x === 'object' && ('_source' in x || 'fields' in x);
  // copies with the same keys keep the engine's number tokens (`1.0` scores as sent)
  const copy = <T extends object>(from: unknown, to: T): T => (sameTokens(from, to), to);
  const out: Record<string, unknown> = copy(suggest, {});
  for (const [name, entries] of Object.entries(suggest as Record<string, unknown>)) {
    out[name] = !Array.isArray(entries)
      ? entries
      : copy(
          entries,
          entries.map((e: unknown) => {
            const options = (e as { options?: unknown } | null)?.options;
            if (!Array.isArray(options) || !options.some(isDoc)) return e;
            return copy(e, { ...(e as object), options: copy(options, options.map((x: unknown) => (isDoc(x) ? copy(x, clientView(x, o)) : x))) });
          }),
        );
  }
  return out;
}

interface Explanation {
  value: number;
  description: string;
  details: Explanation[];
}

function isExplanation(x: unknown): x is Explanation {
  return !!x && typeof x === 'object' && typeof (x as Explanation).value === 'number';
}

/** An engine-shaped explanation of a reranked `_score`: the rerank score and the first stage's explanation as its details. */
function rerankExplanation(score: number, r: RankedHit, firstStage: Explanation): Explanation {
  const rerank = r.rerankScore === null ? 'no rerank score (the hit kept its place)' : `rerank score ${round(r.rerankScore)}`;
  return {
    value: score,
    description: `vlrerank: reranked score from the ${rerank} and the first-stage score ${r.firstScore} (ext.vlrerank.explain: true shows each signal)`,
    details: [...(r.rerankScore === null ? [] : [{ value: round(r.rerankScore), description: 'vlrerank rerank score', details: [] }]), firstStage],
  };
}
