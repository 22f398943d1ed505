/**
 * Model administration: `GET /_vlrerank/models` (every manifest with state, provider, memory, and the
 * reranker's calibration source), `POST /_vlrerank/models/{id}/_load` and `/_unload` — the lazy
 * load/unload of the seed: the server starts without loading weights, a model loads on first use or
 * on `_load`, `_unload` releases its sessions. Load/unload need `server.adminToken`
 * (`authorization: Bearer …` or `x-vlrerank-admin-token`); without a configured token they refuse.
 */
import { timingSafeEqual } from 'node:crypto';
import { Router, type Request } from 'express';
import type { ServerContext } from '../http/context.js';
import { vlrError } from '../errors.js';
import type { Models } from '../models/index.js';
import type { Reranker } from '../rerank/reranker.js';

function models(ctx: ServerContext): Models {
  const m = ctx.services.models as Models | undefined;
  if (!m) throw vlrError('VLR_MODEL_MISSING', 'no model layer is configured in this server');
  return m;
}

export function checkAdmin(ctx: ServerContext, req: Request): void {
  const want = ctx.config.server.adminToken;
  if (!want) throw vlrError('VLR_UNAUTHORIZED', 'admin endpoints are disabled: set server.adminToken (VLRERANK_ADMIN_TOKEN)');
  const auth = req.headers.authorization;
  const given = typeof auth === 'string' && /^bearer /i.test(auth) ? auth.slice(7).trim() : (req.headers['x-vlrerank-admin-token'] as string | undefined);
  const a = Buffer.from(given ?? '');
  const b = Buffer.from(want);
  if (a.length !== b.length || !timingSafeEqual(a, b)) throw vlrError('VLR_UNAUTHORIZED', 'missing or wrong admin token');
}

export function modelsRouter(ctx: ServerContext): Router {
  const r = Router();
  r.get('/models', (_req, res, next) => {
    try {
      const reranker = ctx.services.reranker as Reranker | undefined;
      res.json({
        device: ctx.config.models.device,
        models: models(ctx).list(),
        ...(reranker ? { calibration: { source: reranker.calibrator.source, signals: reranker.calibrator.describe() } } : {}),
      });
    } catch (e) {
      next(e);
    }
  });
  for (const action of ['_load', '_unload'] as const) {
    r.post(`/models/:id/${action}`, async (req, res, next) => {
      try {
        checkAdmin(ctx, req);
        const id = String(req.params.id);
        const m = models(ctx);
        if (!m.registry.list().some((x) => x.id === id)) throw vlrError('VLR_MODEL_NOT_FOUND', `no model [${id}]`, { details: { model: id } });
        const info = action === '_load' ? await m.load(id) : await m.unload(id);
        res.json({ acknowledged: true, model: info });
      } catch (e) {
        next(e);
      }
    });
  }
  return r;
}
