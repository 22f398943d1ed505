/**
 * The express app: mounts, in this order,
 *   1. access log + request metrics (every request),
 *   2. a fast pre-dispatch: a request whose method and path no router below can take goes straight
 *      to the proxy handler (no walk over the admin and intercept routers' layers),
 *   3. vlrerank's own endpoints under /_vlrerank/ (index names cannot start with "_"),
 *      and the rerank-compatible APIs (/v1/rerank, /v2/rerank, /rerank),
 *   4. search interception (_search / _msearch that ask for reranking) and ingest (vectors at _bulk),
 *   5. the transparent streaming proxy for everything else.
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

/**
 * Could any router mounted before the proxy take this request? Deliberately over-approximate
 * (a `true` only means "walk the routers as before"): express matches paths case-insensitively
 * and ignores a trailing slash, so the check is on the lower-cased path, by substring.
 *   - /_vlrerank/… and the rerank APIs (/rerank, /v1/rerank, /v2/rerank): "rerank";
 *   - search interception (_search, _msearch, any method — GET routes also answer HEAD): "search";
 *   - ingest (POST/PUT _bulk, _doc, _create; POST _update);
 *   - a percent-encoded path could spell any of these: always the routers.
 * An area that mounts a new intercept route must extend this check.
 */
export function mayIntercept(method: string | undefined, url: string | undefined): boolean {
  if (!url) return true;
  const q = url.indexOf('?');
  const p = (q < 0 ? url : url.slice(0, q)).toLowerCase();
  if (p.includes('%') || p.includes('rerank') || p.includes('search')) return true;
  if (method === 'POST' || method === 'PUT') return p.includes('_bulk') || p.includes('_doc') || p.includes('_create') || p.includes('_update');
  return false;
}

export function buildApp(ctx: ServerContext, parts: AppParts): Express {
  const app = express();
  app.disable('x-powered-by');
  app.disable('etag');
  app.set('query parser', 'simple');
  app.use(accessLog(ctx));
  const proxy = parts.proxy;
  app.use((req, res, next) => (mayIntercept(req.method, req.url) ? next() : proxy(req, res, next)));
  for (const r of parts.admin) app.use('/_vlrerank', r);
  // vlrerank owns /_vlrerank/: an unknown path there is our 404, never forwarded (the engine would answer a confusing 405)
  app.use('/_vlrerank', (req, _res, next) => next(vlrError('VLR_NOT_FOUND', `no vlrerank endpoint [${req.method} ${req.baseUrl}${req.path}]`)));
  for (const r of parts.intercept) app.use(r);
  app.use(proxy);
  app.use(errorHandler(ctx));
  return app;
}
