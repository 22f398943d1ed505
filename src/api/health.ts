/** Placeholder health router; the proxy work (issue 3) fills in upstream reachability and metrics. */
import { Router } from 'express';
import type { ServerContext } from '../http/context.js';

export function healthRouter(ctx: ServerContext): Router {
  const r = Router();
  r.get('/health', (_req, res) => {
    res.json({ status: 'green' });
  });
  r.get('/metrics', async (_req, res) => {
    res.type(ctx.metrics.registry.contentType).send(await ctx.metrics.registry.metrics());
  });
  return r;
}
