/**
 * The express app: mounts, in this order,
 *   1. access log + request metrics (every request),
 *   2. vlrerank's own endpoints under /_vlrerank/ (index names cannot start with "_"),
 *      and the rerank-compatible APIs (/v1/rerank, /v2/rerank, /rerank),
 *   3. search interception (_search / _msearch that ask for reranking) and ingest (vectors at _bulk),
 *   4. the transparent streaming proxy for everything else.
 * No global body parser: passthrough bodies must stream untouched.
 */
import express, { type Express, type Router } from 'express';
import type { ServerContext } from './context.js';
import { errorHandler } from './errors.js';
import { accessLog } from './access-log.js';
import { vlrError } from '../errors.js';

export interface AppParts {
  /** Routers mounted at /_vlrerank (api: health, metrics, rerank, models; ui). */
  admin: Router[];
  /** Routers mounted at the root before the proxy (rerank-compatible APIs, search interception, ingest). */
  intercept: Router[];
  /** The catch-all proxy handler. */
  proxy: express.RequestHandler;
}

export function buildApp(ctx: ServerContext, parts: AppParts): Express {
  const app = express();
  app.disable('x-powered-by');
  app.disable('etag');
  app.set('query parser', 'simple');
  app.use(accessLog(ctx));
  for (const r of parts.admin) app.use('/_vlrerank', r);
  // vlrerank owns /_vlrerank/: an unknown path there is our 404, never forwarded (the engine would answer a confusing 405)
  app.use('/_vlrerank', (req, _res, next) => next(vlrError('VLR_NOT_FOUND', `no vlrerank endpoint [${req.method} ${req.baseUrl}${req.path}]`)));
  for (const r of parts.intercept) app.use(r);
  app.use(parts.proxy);
  app.use(errorHandler(ctx));
  return app;
}
