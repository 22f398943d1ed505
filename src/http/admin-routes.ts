/**
 * vlrerank's own endpoints under /_vlrerank: health, Prometheus metrics, and the models admin
 * (list; load/unload behind the admin token). The handlers are the api room's; this file only
 * mounts them and writes their answers.
 */
import { Router } from 'express';
import { health, metricsText, type HealthDeps } from '../api/health.js';
import { checkAdmin, listModels, modelAction, type ModelsDeps } from '../api/models.js';
import { getPipeline, listPipelines, reloadPipelines, type PipelinesDeps } from '../api/pipelines.js';
import { onlyMethods } from './methods.js';

export interface AdminRouteDeps {
  health: HealthDeps;
  models: ModelsDeps;
  metrics: Parameters<typeof metricsText>[0];
  adminToken: string | undefined;
  /** The pipeline set serving and its reload; absent: no such endpoints (a 404). */
  pipelines?: PipelinesDeps;
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
  const pipelines = deps.pipelines;
  if (pipelines) {
    r.get('/pipelines', (_req, res) => void res.json(listPipelines(pipelines)));
    r.post('/pipelines/_reload', async (req, res, next) => {
      try {
        res.json(await reloadPipelines(pipelines, deps.adminToken, req.headers as Parameters<typeof checkAdmin>[1]));
      } catch (e) {
        next(e);
      }
    });
    r.all('/pipelines/_reload', onlyMethods('POST'));
    r.get('/pipelines/:name', (req, res, next) => {
      try {
        res.json(getPipeline(pipelines, String(req.params.name)));
      } catch (e) {
        next(e);
      }
    });
    r.all('/pipelines', onlyMethods('GET'));
    r.all('/pipelines/:name', onlyMethods('GET'));
  }
  // a wrong method on these paths is a 405 naming the allowed ones (methods.ts), not a 404
  r.all('/health', onlyMethods('GET'));
  r.all('/metrics', onlyMethods('GET'));
  r.all('/models', onlyMethods('GET'));
  return r;
}
