/**
 * Stage 6, report: the output of one `process()` — the ranked results with the input-order
 * scores, the documents whose media could not be read, usage (documents, images, frames, texts,
 * model calls, cache hits and misses), stage timings, and whether the instruction was used — and
 * the same timings and cache counts to the metrics hook. Reads what the stages left; computes
 * nothing new.
 */
import type { VlrerankError } from '../../errors.js';
import type { RerankerOptions } from '../options.js';
import type { RerankOutput, RerankResult, RerankTimings } from '../types.js';
import { mediaError, type DocumentMedia } from './media.js';
import type { RequestPlan } from './request.js';
import type { DocumentPrep } from './sides.js';
import type { TextPlan } from './text-plan.js';
import type { StoredFeatures } from '../records/use.js';

/** Clock readings (performance.now()) and stage durations of one request, in ms. */
export interface Clock {
  start: number;
  /** When the request got its turn (after the warm-up and the request semaphore). */
  dequeued: number;
  featuresMs: number;
  inferenceMs: number;
  fusionMs: number;
}

export interface ReportInput {
  plan: RequestPlan;
  /** Every document's result, input order. */
  results: RerankResult[];
  /** The results to return: ranked, cut to top_n. */
  top: RerankResult[];
  docs: DocumentMedia[];
  preps: DocumentPrep[];
  texts: TextPlan;
  /** Texts of the documents whose sides were kept from earlier requests (prepared.ts): counted, not planned. */
  keptTexts?: number;
  queryCacheHits: number;
  /** Tokens the text model read for this request (its query-side and passage lists' computed texts). */
  tokens: number;
  /** What the feature records handed in gave (used / rejected parts). */
  stored?: StoredFeatures;
  instructionUsed: boolean;
  /** Remote scores arrived (the instruction reached a worker, which may not have confirmed using it). */
  remoteScored?: boolean;
  /** `backend: both` and the workers failed: scored on the local signals alone (stages/remote.ts). */
  remoteError?: VlrerankError;
  /** Said to the caller of the request (a query photo far below the models' input: media.ts `smallPhotoWarning`). */
  warnings?: string[];
  /** Documents the remote workers were sent without their media (stages/remote.ts). */
  remoteErrors?: Array<{ index: number; error: VlrerankError }>;
  /** Model runs of this request's own inputs, by model (util/work-meter.ts). */
  calls: Record<string, number>;
  clock: Clock;
}

const ms = (x: number) => Math.round(x * 100) / 100;

/**
 * Finished without part of what was asked, by vlrerank's side (options.ts `RerankOutcome`): the
 * remote workers failed under `backend: both`, or a document's media failed with a server fault
 * (5xx: the budget's media cut-off, the image models unavailable) other than the media host's own
 * (VLR_MEDIA_FETCH) — a 404 photo is the data's, not a degraded rerank.
 */
function degradedRun(r: ReportInput): boolean {
  if (r.remoteError) return true;
  return r.preps.some((p) => p.error !== undefined && p.error.status >= 500 && p.error.code !== 'VLR_MEDIA_FETCH');
}

export function report(r: ReportInput, observe: RerankerOptions['observe']): RerankOutput {
  const { req } = r.plan;
  const modelCalls = { ...r.calls };
  const hits = r.preps.reduce((s, p) => s + p.cacheHits, r.queryCacheHits);
  const misses = r.preps.reduce((s, p) => s + p.cacheMisses, 0);
  const c = r.clock;
  const timings: RerankTimings = {
    queue_ms: ms(c.dequeued - c.start),
    features_ms: ms(c.featuresMs),
    inference_ms: ms(c.inferenceMs),
    fusion_ms: ms(c.fusionMs),
    total_ms: ms(performance.now() - c.start),
  };
  if (observe?.stage) {
    const outcome = degradedRun(r) ? 'degraded' : 'ok';
    observe.stage('queue', timings.queue_ms / 1000, outcome);
    observe.stage('features', timings.features_ms / 1000, outcome);
    observe.stage('inference', timings.inference_ms / 1000, outcome);
    observe.stage('fusion', timings.fusion_ms / 1000, outcome);
    observe.stage('total', timings.total_ms / 1000, outcome);
  }
  const st = r.stored;
  if (st && observe?.records) {
    if (st.used) observe.records('used', undefined, st.used);
    for (const [reason, n] of Object.entries(st.byReason)) if (n) observe.records('rejected', reason, n);
  }
  // a hit whose record was refused says so (its features then read `computed`, `disk`…, not `index`)
  if (st && req.explain) for (const x of r.results) if (x.explanation && st.rejections[x.index]) x.explanation.records = { rejected: st.rejections[x.index]! };
  if (observe?.cache) {
    observe.cache('hit', hits);
    observe.cache('miss', misses);
  }
  // where the documents' features came from, counted by source (`index`, `l1`, `computed`…)
  const sources: Record<string, number> = {};
  for (const p of r.preps) for (const s of Object.values(p.sources)) if (s) sources[s] = (sources[s] ?? 0) + 1;
  const errors = r.preps.flatMap((p, index) => (p.error ? [{ index, ...mediaError(p.error) }] : []));
  // a document the local side read but the remote one could not send (or remote only): its error once
  for (const { index, error } of r.remoteErrors ?? []) if (!r.preps[index]?.error) errors.push({ index, ...mediaError(error) });
  errors.sort((a, b) => a.index - b.index);
  const used = r.instructionUsed;
  const out = Object.assign(r.top, {
    scores: r.results.map((x) => x.score),
    errors,
    usage: {
      documents: req.documents.length,
      images: r.docs.filter((f) => f?.image || f?.keptImage).length,
      video_frames: r.docs.reduce((s, f) => s + (f?.video?.frames.length ?? 0), 0),
      texts: r.texts.queryTexts.length + r.texts.passageTexts.length + (r.keptTexts ?? 0),
      tokens: r.tokens,
      model_calls: modelCalls,
      cache_hits: hits,
      cache_misses: misses,
      feature_sources: sources,
      ...(r.stored && (r.stored.used || r.stored.rejected)
        ? { records: { used: r.stored.used, rejected: r.stored.rejected, ...(r.stored.firstRejection ? { first_rejection: r.stored.firstRejection } : {}) } }
        : {}),
    },
    timings,
    instruction: {
      given: req.instruction !== undefined,
      used,
      by: used ? ['remote'] : [],
      ...(req.instruction !== undefined && !used
        ? {
            note: r.remoteScored
              ? 'unconfirmed: sent to the remote worker, which did not say it used it (meta.instruction_used)'
              : 'unused: the local signals are bi-encoders and classifiers that take no instruction; only the remote backend does',
          }
        : {}),
    },
    ...(r.remoteError ? { remoteError: { code: r.remoteError.code, reason: r.remoteError.message } } : {}),
    ...(r.warnings?.length ? { warnings: r.warnings } : {}),
  });
  return out as RerankOutput;
}
