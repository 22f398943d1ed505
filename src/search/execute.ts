/**
 * Run one reranked search end to end: paging and refusals → query vector (search by image, bridge
 * kNN) → first stage on the engine → rerank within what is left of the search's one time budget → fuse, page,
 * shape. The failure policy lives here: with `fail_open` (default) any rerank failure (model error,
 * overload, timeout) returns the first-stage order with `vlrerank.degraded` naming the kind
 * (`overloaded`, `timeout`, `failed`), a reason and the `x-vlrerank-degraded` header — never an
 * empty result (users of other rerankers report exactly that: langgenius/dify#30871,
 * elastic/elasticsearch#116796); with `fail_closed` an ES-shaped 503, or the 429 of admission
 * control (with Retry-After) when the rerank queue refused the work.
 *
 * The window's rerank itself is rerank-window.ts; the one budget's helpers search-budget.ts.
 *
 * Knows the engines (through the pool, in engine/'s dialect) but not HTTP: returns {status, headers, body}.
 */
import type { EngineClient } from '../engine/client.js';
import { bm25Factor, type Dialect, knnIgnoresUnmapped } from '../engine/dialect.js';
import { credentialHeaders, indexExprSegment } from '../engine/targets.js';
import { isVlrerankError, toVlrerankError, vlrError } from '../errors.js';
import { documentFromSource, videoSampling } from '../pipelines/document.js';
import type { UpstreamPool } from '../proxy/pool.js';
import type { Embedder } from '../rerank/embedder.js';
import { cutStages, type RerankOutcome, type RerankStage } from '../rerank/options.js';
import { requestIds, type RequestIds } from '../observability/request-ids.js';
import type { RerankSpec } from './detect.js';
import { answerHeaders, ownBodyHeaders } from './headers.js';
import type { CorsTable } from './cors.js';
import type { Scorer, ScoredDocument } from './hit-scorer.js';
import { firstUnscorable } from './hit-documents.js';
import { buildFirstStage, pagingWithin, planPaging, vectorNeed } from './plan.js';
import { maxResultWindowOfShards, maxResultWindowRefused, namedWindowRefused, type ResultWindows } from '../engine/result-window.js';
import { gatewayError } from '../engine/gateway.js';
import { searchWaitMs } from '../engine/wait-timeout.js';
import { assertPhotoFieldMapped } from './photo-field.js';
import { bridgeFieldMapped, textOnlyNote } from './bridge-field.js';
import { firstStageOrder, fuseWithFirstStage, partialFirstStage, shapeResponse, type Hit } from './shape.js';
import { holdsTokens, stringifyKeeping, type Tokens } from '../util/json-tokens.js';
import { AnswerNotJson, readEngineAnswer, type AnswerParser } from './first-stage-answer.js';
import { sourceDisabledRefused } from './source.js';
import { withBudget } from './search-budget.js';
import { rerankWindow, windowState, type WriteBack } from './rerank-window.js';
import { applyCorrections, completeLastWord, dropCorrection, readCorrections, suggestFieldRefused, wordsOf } from './correction.js';

export interface SearchDeps {
  pool: Pick<UpstreamPool, 'request'>;
  engine: Pick<EngineClient, 'info'>;
  scorer?: Scorer;
  embedder?: Pick<Embedder, 'visual' | 'queryText'>;
  onDegraded?: (reason: string, code: string) => void;
  /** Every reranked search answered: `false`, or the kind of its degraded first-stage order. */
  onReranked?: (degraded: ReturnType<typeof degradedKind> | false) => void;
  /**
   * The time a reranked search spent before its rerank, out of the same budget (`query_embedding`,
   * `first_stage`, seconds) and how the search ended (`cut`: degraded by its budget or the queue),
   * beside the rerank's own stages (rerank/options.ts `observe.stage`).
   */
  onStage?: (stage: 'query_embedding' | 'first_stage', seconds: number, outcome: RerankOutcome) => void;
  /** Some hits' media could not be read (the response still ranks them on their text). */
  /** `ids`: the search's X-Opaque-Id and trace id, for the warning's line. */
  onDocumentErrors?: (count: number, first: { code: string; reason: string }, ids: RequestIds) => void;
  /** The server's table of the engine's CORS answers (cors.ts): every engine answer teaches it. */
  cors?: CorsTable;
  /** The server's table of `max_result_window` limits learnt from the engine's refusals (engine/result-window.ts). */
  resultWindows?: ResultWindows;
  /** The server's JSON worker: a first-stage answer of SMALL_BODY bytes or more is parsed there (first-stage-answer.ts). */
  jsonWorker?: AnswerParser;
  /** Pipelines with `features.write_back`: the reranked hits' records, handed over after scoring (rerank-window.ts). */
  writeBack?: WriteBack;
}

export interface SearchOutcome {
  status: number;
  headers: Record<string, string>;
  /** Parsed JSON we built, or the upstream's bytes when it answered with an error. */
  body: Record<string, unknown> | Buffer;
}

const ms = (t0: number) => Math.round((performance.now() - t0) * 100) / 100;

/** `vlrerank.degraded` of a degraded response: what kind of failure the first-stage order stands in for. */
export const DEGRADED_KINDS = ['overloaded', 'timeout', 'failed'] as const;
export function degradedKind(code: string): (typeof DEGRADED_KINDS)[number] {
  return code === 'VLR_OVERLOADED' ? 'overloaded' : code === 'VLR_TIMEOUT' ? 'timeout' : 'failed';
}

function reasonOf(e: unknown): { code: string; reason: string } {
  const err = toVlrerankError(e);
  return { code: err.code, reason: err.code === 'VLR_INTERNAL' ? `internal error: ${(err.cause as Error)?.message ?? 'unknown'}` : err.message };
}

export interface RunOptions {
  /** Index expression from the path (undefined for /_search). */
  index?: string;
  /** The client's raw header list (`[name, value, …]`). */
  headers: readonly string[];
  signal?: AbortSignal;
  /** Who asks, for the per-client share of the rerank queue. */
  client?: string;
}

/** The first-stage path for an index expression and query string. */
export function searchPath(index: string | undefined, params: URLSearchParams): string {
  const qs = params.toString();
  return `${index ? `/${indexExprSegment(index)}` : ''}/_search${qs ? `?${qs}` : ''}`;
}

/** The same search with a BM25 first stage in place of the pipeline's text kNN (fail-open). */
function bm25Instead(spec: RerankSpec): RerankSpec {
  return { ...spec, pipeline: { ...spec.pipeline, first_stage: { ...spec.pipeline.first_stage, text_query: 'bm25' } } };
}

const round = (x: number) => Math.round(x * 100) / 100;

/**
 * A rerank's `queue_ms`, `features_ms`, `inference_ms` from the stages it finished; one cut short
 * (its budget, the client gone) gives the stage it was in the rest of `rerankMs` — a slow search's
 * line and response said only `rerank_ms`, and a timed-out one could not say whether it had waited
 * in the queue or computed features (held-out probe round 19a). The split is the stage metrics'
 * (rerank/options.ts `cutStages`).
 */
function stageTimings(done: Partial<Record<RerankStage, number>>, rerankMs: number): Record<string, number> {
  return Object.fromEntries(Object.entries(cutStages(done, rerankMs)).map(([stage, t]) => [`${stage}_ms`, round(t)]));
}

export async function runRerankSearch(spec: RerankSpec, deps: SearchDeps, opts: RunOptions): Promise<SearchOutcome> {
  const t0 = performance.now();
  const timings: Record<string, number> = {};
  const p = spec.pipeline;
  const budgetMs = spec.budgetMs ?? p.budget_ms;
  // the engine (cached after the first ask): a bad `from` is refused in its words, the first stage written in its dialect
  const info = await deps.engine.info(credentialHeaders(opts.headers));
  const dialect: Dialect = info.distribution;
  let paging = planPaging(spec, dialect);
  // an index whose `max_result_window` a refusal named before: asked within it at once (fix16: each
  // search cost one refused first stage); a window the client named is sent as named
  const learnt = spec.window === undefined ? deps.resultWindows?.get(opts.index, opts.headers) : undefined;
  if (learnt !== undefined) paging = pagingWithin(paging, learnt);
  const degrade: { reason?: string; code?: string } = {};

  // Models still loading at server start (warm-up): wait here, before any budget clock starts,
  // and report the wait on its own, so the first search after start is not failed open for the
  // load time. A failed warm-up does not wait: the stage below fails (open) on its own. The wait
  // holds a place in the rerank queue: beyond admission's bounds the search is not reranked
  // (fail_open: first-stage hits, degraded "overloaded"; fail_closed: the 429).
  let skipRerank = false;
  // nothing on this page to rerank (`size: 0`; a default pipeline's page wholly past its window):
  // the first stage alone, never queued for the reranker nor refused by it
  let idle = paging.fetch === 0 || paging.from >= paging.window;
  if (deps.scorer?.ready && !idle) {
    const tw = performance.now();
    try {
      if (await deps.scorer.ready(opts.signal, opts.client)) timings.warmup_wait_ms = ms(tw);
    } catch (e) {
      if (opts.signal?.aborted || !isVlrerankError(e) || e.code !== 'VLR_OVERLOADED' || p.failure === 'fail_closed') throw e;
      Object.assign(degrade, reasonOf(e));
      skipRerank = true;
      timings.warmup_wait_ms = ms(tw);
    }
  }

  // Refused by admission before the first stage (queue full, estimated wait too long): fail_closed
  // answers the 429 now; fail_open runs the first stage for the hits it answers with only (no
  // window, no query embedding for a bridge kNN: BM25 instead), so an overloaded server costs the
  // engine and itself what a plain search costs.
  let effective = spec;
  if (!skipRerank && !idle) {
    const refusal = deps.scorer?.refusal?.(opts.client, p.name);
    if (refusal) {
      if (p.failure === 'fail_closed') throw refusal;
      Object.assign(degrade, reasonOf(refusal));
      skipRerank = true;
    }
  }

  // One budget for the search from here (after any warm-up wait, reported on its own): the query
  // photo's fetch and embedding, the first stage and the rerank share it — the rerank gets what is
  // left, not a fresh one (held-out probe round 10b: a search by photo spent budget_ms twice).
  // (a query_vector_builder's or nested neural's embedding, made before detection, query-vectors.ts, has spent its part)
  const deadline = performance.now() + budgetMs - (spec.vectorMs ?? 0);
  if (spec.vectorMs !== undefined) timings.query_vector_ms = spec.vectorMs;

  // query vector for a kNN first stage
  let need = vectorNeed(spec);
  if (need?.kind === 'bridge' && skipRerank && p.failure === 'fail_open') {
    effective = bm25Instead(spec);
    need = undefined;
  }
  // an index without the bridge vector field: the text part of the first stage alone, said (bridge-field.ts)
  let textOnly: string | undefined;
  if (need?.kind === 'bridge' && (await bridgeFieldMapped(deps.pool, opts.index, need.field, opts.headers, opts.signal)) === false) {
    textOnly = textOnlyNote(opts.index, need.field, p.name, p.first_stage.text_query);
    effective = bm25Instead(spec);
    need = undefined;
  }
  let vector: Float32Array | undefined;
  if (need) {
    const tv = performance.now();
    try {
      if (!deps.embedder) throw vlrError('VLR_MODEL_MISSING', 'no query embedder is configured (models not available)');
      const src = spec.query.image ?? spec.query.video;
      vector = await withBudget(deadline, budgetMs, opts.signal, (signal) =>
        need.kind === 'image' ? deps.embedder!.visual(src!, spec.query.image !== undefined ? 'image' : 'video', signal, videoSampling(p)) : deps.embedder!.queryText(spec.query.text!, signal),
      );
    } catch (e) {
      // a text query can still run its BM25 first stage; an image query has no first stage without its
      // vector: the client's own mistake (4xx) and a query image that cannot be fetched (502, as the
      // rerank APIs answer it) are answered as they are, other faults as this stage's 503
      if (need.kind === 'bridge' && p.failure === 'fail_open') {
        Object.assign(degrade, reasonOf(e));
        effective = bm25Instead(spec);
      } else if (isVlrerankError(e) && (e.status < 500 || e.code === 'VLR_MEDIA_FETCH') && e.code !== 'VLR_TIMEOUT') throw e;
      else throw vlrError('VLR_RERANK_FAILED', `the query ${need.kind === 'image' ? 'image' : 'text'} could not be embedded for the kNN first stage: ${reasonOf(e).reason}`, { cause: e });
    }
    timings.query_embedding_ms = ms(tv);
  }

  const bm25Boost = bm25Factor(info);
  // vlrerank's own kNN over indices of which some do not map its field: as Elasticsearch, nothing from those (dialect.ts)
  const ignoreUnmapped = knnIgnoresUnmapped(info);
  let plan = buildFirstStage(effective, skipRerank ? { ...paging, window: paging.from + paging.size, fetch: paging.fetch === 0 ? 0 : undefined } : paging, dialect, vector, bm25Boost, ignoreUnmapped);
  // The client's own `timeout` (query string or body) extends the headers time-out as for a
  // passthrough search (engine/wait-timeout.ts). The first stage is not raced against `budget_ms`
  // (the budget bounds the query embedding and the rerank): its time is taken from the budget's
  // clock, so a first stage that waits past the budget leaves the rerank no time — degraded
  // "timeout" with the first-stage hits under fail_open, the 503 under fail_closed.
  const firstStage = async () => {
    const path = searchPath(opts.index, plan.params);
    const r = await deps.pool.request({
      method: 'POST',
      path,
      headers: ownBodyHeaders(opts.headers),
      // the client's own clauses as it sent them (a long past 2^53 in a filter: util/json-tokens.ts)
      body: effective.tokens ? stringifyKeeping(plan.body, effective.tokens) : JSON.stringify(plan.body),
      signal: opts.signal,
      idempotent: true,
      waitsMs: searchWaitMs(path, plan.body),
    });
    return { res: r, raw: Buffer.from(await r.body.arrayBuffer()) };
  };

  // first stage
  const t1 = performance.now();
  let { res, raw } = await firstStage();
  // An index whose `index.max_result_window` is below the window the client did not choose: the
  // engine refuses the window, where it answers the client's page (held-out probe round 15e: every
  // reranked search on such an index was its 400, page 1 too). Asked again with a window the index
  // allows; a page past it gets the engine's own refusal of the page, as directly. One index of
  // several refusing it fails its shards only, in a 200 (held-out probe round 30a): asked again too.
  const refused = spec.window === undefined && !skipRerank ? (res.statusCode === 400 ? maxResultWindowRefused : res.statusCode === 200 ? maxResultWindowOfShards : undefined) : undefined;
  const allowed = refused?.(raw);
  // (a window already within it — learnt before — would only be refused again: the page lies past it)
  if (allowed !== undefined && allowed < paging.window) {
    deps.resultWindows?.learn(opts.index, opts.headers, allowed);
    paging = pagingWithin(paging, allowed);
    idle ||= paging.from >= paging.window;
    plan = buildFirstStage(effective, paging, dialect, vector, bm25Boost, ignoreUnmapped);
    ({ res, raw } = await firstStage());
  }
  // a `_source: false` widened to the pipeline's fields, on an index that keeps no `_source`: asked again as the engine answers it
  if (res.statusCode === 400 && plan.body._source !== true && sourceDisabledRefused(raw, plan.sourceFilter)) {
    plan.body._source = true;
    ({ res, raw } = await firstStage());
  }
  // the correction's suggester on a field an index (of a pattern) does not map fails the whole
  // search: asked again without it, the query read as typed
  if (res.statusCode === 400 && plan.correction && suggestFieldRefused(raw)) {
    dropCorrection(plan.body, plan.correction);
    delete plan.correction;
    ({ res, raw } = await firstStage());
  }
  timings.first_stage_ms = ms(t1);
  // a window the client named that the index refuses is said as its window, not as the engine's `from + size`
  const windowRefusal = res.statusCode === 400 && spec.window !== undefined ? namedWindowRefused(raw, paging.window, spec.syntax === 'retriever' ? 'rank_window_size' : 'ext.vlrerank.window') : undefined;
  if (windowRefusal) return { status: 400, headers: answerHeaders(res.headers, deps.cors), body: windowRefusal };
  // a search by photo refused (OpenSearch) or empty (Elasticsearch) on an index without its vector field says why (photo-field.ts)
  const imageField = need?.kind === 'image' ? need.field : undefined;
  const photoFieldMapped = async () => imageField && (await assertPhotoFieldMapped(deps.pool, spec, opts.index, imageField, opts.headers, opts.signal));
  if (res.statusCode !== 200) {
    if (res.statusCode === 400) await photoFieldMapped();
    // a proxy's HTML 502/504 in front of the engine is no answer of the engine's (engine/gateway.ts)
    const gateway = gatewayError(`the first-stage search POST ${searchPath(opts.index, plan.params)}`, res.node, res.statusCode, res.headers, raw);
    if (gateway) throw gateway;
    // the engine's own error (bad query, missing index…) goes back unchanged
    return { status: res.statusCode, headers: answerHeaders(res.headers, deps.cors), body: raw };
  }
  // some shards refused a window the client named (read before the answer may go to the JSON worker)
  const shardsRefusedWindow = spec.window !== undefined ? maxResultWindowOfShards(raw) : undefined;
  let upstream: Record<string, unknown>;
  let upTokens: Tokens | undefined;
  try {
    // a stored lone surrogate kept, the hits' `_source`/`fields` answered as the engine wrote them
    // (a long past 2^53, `-0.0`); a large answer read in the JSON worker (first-stage-answer.ts)
    ({ value: upstream, tokens: upTokens } = (await readEngineAnswer(raw, { worker: deps.jsonWorker, signal: opts.signal })) as { value: Record<string, unknown>; tokens: Tokens | undefined });
  } catch (e) {
    if (!(e instanceof AnswerNotJson)) throw e;
    if (e.lost) throw vlrError('VLR_INTERNAL', `the first-stage search's answer could not be read: ${e.message}`);
    throw vlrError('VLR_UPSTREAM_ERROR', `the first-stage search answered 200 with a body that is not JSON: ${e.head}`);
  }
  const all = ((upstream.hits as { hits?: Hit[] } | undefined)?.hits ?? []) as Hit[];
  // the query as the user meant it, for the rerank signals: a correction whose word a hit of the
  // rerank window holds (correction.ts); our suggestions leave the answer
  const corrections = plan.correction ? readCorrections(upstream, plan.correction, p.first_stage.fuzzy?.fuzziness) : [];
  const prefix = plan.lastIsPrefix === true;
  // each window document's words, read once for both
  const windowWords = corrections.length || prefix ? all.slice(0, plan.window).map((h) => wordsOf([documentFromSource(h._source, p)?.text ?? ''])) : [];
  const corrected = corrections.length ? applyCorrections(spec.query.text!, corrections, new Set(windowWords.flatMap((w) => [...w])), { lastIsPrefix: prefix }) : undefined;
  // under bool_prefix the last word is a prefix the engine matched: the reranker reads it completed
  const completed = prefix ? completeLastWord(corrected ?? spec.query.text!, windowWords) : undefined;
  const readAs = completed ?? corrected;
  const query = readAs !== undefined ? { ...spec.query, text: readAs } : spec.query;
  const partial = partialFirstStage(upstream);
  if (partial && shardsRefusedWindow !== undefined) partial.note += `; the rerank window [${paging.window}] you named is above the index.max_result_window [${shardsRefusedWindow}] of an index searched, whose shards refused it: ask for a window of at most ${shardsRefusedWindow}, or raise the index's setting`;
  if (!all.length) await photoFieldMapped();
  // past the window (a default pipeline's deep page): first-stage order, not reranked; a page that
  // lies wholly past it is the engine's own answer, so nothing is reranked for it
  const hits = all.slice(0, plan.window);
  const tail = all.slice(plan.window);

  // rerank, within what is left of the search's budget
  const t2 = performance.now();
  // what the rerank found as it went, its stages' times too (a rerank past its budget may end after the answer: read once, below)
  const state = windowState();
  let scored: Array<ScoredDocument | undefined> | undefined;
  /** Said of the query though it was scored (a query photo under 64 px a side). */
  let warnings: string[] | undefined;
  const { media, unread } = state;
  if (hits.length && !skipRerank && !idle) {
    try {
      ({ scored, warnings } = await rerankWindow(hits, state, { spec, query, recordField: plan.recordField, runtimeMappings: plan.body.runtime_mappings, deadline, budgetMs }, deps, opts));
    } catch (e) {
      if (opts.signal?.aborted) throw e;
      // refused by admission control: fail_closed answers the 429 itself (with its Retry-After)
      if (isVlrerankError(e) && e.code === 'VLR_OVERLOADED' && p.failure === 'fail_closed') throw e;
      if (p.failure === 'fail_closed') {
        throw vlrError('VLR_RERANK_FAILED', `reranking failed and pipeline [${p.name}] is fail_closed: ${reasonOf(e).reason}`, { cause: e });
      }
      if (!degrade.code) Object.assign(degrade, reasonOf(e));
    }
  }
  // one reading of the clock for both: the stage a cut rerank was in gets what is left of rerank_ms
  const rerankMs = performance.now() - t2;
  if (state.scoring) Object.assign(timings, stageTimings(state.stages, rerankMs));
  timings.rerank_ms = round(rerankMs);
  const degraded = degrade.code !== undefined;
  // hits whose image/video could not be read were scored on their text: say so, once per response
  const docErrors = (scored ?? []).filter((s): s is ScoredDocument & { error: { code: string; reason: string } } => s?.error !== undefined);
  if (docErrors.length) deps.onDocumentErrors?.(docErrors.length, docErrors[0]!.error, requestIds(opts.headers));
  const ranked = [...(scored ? fuseWithFirstStage(hits, scored, p.first_stage.fusion, state.unscorable) : firstStageOrder(hits)), ...firstStageOrder(tail, hits.length)];
  timings.total_ms = round(ms(t0) + (spec.vectorMs ?? 0));
  const body = shapeResponse(upstream, ranked, {
    from: paging.from,
    size: paging.size,
    minScore: spec.minScore,
    sourceFilter: plan.sourceFilter,
    explain: spec.explain,
    keepScores: !scored,
    stripFields: plan.recordField && !plan.clientWantsRecord ? [plan.recordField] : undefined,
    ...(media.size ? { media } : {}),
    ...(unread.size ? { unread } : {}),
    report: {
      pipeline: p.name,
      syntax: spec.syntax,
      window: paging.window,
      candidates: hits.length,
      ...(tail.length ? { past_window: tail.length } : {}),
      // what the hits were scored against, when explained: a default pipeline reads it from the
      // query itself, and nothing showed which words it read (held-out probe round 21d)
      ...((spec.explain || hits.some((h) => h._explanation !== undefined)) && spec.query.text !== undefined
        ? // a misspelt query corrected by the first stage's suggesters, or its last word completed (correction.ts): `query_text` is what the reranker read
          { query_text: query.text!, ...(readAs !== undefined ? { query_text_typed: spec.query.text } : {}) }
        : {}),
      ...(textOnly ? { first_stage: 'text' as const, first_stage_note: textOnly } : {}),
      ...(plan.knnBoost !== undefined ? { knn_boost: plan.knnBoost } : {}),
      ...(partial ? { first_stage_partial: partial } : {}),
      degraded: degraded ? degradedKind(degrade.code!) : false,
      ...(degraded ? { reason: `${degrade.code}: ${degrade.reason}` } : {}),
      ...(scored && state.unscorable.size ? { unscored: { count: state.unscorable.size, first: firstUnscorable(hits, state.unscorable)! } } : {}),
      ...(scored && unread.size ? { unread: { count: unread.size, first: `hit [${[...unread.keys()][0]!._id}]: ${[...unread.values()][0]!}` } } : {}),
      ...(warnings?.length ? { warnings } : {}),
      ...(docErrors.length ? { document_errors: { count: docErrors.length, first: `${docErrors[0]!.error.code}: ${docErrors[0]!.error.reason}` } } : {}),
      timings,
    },
  });
  // `took` is the whole search's, its rerank included — as Elasticsearch's own text_similarity_reranker
  // counts its inference in it: the engine's first stage alone (2 ms of a 10 ms search, 40 ms of an
  // 800 ms photo rerank) undercounted every latency a client or its dashboard reads from it (held-out
  // probe round 31c); `vlrerank.timings` keeps each part
  if (typeof body.took === 'number') body.took = Math.max(body.took, Math.round(timings.total_ms));
  const headers = answerHeaders(res.headers, deps.cors);
  if (degraded) {
    headers['x-vlrerank-degraded'] = degrade.code!;
    deps.onDegraded?.(degrade.reason!, degrade.code!);
  }
  deps.onReranked?.(degraded ? degradedKind(degrade.code!) : false);
  if (deps.onStage && !idle) {
    // a search degraded by its budget or the queue was cut; one whose rerank failed, failed
    const outcome: RerankOutcome = !degraded ? 'ok' : degradedKind(degrade.code!) === 'failed' ? 'failed' : 'cut';
    if (timings.query_embedding_ms !== undefined) deps.onStage('query_embedding', timings.query_embedding_ms / 1000, outcome);
    deps.onStage('first_stage', timings.first_stage_ms! / 1000, outcome);
  }
  headers['x-vlrerank-total-ms'] = String(timings.total_ms);
  if (upTokens) holdsTokens(body);
  return { status: 200, headers, body };
}
