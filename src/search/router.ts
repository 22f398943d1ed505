/**
 * Interception of `GET|POST /{index}/_search`, `/_search`, `/{index}/_msearch` and `/_msearch`.
 * Only these bodies are read (bounded by server.maxJsonBodyBytes), because whether to rerank is
 * written inside them. A search that is not a rerank request is forwarded with its exact original
 * bytes and the answer streamed back untouched; a request without a body that cannot be a rerank
 * request never leaves the streaming proxy path at all.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { Router, type NextFunction, type Request, type Response } from 'express';
import type { ServerContext } from '../http/context.js';
import { sendError } from '../http/errors.js';
import { PipelineRegistry } from '../pipelines/index.js';
import { UpstreamPool } from '../proxy/pool.js';
import type { Reranker } from '../rerank/reranker.js';
import { decodeBody, hasBody, readBody } from './body.js';
import { detectRerank } from './detect.js';
import { runRerankSearch, type SearchDeps } from './execute.js';
import { forwardBuffered } from './forward.js';
import { originalUrl } from '../proxy/forward.js';
import { parseMsearch, planMsearch, runMsearch } from './msearch.js';
import { RerankerEmbedder } from '../rerank/embedder.js';
import { RerankerScorer } from './reranker-scorer.js';
import type { Embedder, Scorer } from './scorer.js';

/** Words whose absence from a body proves it asks for no reranking (saves a JSON parse). */
const MARKERS = ['vlrerank', 'text_similarity_reranker', 'search_pipeline'];

export interface SearchServices {
  pipelines: PipelineRegistry;
  /** Set by tests to stand in for the reranker (fault fakes) — otherwise built from services.reranker. */
  scorer?: Scorer;
  embedder?: Embedder;
}

function pool(ctx: ServerContext): UpstreamPool {
  let p = ctx.services.upstream as UpstreamPool | undefined;
  if (!p) {
    p = new UpstreamPool(ctx.config.upstream, { metrics: ctx.metrics });
    ctx.services.upstream = p;
    const created = p;
    ctx.onClose.push(() => created.close());
  }
  return p;
}

export function searchDeps(ctx: ServerContext): SearchDeps {
  const svc = ctx.services.search as SearchServices;
  const reranker = ctx.services.reranker as Reranker | undefined;
  return {
    pool: pool(ctx),
    scorer: svc.scorer ?? (reranker ? ((svc as { _scorer?: Scorer })._scorer ??= new RerankerScorer(reranker)) : undefined),
    embedder: svc.embedder ?? (reranker ? ((svc as { _embedder?: Embedder })._embedder ??= new RerankerEmbedder(reranker)) : undefined),
    onDegraded: (_reason, code) => ctx.metrics.failures.inc({ code: `degraded:${code}` }),
    onDocumentErrors: (count, first) => {
      ctx.metrics.failures.inc({ code: `document:${first.code}` }, count);
      ctx.logger.warn({ count, code: first.code, reason: first.reason }, 'hits whose media could not be read were reranked on their text alone');
    },
  };
}

function splitUrl(req: IncomingMessage): URLSearchParams {
  const url = originalUrl(req);
  const q = url.indexOf('?');
  return new URLSearchParams(q >= 0 ? url.slice(q + 1) : '');
}

function clientSignal(res: ServerResponse): AbortSignal {
  const ac = new AbortController();
  res.on('close', () => {
    if (!res.writableFinished) ac.abort(new Error('client closed the connection'));
  });
  return ac.signal;
}

function send(res: ServerResponse, status: number, headers: Record<string, string>, body: Buffer | Record<string, unknown>): void {
  res.statusCode = status;
  for (const [k, v] of Object.entries(headers)) res.setHeader(k, v);
  res.end(Buffer.isBuffer(body) ? body : JSON.stringify(body));
}

/**
 * A search handler on the plain node objects: `index` from the path (undefined for /_search),
 * `next` hands the request to the streaming proxy untouched.
 */
export type SearchHandler = (req: IncomingMessage, res: ServerResponse, index: string | undefined, next: () => void) => Promise<void>;

export function searchHandlers(ctx: ServerContext): { search: SearchHandler; msearch: SearchHandler } {
  const svc = ctx.services.search as SearchServices;
  const registry = svc.pipelines;
  const maxBytes = ctx.config.server.maxJsonBodyBytes;

  const search: SearchHandler = async (req, res, index, next) => {
    const params = splitUrl(req);
    const sp = params.get('search_pipeline');
    if (!hasBody(req) && !(sp && registry.get(sp))) return next();
    try {
      const raw = hasBody(req) ? await readBody(req, maxBytes) : Buffer.alloc(0);
      const text = raw.length ? decodeBody(req, raw, maxBytes) : '';
      const maybe = text !== undefined && (registry.defaultFor(index) !== undefined || (sp && registry.get(sp)) || MARKERS.some((m) => text.includes(m)));
      let body: unknown;
      if (maybe && text) {
        try {
          body = JSON.parse(text);
        } catch {
          body = undefined; // not JSON: the engine answers with its own parse error
        }
      }
      const d = maybe && (body !== undefined || !text) ? detectRerank({ index, params, body }, registry) : { kind: 'passthrough' as const };
      if (d.kind === 'passthrough') {
        if (d.body) return await forwardBuffered(pool(ctx), req, res, Buffer.from(JSON.stringify(d.body)), true);
        return await forwardBuffered(pool(ctx), req, res, raw);
      }
      const out = await runRerankSearch(d.spec, searchDeps(ctx), { index, headers: req.headers, signal: clientSignal(res) });
      send(res, out.status, out.headers, out.body);
    } catch (e) {
      sendError(res, e, ctx);
    }
  };

  const msearch: SearchHandler = async (req, res, index, next) => {
    if (!hasBody(req)) return next();
    try {
      const raw = await readBody(req, maxBytes);
      const text = decodeBody(req, raw, maxBytes);
      if (text === undefined || (!registry.hasDefault && !MARKERS.some((m) => text.includes(m)))) return await forwardBuffered(pool(ctx), req, res, raw);
      let items;
      try {
        items = parseMsearch(text);
      } catch {
        return await forwardBuffered(pool(ctx), req, res, raw); // the engine reports its own NDJSON error
      }
      const params = splitUrl(req);
      const plan = planMsearch(items, index, params, registry);
      if (plan.every((p) => p.kind === 'plain' && !p.rewritten)) return await forwardBuffered(pool(ctx), req, res, raw);
      const out = await runMsearch(plan, searchDeps(ctx), { pathIndex: index, params, headers: req.headers, signal: clientSignal(res) });
      send(res, 200, out.headers, out.body);
    } catch (e) {
      sendError(res, e, ctx);
    }
  };

  return { search, msearch };
}

/**
 * The same handlers as express routes, for what the fast dispatch in http/app.ts leaves to the
 * routers (case variants, a trailing slash, percent-encoded index names, HEAD).
 */
export function searchRouter(ctx: ServerContext, handlers = searchHandlers(ctx)): Router {
  const router = Router();
  const route = (h: SearchHandler) => (req: Request, res: Response, next: NextFunction) => h(req, res, req.params.index as string | undefined, () => next());
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
