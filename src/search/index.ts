/**
 * The search area: load the pipelines, register them as `ctx.services.search`, and give the
 * routers to mount before the proxy (search interception, vectors at ingest).
 */
import type { Router } from 'express';
import type { ServerContext } from '../http/context.js';
import { loadPipelines, PipelineRegistry } from '../pipelines/index.js';
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
}

export function mountSearch(ctx: ServerContext): MountedSearch {
  const services: SearchServices = { pipelines: new PipelineRegistry(loadPipelines(ctx.config.pipelines.dir)) };
  ctx.services.search = services;
  ctx.services.pipelines = services.pipelines;
  ctx.logger.info({ pipelines: services.pipelines.pipelines.map((p) => p.name) }, 'rerank pipelines loaded');
  const handlers = searchHandlers(ctx);
  return { routers: [searchRouter(ctx, handlers), ingestRouter(ctx)], handlers };
}
