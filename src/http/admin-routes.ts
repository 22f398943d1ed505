/**
 * vlrerank's own endpoints under /_vlrerank: health, Prometheus metrics, and the models admin
 * (list; load/unload behind the admin token). The handlers are the api room's; this file only
 * mounts them and writes their answers.
 */
import { Router, type Request, type Response } from 'express';
import { health, metricsText, type HealthDeps } from '../api/health.js';
import { checkAdmin, listModels, modelAction, type ModelsDeps } from '../api/models.js';
import { getPipeline, listPipelines, reloadPipelines, type PipelinesDeps } from '../api/pipelines.js';
import { onlyMethods } from './methods.js';
import { encodeEsAnswer } from './es-answer.js';
import { answerUnwanted, endInTurns } from './answer-json.js';
import { queryParams } from './request.js';

export interface AdminRouteDeps {
  health: HealthDeps;
  models: ModelsDeps;
  metrics: Parameters<typeof metricsText>[0];
  adminToken: string | undefined;
  /** The pipeline set serving and its reload; absent: no such endpoints (a 404). */
  pipelines?: PipelinesDeps;
}

/**
 * A JSON answer of these endpoints, written as the engines write their own APIs' (es-answer.ts):
 * `GET /_vlrerank/health?filter_path=status` answers `{"status": …}`, `?pretty` indents it.
 */
async function send(req: Request, res: Response, value: object, status = 200): Promise<void> {
  const { bytes, contentType } = await encodeEsAnswer(value, queryParams(req), req.headers.accept, { filter: true });
  if (answerUnwanted(res)) return;
  res.status(status).setHeader('content-type', contentType);
  await endInTurns(res, bytes);
}

export function adminRouter(deps: AdminRouteDeps): Router {
  const r = Router();
  r.get('/health', async (req, res, next) => {
    try {
      const q = req.query as Record<string, unknown>;
      const h = await health(deps.health, q.live !== undefined ? 'live' : q.ready !== undefined ? 'ready' : 'full');
      await send(req, res, h.body, h.status);
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
  r.get('/models', async (req, res, next) => {
    try {
      await send(req, res, listModels(deps.models));
    } catch (e) {
      next(e);
    }
  });
  for (const action of ['_load', '_unload'] as const) {
    r.post(`/models/:id/${action}`, async (req, res, next) => {
      try {
        checkAdmin(deps.adminToken, req.headers as Parameters<typeof checkAdmin>[1]);
        await send(req, res, await modelAction(deps.models, String(req.params.id), action));
      } catch (e) {
        next(e);
      }
    });
    r.all(`/models/:id/${action}`, onlyMethods('POST'));
  }
  const pipelines = deps.pipelines;
  if (pipelines) {
    r.get('/pipelines', async (req, res, next) => {
      try {
        await send(req, res, listPipelines(pipelines));
      } catch (e) {
        next(e);
      }
    });
    r.post('/pipelines/_reload', async (req, res, next) => {
      try {
        await send(req, res, await reloadPipelines(pipelines, deps.adminToken, req.headers as Parameters<typeof checkAdmin>[1]));
      } catch (e) {
        next(e);
      }
    });
    r.all('/pipelines/_reload', onlyMethods('POST'));
    r.get('/pipelines/:name', async (req, res, next) => {
      try {
        await send(req, res, getPipeline(pipelines, String(req.params.name)));
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
