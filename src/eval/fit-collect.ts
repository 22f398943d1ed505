/**
 * What `vlrerank eval --fit` fits on, collected once through the proxy path users run: every judged
 * query as the same `_search` a client sends, with `explain`, and from each hit of the window its
 * engine score and rank and each signal's raw and calibrated value (`_vlrerank.explanation.signals`),
 * plus the order the current pipeline returned. Speaks HTTP as a client; never imports the server.
 */
import { vlrError } from '../errors.js';
import type { EvalQuery, Qrels } from './judgements.js';
import { hasRelevant } from './metrics.js';
import type { FitCandidate, FitQuery } from './fit.js';
import { explainedSearch } from './proxy-runner.js';
import { stopOf, type EvalStop } from './stop.js';

interface ExplainedHit {
  _id?: string;
  _vlrerank?: {
    first_stage_score?: number | null;
    first_stage_rank?: number;
    explanation?: { signals?: Array<{ name?: string; raw?: number; calibrated?: number }> };
  };
}

export interface CollectOptions {
  url: string;
  index: string;
  queries: EvalQuery[];
  qrels: Qrels;
  pipeline?: string;
  window: number;
  headers?: Record<string, string>;
  onQuery?: (done: number, total: number) => void;
  /** Longest wait for one search's answer (ms; `--timeout`). */
  timeoutMs?: number;
  /** Aborted (its reason: the signal's name) → the search in flight is dropped and the collection stops with what it has. */
  signal?: AbortSignal;
  /** The bridge kNN's boost for every search (`ext.vlrerank.knn_boost`); undefined → the pipeline's own. */
  knnBoost?: number;
}

export interface Collected {
  queries: FitQuery[];
  /** The pipeline that answered (the response's `vlrerank.pipeline`). */
  pipeline?: string;
  /** The bridge kNN's boost the first stage ran with (the response's `vlrerank.knn_boost`): undefined when no kNN stood beside a query (not a hybrid first stage). */
  knnBoost?: number;
  /** Judged queries none of whose relevant documents is in the window: kept, they count 0 whatever the fusion. */
  notInWindow: number;
  degraded: number;
  /** Why the collection ended before its last query (a signal, or the first search that failed); the queries collected until then are kept. */
  stopped?: EvalStop;
}

function candidateOf(h: ExplainedHit, q: EvalQuery): FitCandidate {
  const v = h._vlrerank;
  if (!v || typeof v.first_stage_rank !== 'number') throw vlrError('VLR_BAD_REQUEST', `query "${q.id}": a hit came back without _vlrerank (explain); cannot fit on it`);
  const signals = (v.explanation?.signals ?? [])
    .filter((s) => typeof s.name === 'string' && typeof s.raw === 'number' && typeof s.calibrated === 'number' && Number.isFinite(s.raw) && Number.isFinite(s.calibrated))
    .map((s) => ({ name: s.name!, raw: s.raw!, calibrated: s.calibrated! }));
  return { id: String(h._id), first: typeof v.first_stage_score === 'number' ? v.first_stage_score : null, firstRank: v.first_stage_rank, signals };
}

/**
 * One search per judged query (a measurement, one at a time). A signal or a failed search ends the
 * collection early with what it has (`stopped` says why): a long collection stopped at its last
 * query can still be fitted on the queries collected, as an evaluation keeps its searches done.
 */
export async function collectForFit(o: CollectOptions): Promise<Collected> {
  const judged = o.queries.filter((q) => hasRelevant(o.qrels.get(q.id)));
  if (!judged.length) throw vlrError('VLR_BAD_REQUEST', '--fit needs judged queries: none of the queries has a relevant judgement (--qrels, "relevant" in the queries file, or a --beir folder)');
  const out: Collected = { queries: [], notInWindow: 0, degraded: 0 };
  let done = 0;
  for (const q of judged) {
    let json: Record<string, any>;
    try {
      if (o.signal?.aborted) throw o.signal.reason;
      json = (await explainedSearch({ ...o, q })).json;
    } catch (e) {
      return { ...out, stopped: stopOf(o.signal, e, done, judged.length) };
    }
    o.onQuery?.(++done, judged.length);
    out.pipeline ??= json.vlrerank.pipeline;
    if (typeof json.vlrerank.knn_boost === 'number') out.knnBoost ??= json.vlrerank.knn_boost;
    if (json.vlrerank.degraded) {
      out.degraded++;
      continue;
    }
    const hits = (json.hits?.hits ?? []) as ExplainedHit[];
    const rel = o.qrels.get(q.id)!;
    const candidates = hits.map((h) => candidateOf(h, q));
    if (!candidates.some((c) => (rel.get(c.id) ?? 0) > 0)) out.notInWindow++;
    out.queries.push({ id: q.id, candidates, rel, current: hits.map((h) => String(h._id)) });
  }
  return out;
}
