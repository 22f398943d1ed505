/**
 * vlrerank's own endpoints under /_vlrerank: health, Prometheus metrics, and the models admin
 * (list; load/unload behind the admin token). The handlers are the api room's; this file only
 * mounts them and writes their answers.
 */
import { Router } from 'express';
import { health, metricsText, type HealthDeps } from '../api/health.js';
import { checkAdmin, listModels, modelAction, type ModelsDeps } from '../api/models.js';
import { onlyMethods } from './methods.js';

export interface AdminRouteDeps {
  health: HealthDeps;
  models: ModelsDeps;
  metrics: Parameters<typeof metricsText>[0];
  adminToken: string | undefined;
}

export function adminRouter(deps: AdminRouteDeps): Router {
  const r = Router();
  r.get('/health', async (req, res, next) => {
    try {
      const q = req.query as Record<string, unknown>;
      const h = await health(deps.health, q.live !== undefined ? 'live' : q.ready !== undefined ? 'ready' : 'full');
      res.status(h.status).json(h.body);
    } catch (e) {
      next(e);
    }
  });
  r.get('/metrics', async (_req, res, next) => {
    try {
      const m = await metricsText(deps.metrics);
      res.type(m.contentType).send(m.text);
    } catch (e) {
      next(e);
    }
  });
  r.get('/models', (_req, res, next) => {
    try {
      res.json(listModels(deps.models));
    } catch (e) {
      next(e);
    }
  });
  for (const action of ['_load', '_unload'] as const) {
    r.post(`/models/:id/${action}`, async (req, res, next) => {
      try {
        checkAdmin(deps.adminToken, req.headers as Parameters<typeof checkAdmin>[1]);
        res.json(await modelAction(deps.models, String(req.params.id), action));
      } catch (e) {
        next(e);
      }
    });
    r.all(`/models/:id/${action}`, onlyMethods('POST'));
  }
  // a wrong method on these paths is a 405 naming the allowed ones (methods.ts), not a 404
  r.all('/health', onlyMethods('GET'));
  r.all('/metrics', onlyMethods('GET'));
  r.all('/models', onlyMethods('GET'));
  return r;
}
