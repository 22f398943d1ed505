/**
 * The HTTP surface. Every request is first tracked (access log + request metrics), then:
 *   1. fast dispatch, on the plain node objects, for the two hot paths of a drop-in proxy:
 *      a request no router can take goes straight to the streaming proxy, and
 *      `GET|POST /_search`, `/{index}/_search`, `/_msearch`, `/{index}/_msearch` go straight to
 *      the search handlers (which forward a search that asks for no reranking with its exact bytes);
 *   2. everything else goes through the express app, which mounts, in this order:
 *      vlrerank's own endpoints under /_vlrerank/ (index names cannot start with "_") and the
 *      rerank-compatible APIs (/v1/rerank, /v2/rerank, /rerank); search interception (the same
 *      handlers, for the path spellings the fast dispatch leaves to the router) and ingest
 *      (vectors at _bulk); the transparent streaming proxy for everything else.
 * Express on the hot paths cost more CPU than the proxying itself (scripts/bench/proxy.ts).
 * No global body parser: passthrough bodies must stream untouched.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import express, { type Express, type Router } from 'express';
import type { ServerContext } from './context.js';
import { errorHandler } from './errors.js';
import { requestTracker } from './access-log.js';
import { vlrError } from '../errors.js';

/** A handler on the plain node objects. */
export type NodeHandler = (req: IncomingMessage, res: ServerResponse) => void;

/** The search handlers' shape (search/router.ts): `next` hands the request to the proxy. */
export type SearchRouteHandler = (req: IncomingMessage, res: ServerResponse, index: string | undefined, next: () => void) => Promise<void>;

export interface AppParts {
  /** Routers mounted at /_vlrerank (api: health, metrics, rerank, models; ui). */
  admin: Router[];
  /** Routers mounted at the root before the proxy (rerank-compatible APIs, search interception, ingest). */
  intercept: Router[];
  /** The catch-all proxy handler. */
  proxy: NodeHandler;
  /** Search interception for the fast dispatch (absent: searches go through the routers). */
  search?: { search: SearchRouteHandler; msearch: SearchRouteHandler };
  /** May a router take writes (_bulk, _doc, …: an ingest pipeline adds vectors)? Absent: yes. */
  ingest?: boolean;
}

/**
 * Could any router mounted before the proxy take this request? Deliberately over-approximate
 * (a `true` only means "walk the routers as before"): express matches paths case-insensitively
 * and ignores a trailing slash, so the check is on the lower-cased path, by substring.
 *   - /_vlrerank/… and the rerank APIs (/rerank, /v1/rerank, /v2/rerank): "rerank";
 *   - search interception (_search, _msearch, any method — GET routes also answer HEAD): "search";
 *   - ingest (POST/PUT _bulk, _doc, _create; POST _update), unless `ingest` is false (no pipeline
 *     adds vectors at ingest, so the ingest router hands every write to the proxy anyway);
 *   - a percent-encoded path could spell any of these: always the routers.
 * An area that mounts a new intercept route must extend this check.
 */
export function mayIntercept(method: string | undefined, url: string | undefined, ingest = true): boolean {
  if (!url) return true;
  const q = url.indexOf('?');
  const p = (q < 0 ? url : url.slice(0, q)).toLowerCase();
  if (p.includes('%') || p.includes('rerank') || p.includes('search')) return true;
  if (ingest && (method === 'POST' || method === 'PUT')) return p.includes('_bulk') || p.includes('_doc') || p.includes('_create') || p.includes('_update');
  return false;
}

/**
 * `/_search`, `/{index}/_search`, `/_msearch`, `/{index}/_msearch` for GET and POST, spelled
 * exactly (lower case, no trailing slash, no percent-encoding: those go to the routers, which
 * decode and match loosely as before). Returns the kind and the index, or undefined.
 */
export function searchRoute(method: string | undefined, url: string): { kind: 'search' | 'msearch'; index: string | undefined } | undefined {
  if (method !== 'GET' && method !== 'POST') return undefined;
  const q = url.indexOf('?');
  const p = q < 0 ? url : url.slice(0, q);
  if (p.includes('%')) return undefined;
  const kind = p.endsWith('/_search') ? 'search' : p.endsWith('/_msearch') ? 'msearch' : undefined;
  if (!kind) return undefined;
  const head = p.slice(0, p.length - kind.length - 2); // "" or "/{index}"
  if (head === '') return { kind, index: undefined };
  if (head.charCodeAt(0) !== 47 /* / */ || head.indexOf('/', 1) >= 0 || head.length === 1) return undefined;
  return { kind, index: head.slice(1) };
}

export function buildApp(ctx: ServerContext, parts: AppParts): Express {
  const app = express();
  app.disable('x-powered-by');
  app.disable('etag');
  app.set('query parser', 'simple');
  for (const r of parts.admin) app.use('/_vlrerank', r);
  // vlrerank owns /_vlrerank/: an unknown path there is our 404, never forwarded (the engine would answer a confusing 405)
  app.use('/_vlrerank', (req, _res, next) => next(vlrError('VLR_NOT_FOUND', `no vlrerank endpoint [${req.method} ${req.baseUrl}${req.path}]`)));
  for (const r of parts.intercept) app.use(r);
  app.use((req, res) => parts.proxy(req, res));
  app.use(errorHandler(ctx));
  return app;
}

/** The server's request handler: tracking, the fast dispatch, then the express app. */
export function buildHandler(ctx: ServerContext, parts: AppParts): NodeHandler {
  const app = buildApp(ctx, parts);
  const track = requestTracker(ctx);
  const { proxy, search } = parts;
  const ingest = parts.ingest ?? true;
  return (req, res) => {
    track(req, res);
    const url = req.url ?? '/';
    if (!mayIntercept(req.method, url, ingest)) return proxy(req, res);
    const s = search && !url.startsWith('/_vlrerank') ? searchRoute(req.method, url) : undefined;
    if (s) {
      void search![s.kind](req, res, s.index, () => proxy(req, res));
      return;
    }
    app(req, res);
  };
}
