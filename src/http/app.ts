/**
 * The express app, for everything the fast dispatch (handler.ts) does not take. It mounts, in
 * this order: vlrerank's own endpoints under /_vlrerank/ (index names cannot start with "_") —
 * rerank, health, metrics, models, UI — and an ES-shaped 404 for any other path there (a wrong
 * method on one of them: 405, methods.ts); the rerank-compatible APIs (/v1/rerank, /v2/rerank,
 * /rerank) and vLLM's score API (/score, /v1/score); Elasticsearch's Inference API on a pipeline's
 * name (`_inference/…`, inference-routes.ts); search interception (for the path
 * spellings the fast dispatch leaves to the router) and ingest (vectors at _bulk, _doc…); the
 * transparent streaming proxy for everything else; the ES-shaped error handler.
 * No global body parser: passthrough bodies must stream untouched.
 */
import express, { type Express, type RequestHandler } from 'express';
import { vlrError } from '../errors.js';
import type { IngestDeps } from '../ingest/handle.js';
import type { UpstreamPool } from '../proxy/pool.js';
import type { Reranker } from '../rerank/reranker.js';
import type { SearchHandlerDeps } from '../search/handle.js';
import type { JsonWorker } from '../util/json-worker.js';
import type { AccessLogDeps } from './access-log.js';
import { adminRouter, type AdminRouteDeps } from './admin-routes.js';
import type { ConnectionCap } from './connection-cap.js';
import { errorHandler, esProduct, type ErrorDeps, type UpstreamProduct } from './errors.js';
import { inferenceRouter } from './inference-routes.js';
import { ingestRouter } from './ingest-routes.js';
import type { NodeHandler } from './proxy-route.js';
import { compatRerankRouter, rerankRouter, type RerankRouteDeps } from './rerank-routes.js';
import { searchRouter, type SearchRouteHandler } from './search-routes.js';
import { searchPipelineRouter } from './search-pipeline-routes.js';
import { uiRouter, type UiRouteDeps } from './ui-routes.js';

/** What the HTTP surface needs from the composition root (src/server/), each room's share apart. */
export interface HttpDeps {
  errors: ErrorDeps;
  access: AccessLogDeps;
  pool: UpstreamPool;
  search: SearchHandlerDeps;
  ingest: IngestDeps;
  /** Its admission controller, when present, lets the rerank routes refuse before reading a body. */
  reranker: RerankRouteDeps['reranker'];
  admin: AdminRouteDeps;
  /** Absent: no UI (config.server.ui false). */
  ui?: UiRouteDeps;
  maxJsonBodyBytes: number;
  /** The engine's product headers once known (vlrerank's own answers then carry them: x-elastic-product, as the ES client requires; OpenSearch 3.x's X-OpenSearch-Version) */
  upstreamProduct?: UpstreamProduct;
  /** server.maxJsonDepth: deepest JSON accepted in a body vlrerank parses. */
  maxJsonDepth: number;
  /** The JSON worker (util/json-worker.ts) every body reader parses large bodies in: built, started and closed by the composition root. */
  jsonWorker: JsonWorker;
  /** `worker`: the rerank APIs, health and metrics only (no proxy, search, ingest or UI). */
  role?: 'proxy' | 'worker';
  /** Connections past server.maxConnections, answered 503 and closed (connection-cap.ts); absent: no cap. */
  connections?: Pick<ConnectionCap, 'refusal'>;
  /** server.bodyIdleTimeoutMs (body-idle.ts); 0 or absent: off. */
  bodyIdleTimeoutMs?: number;
}

/**
 * In front of Elasticsearch every answer vlrerank makes on its paths carries `x-elastic-product`,
 * as the engine's own do: the official client refuses an answer without it
 * (ProductNotSupportedError) on its `transport.request` to `/_vlrerank/*` (held-out probe round 8a);
 * in front of OpenSearch 3.x, its `X-OpenSearch-Version` likewise (errors.ts `esProduct`).
 * Not on the rerank-compatible APIs, which are not the engine's; search and ingest add it to their
 * own errors (search-routes.ts, ingest-routes.ts).
 */
function productHeader(deps: HttpDeps): RequestHandler {
  return (_req, res, next) => {
    for (const [k, v] of Object.entries(esProduct(deps.upstreamProduct) ?? {})) res.setHeader(k, v);
    next();
  };
}

/** The express app both roles start from: its settings, and vlrerank's rerank and admin endpoints under /_vlrerank. */
function ownEndpoints(deps: HttpDeps) {
  const app = express();
  app.disable('x-powered-by');
  app.disable('etag');
  app.set('query parser', 'simple');
  const rerank = { ...deps.errors, reranker: deps.reranker, maxJsonBodyBytes: deps.maxJsonBodyBytes, maxJsonDepth: deps.maxJsonDepth, jsonWorker: deps.jsonWorker };
  app.use('/_vlrerank', productHeader(deps), rerankRouter(rerank), adminRouter(deps.admin));
  return { app, rerank };
}

/**
 * A scorer worker's app: vlrerank's own endpoints and the rerank-compatible APIs; any other path is
 * an ES-shaped 404 (a worker has no cluster to forward to).
 */
export function buildWorkerApp(deps: HttpDeps): Express {
  const { app, rerank } = ownEndpoints(deps);
  app.use(compatRerankRouter(rerank, { forwardsIndexPaths: false }));
  app.use((req, _res, next) => next(vlrError('VLR_NOT_FOUND', `a vlrerank worker serves only the rerank APIs and /_vlrerank/health|metrics|models, not [${req.method} ${req.path}]`)));
  app.use(errorHandler(deps.errors));
  return app;
}

export function buildApp(deps: HttpDeps, fast: { proxy: NodeHandler; search: { search: SearchRouteHandler; msearch: SearchRouteHandler } }): Express {
  const { app, rerank } = ownEndpoints(deps);
  if (deps.ui) app.use('/_vlrerank', uiRouter(deps.ui));
  // vlrerank owns /_vlrerank/: an unknown path there is our 404, never forwarded (the engine would answer a confusing 405)
  app.use('/_vlrerank', (req, _res, next) => next(vlrError('VLR_NOT_FOUND', `no vlrerank endpoint [${req.method} ${req.baseUrl}${req.path}]`)));
  app.use(compatRerankRouter(rerank, { forwardsIndexPaths: true }));
  // Elasticsearch's Inference API on a pipeline's name (`POST _inference/rerank/{pipeline}`); any other id goes on to the engine
  // OPTIONS is the engine's on every id: express's router would answer it itself (200, `Allow: GET, HEAD, POST`) for any id its paths match
  const inference = inferenceRouter({ rerank, pipelines: () => deps.search.pipelines, upstreamProduct: deps.upstreamProduct });
  app.use((req, res, next) => (req.method === 'OPTIONS' ? next() : inference(req, res, next)));
  // express's GET routes answer HEAD too: a `HEAD /{index}/_search?q=…` ran a whole reranked search
  // and answered 200 where the engines answer 405 (held-out probe round 7); HEAD is the engine's
  // OpenSearch's cluster search pipeline whose rerank processor names a vlrerank pipeline (search-pipeline-routes.ts)
  const aliases = deps.search.searchPipelines;
  if (aliases) {
    const sp = { ...deps.errors, pool: deps.pool, aliases, pipelines: () => deps.search.pipelines, maxJsonBodyBytes: deps.maxJsonBodyBytes, maxJsonDepth: deps.maxJsonDepth, jsonWorker: deps.jsonWorker, upstreamProduct: deps.upstreamProduct };
    app.use(searchPipelineRouter(sp));
  }
  const search = searchRouter(fast.search);
  app.use((req, res, next) => (req.method === 'HEAD' ? next() : search(req, res, next)));
  app.use(ingestRouter({ ...deps.errors, upstreamProduct: deps.upstreamProduct, ingest: deps.ingest, maxJsonBodyBytes: deps.maxJsonBodyBytes, jsonWorker: deps.jsonWorker }));
  app.use((req, res) => fast.proxy(req, res));
  app.use(errorHandler(deps.errors));
  return app;
}
