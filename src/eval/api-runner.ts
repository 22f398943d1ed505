/**
 * `vlrerank eval --api`: the rerank library (`Reranker.process()`, what the rerank API and the
 * CLI call) on a JSONL collection, no engine. The first stage is a run file of candidates per query
 * (`--candidates`, TREC run format) cut to each window, or, without one, the whole collection in
 * file order (then the first-stage figures describe that order and only the reranked ones matter).
 *
 * Takes the reranker as an argument (anything with `process()`); never builds models or reads config.
 */
import { vlrError } from '../errors.js';
import type { RerankInput, RerankOutput } from '../rerank/types.js';
import type { CollectionDoc, EvalQuery } from './judgements.js';
import type { ConfigRun, QueryRun } from './summary.js';
import { stopOf, type EvalStop } from './stop.js';

export interface ApiEvalOptions {
  reranker: { process(input: RerankInput): Promise<RerankOutput> };
  collection: CollectionDoc[];
  queries: EvalQuery[];
  /** query id → candidate doc ids, best first; absent → the whole collection. */
  candidates?: Map<string, string[]>;
  windows: number[];
  onQuery?: (done: number, total: number) => void;
  /** Aborted → the run stops after the query in hand, with what it measured (as `runProxyEval`). */
  signal?: AbortSignal;
}

export async function runApiEval(o: ApiEvalOptions): Promise<{ runs: ConfigRun[]; notes: string[]; stopped?: EvalStop }> {
  const byId = new Map(o.collection.map((d) => [d.id, d]));
  const allIds = o.collection.map((d) => d.id);
  const unknown = new Set<string>();
  const noCandidates: string[] = [];
  const runs: ConfigRun[] = [];
  const total = o.windows.length * o.queries.length;
  let done = 0;
  let stopped: EvalStop | undefined;
  outer: for (const window of o.windows) {
    const run: ConfigRun = { name: `api window ${window}`, window, queries: [] };
    runs.push(run);
    for (const q of o.queries) {
      if (o.signal?.aborted) {
        stopped = stopOf(o.signal, undefined, done, total);
        break outer;
      }
      let cands = o.candidates ? o.candidates.get(q.id) : allIds;
      if (!cands) {
        noCandidates.push(q.id);
        cands = [];
      }
      const first = cands.filter((id) => (byId.has(id) ? true : (unknown.add(id), false))).slice(0, window);
      const qr: QueryRun = { id: q.id, first, reranked: [], timings: {}, wallMs: 0, documentErrors: 0, featureSources: {} };
      if (first.length) {
        const t0 = performance.now();
        let out: RerankOutput;
        try {
          out = await o.reranker.process({
            query: { ...(q.text ? { text: q.text } : {}), ...(q.image ? { image: q.image } : {}), ...(q.video ? { video: q.video } : {}) },
            documents: first.map((id) => {
              const d = byId.get(id)!;
              return { ...(d.text ? { text: d.text } : {}), ...(d.image ? { image: d.image } : {}), ...(d.video ? { video: d.video } : {}) };
            }),
          });
        } catch (e) {
          stopped = stopOf(o.signal, e, done, total);
          break outer;
        }
        qr.wallMs = Math.round((performance.now() - t0) * 100) / 100;
        qr.reranked = out.map((r) => first[r.index]!);
        qr.timings = { ...out.timings };
        qr.documentErrors = out.errors.length;
        const e = out.errors[0];
        if (e) qr.documentErrorFirst = `${first[e.index]}: ${e.code}: ${e.reason}`;
        qr.featureSources = { cache_hits: out.usage.cache_hits, cache_misses: out.usage.cache_misses };
      }
      run.queries.push(qr);
      o.onQuery?.(++done, total);
    }
  }
  if (!stopped && o.candidates && noCandidates.length === o.queries.length * o.windows.length) throw vlrError('VLR_BAD_REQUEST', 'the candidates file names none of the evaluated queries (do the query ids match?)');
  const notes: string[] = [];
  if (unknown.size) notes.push(`${unknown.size} candidate ids are not in the collection (skipped), e.g. ${[...unknown].slice(0, 3).join(', ')}`);
  if (noCandidates.length) notes.push(`${new Set(noCandidates).size} queries are not named in the candidates file (e.g. ${[...new Set(noCandidates)].slice(0, 3).join(", ")}): empty rankings`);
  if (!o.candidates) notes.push('no --candidates: the first stage is the collection in file order');
  return { runs: runs.filter((r) => r.queries.length), notes, ...(stopped ? { stopped } : {}) };
}
