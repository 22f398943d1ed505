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

/** Starts the warm-up if there is one to do; returns what stops it (shutdown), or undefined. */
export function startWarmup(reranker: Reranker, pipelines: readonly Pipeline[], config: Config, logger: Logger): (() => Promise<void>) | undefined {
  const worker = config.server.role === 'worker';
  if (!config.rerank.warmup || (pipelines.length === 0 && !worker)) return undefined;
  const media = worker || pipelines.some((p) => p.fields.image.length + p.fields.video.length > 0);
  const ocr = config.rerank.ocr || pipelines.some((p) => (p.scorer.weights.image_ocr_text ?? 0) > 0);
  const ac = new AbortController();
  const done = reranker.startWarmup({ media, ocr, signal: ac.signal }, (s) => {
    if (s.state === 'ready') logger.info({ ms: s.ms, warmed: s.what }, 'reranker warm');
    else if (!ac.signal.aborted) logger.error({ ms: s.ms, code: s.code, reason: s.reason }, 'reranker warm-up failed: searches load the models on first use and fail open as before');
  });
  logger.info({ warming: reranker.warm.status().what }, 'reranker warming up in the background');
  // on shutdown: stop between steps and let a model load finish before the sessions are closed
  return async () => {
    ac.abort();
    await done;
  };
}
