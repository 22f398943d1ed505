/**
 * Registers the rerank area in the server: the shared Models facade (`ctx.services.models`, reused
 * if another area made it first), the Reranker (`ctx.services.reranker`, used by the search
 * interception too), and its routers — the admin ones under /_vlrerank, the compatible rerank APIs
 * at the root as an intercept router.
 */
import type { AppParts } from '../http/app.js';
import type { ServerContext } from '../http/context.js';
import type { Models } from '../models/index.js';
import type { MediaSource } from '../features/media/source.js';
import type { FeatureExtractor } from '../features/extractor.js';
import { createRerankService } from '../rerank/service.js';
import { compatRerankRouter, rerankRouter } from './rerank.js';
import { modelsRouter } from './models.js';
import { addHealthSection } from './health.js';

export async function registerRerank(ctx: ServerContext, parts: AppParts): Promise<void> {
  const svc = await createRerankService(ctx.config, {
    logger: ctx.logger,
    metrics: ctx.metrics,
    models: ctx.services.models as Models | undefined,
    source: ctx.services.mediaSource as MediaSource | undefined,
    features: () => ctx.services.features as FeatureExtractor | undefined,
  });
  ctx.services.models ??= svc.models;
  ctx.services.reranker = svc.reranker;
  ctx.onClose.push(() => svc.close());
  // warming / ready / failed (with the reason) once the search area starts a warm-up; idle = lazy loading
  addHealthSection(ctx, 'reranker', () => {
    const s = svc.reranker.warm.status();
    return s.state === 'idle' ? { ...s, note: 'no warm-up: models load on first use' } : s;
  });
  parts.admin.push(rerankRouter(ctx), modelsRouter(ctx));
  parts.intercept.push(compatRerankRouter(ctx));
}
