/**
 * The search area: load the pipelines, register them as `ctx.services.search`, start the
 * reranker's warm-up when there are pipelines to serve (`rerank.warmup`, in the background: the
 * server listens at once), and give the routers to mount before the proxy (search interception,
 * vectors at ingest).
 */
import type { Router } from 'express';
import type { ServerContext } from '../http/context.js';
import { loadPipelines, PipelineRegistry, type Pipeline } from '../pipelines/index.js';
import type { Reranker } from '../rerank/reranker.js';
import { searchHandlers, searchRouter, type SearchHandler, type SearchServices } from './router.js';
import { ingestRouter } from '../ingest/router.js';

export { searchRouter, type SearchServices } from './router.js';
export { detectRerank, type RerankSpec } from './detect.js';
export type { Scorer, Embedder, ScoreRequest, ScoredDocument } from './scorer.js';

export interface MountedSearch {
  /** Mounted before the proxy: search interception (for the path spellings the fast dispatch leaves) and ingest. */
  routers: Router[];
  /** For the fast dispatch (http/app.ts). */
  handlers: { search: SearchHandler; msearch: SearchHandler };
  /** Does any pipeline add vectors at ingest (PipelineRegistry.ingests)? */
  ingest: boolean;
}

export function mountSearch(ctx: ServerContext): MountedSearch {
  const services: SearchServices = { pipelines: new PipelineRegistry(loadPipelines(ctx.config.pipelines.dir)) };
  ctx.services.search = services;
  ctx.services.pipelines = services.pipelines;
  ctx.logger.info({ pipelines: services.pipelines.pipelines.map((p) => p.name) }, 'rerank pipelines loaded');
  startWarmup(ctx, services.pipelines.pipelines);
  const handlers = searchHandlers(ctx);
  return { routers: [searchRouter(ctx, handlers), ingestRouter(ctx)], handlers, ingest: services.pipelines.ingests };
}

/**
 * Warm the reranker in the background so that the first reranked search does not spend its budget
 * loading models. A failure is logged and shown by GET /_vlrerank/health; it never stops the server.
 */
function startWarmup(ctx: ServerContext, pipelines: readonly Pipeline[]): void {
  const reranker = ctx.services.reranker as Reranker | undefined;
  if (!reranker || !ctx.config.rerank.warmup || pipelines.length === 0) return;
  // the image models only when some pipeline has image or video fields
  const media = pipelines.some((p) => p.fields.image.length + p.fields.video.length > 0);
  const ac = new AbortController();
  const done = reranker.startWarmup({ media, signal: ac.signal }, (s) => {
    if (s.state === 'ready') ctx.logger.info({ ms: s.ms, warmed: s.what }, 'reranker warm');
    else if (!ac.signal.aborted) ctx.logger.error({ ms: s.ms, code: s.code, reason: s.reason }, 'reranker warm-up failed: searches load the models on first use and fail open as before');
  });
  ctx.logger.info({ warming: reranker.warm.status().what }, 'reranker warming up in the background');
  // on shutdown: stop between steps and let a model load finish before the sessions are closed
  ctx.onClose.push(async () => {
    ac.abort();
    await done;
  });
}
