/**
 * The server's request handler: every request is first tracked (access log + request metrics),
 * then the fast dispatch, on the plain node objects, takes the two hot paths of a drop-in proxy:
 * a request no router can take goes straight to the streaming proxy, and `GET|POST /_search`,
 * `/{index}/_search`, `/_msearch`, `/{index}/_msearch` go straight to the search handlers (which
 * forward a search that asks for no reranking with its exact bytes); everything else goes through
 * the express app (app.ts). Express on the hot paths cost more CPU than the proxying itself
 * (scripts/bench/proxy.ts). A rerank API call that admission refuses before its body is read is
 * answered here too: the 429 storm of clients that never wait must cost as little as possible.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { requestTracker } from './access-log.js';
import { answerUnread } from './body.js';
import { BodyIdleWatch } from './body-idle.js';
import { esProduct, sendCompatError, sendError } from './errors.js';
import { closeAfterAnswer } from './linger.js';
import { buildApp, buildWorkerApp, type HttpDeps } from './app.js';
import { isNodesHttp, nodesHttpHandler } from './nodes-http.js';
import { proxyHandler, type NodeHandler } from './proxy-route.js';
import { closeWithConnection } from './queued-close.js';
import { hasBody } from './request.js';
import { refuseEarly } from './rerank-routes.js';
import { searchHandlers } from './search-routes.js';
import { changesIndexPipelines } from '../ingest/index-pipelines.js';

/**
 * Could any router mounted before the proxy take this request? Deliberately over-approximate
 * (a `true` only means "walk the routers as before"): express matches its own endpoints case-insensitively
 * and ignores a trailing slash, so the check is on the lower-cased path, by substring.
 *   - /_vlrerank/… and the rerank APIs (/rerank, /v1/rerank, /v2/rerank): "rerank"; vLLM's score
 *     API: /score, /v1/score (a trailing slash too, as express matches); the model list /v1/models;
 *   - search interception (_search, _msearch, any method — GET routes also answer HEAD): "search";
 *   - Elasticsearch's Inference API on a pipeline's name (inference-routes.ts): "_inference"; and
 *     OpenSearch ml-commons' `_predict` on one (`/_plugins/_ml/models/{id}/_predict`, `/_plugins/_ml/_predict/…`): "/_predict";
 *     `_rank_eval` (measured reranked where a pipeline reranks: search/rank-eval.ts);
 *   - `_count`, `_explain/{id}`, `_validate/query` (their body's `ext.vlrerank` removed: search/query-only.ts);
 *   - ingest (POST/PUT _bulk, _doc, _create; POST _update), unless `ingest` is false (no pipeline
 *     adds vectors at ingest, so the ingest router hands every write to the proxy anyway);
 *   - a percent-encoded path could spell any of these: always the routers.
 * An area that mounts a new intercept route must extend this check.
 */
const SCORE_API = new Set(['/score', '/score/', '/v1/score', '/v1/score/']);
/** OpenAI's and vLLM's model list, served on a proxy too (rerank-routes.ts `discoveryRoutes`). */
const DISCOVERY = new Set(['/v1/models', '/v1/models/']);
/** `_count`, `_explain/{id}`, `_validate/query`: a body carrying `ext.vlrerank` is sent without it (search/query-only.ts). */
const QUERY_ONLY = ['/_count', '/_explain/', '/_validate/'];

export function mayIntercept(method: string | undefined, url: string | undefined, ingest = true): boolean {
  if (!url) return true;
  const q = url.indexOf('?');
  const p = (q < 0 ? url : url.slice(0, q)).toLowerCase();
  if (p.includes('%') || p.includes('rerank') || p.includes('search') || p.includes('_inference') || p.includes('/_predict') || p.includes('_rank_eval') || QUERY_ONLY.some((e) => p.includes(e)) || SCORE_API.has(p) || DISCOVERY.has(p)) return true;
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

/**
 * Does vlrerank read this request's body itself (bounded by server.maxJsonBodyBytes)? Its own
 * endpoints, the rerank APIs and searches do; a single-document write does only when a pipeline
 * adds vectors to that index (readBody refuses those by their Content-Length all the same).
 */
export function readsBody(method: string | undefined, url: string): boolean {
  if (!mayIntercept(method, url, false)) return false;
  const q = url.indexOf('?');
  const p = (q < 0 ? url : url.slice(0, q)).toLowerCase();
  return p.startsWith('/_vlrerank/') || p.includes('rerank') || SCORE_API.has(p) || p.includes('_search') || p.includes('_msearch') || p.includes('_rank_eval') || QUERY_ONLY.some((e) => p.includes(e));
}

/**
 * What the fast dispatch reads from a request target, kept per target (bounded): the same answers
 * as mayIntercept, isNodesHttp, rerankApiRoute and searchRoute, by method at use. A proxy sees the
 * same few targets over and over; each of those functions lower-cased or sliced the path again for
 * every request (issue 13: passthrough CPU).
 */
export interface TargetFacts {
  /** mayIntercept with ingest off (any method). */
  intercept: boolean;
  /** mayIntercept of a POST/PUT with ingest on. */
  write: boolean;
  /** isNodesHttp of a GET. */
  nodes: boolean;
  /** rerankApiRoute of a POST. */
  api: 'compat' | 'es' | undefined;
  /** searchRoute of a GET or POST (not for `/_vlrerank…`). */
  search: ReturnType<typeof searchRoute>;
  /** changesIndexPipelines of a PUT or DELETE (`put`), and of any other method but GET and HEAD (`other`). */
  changes: { put: boolean; other: boolean };
}

export const TARGETS_KEPT = 1024;

/** changesIndexPipelines(method, url) from the kept facts of `url` (a split and a regex per write were ~1 µs of a passthrough search, issue 13). */
export function changesPipelines(f: TargetFacts, method: string | undefined): boolean {
  if (method === undefined || method === 'GET' || method === 'HEAD') return false;
  return method === 'PUT' || method === 'DELETE' ? f.changes.put : f.changes.other;
}

/** mayIntercept(method, url, ingest) from the kept facts of `url`. */
export function intercepts(f: TargetFacts, method: string | undefined, ingest: () => boolean): boolean {
  return f.intercept || ((method === 'POST' || method === 'PUT') && f.write && ingest());
}

export function targetFacts(kept: Map<string, TargetFacts>, url: string): TargetFacts {
  let f = kept.get(url);
  if (f === undefined) {
    if (kept.size >= TARGETS_KEPT) kept.clear(); // targets come from clients: bounded
    f = {
      intercept: mayIntercept('GET', url, false),
      write: mayIntercept('POST', url, true),
      nodes: isNodesHttp('GET', url),
      api: rerankApiRoute('POST', url),
      search: url.startsWith('/_vlrerank') ? undefined : searchRoute('GET', url),
      changes: { put: changesIndexPipelines('PUT', url), other: changesIndexPipelines('POST', url) },
    };
    kept.set(url, f);
  }
  return f;
}

/**
 * Node's `checkContinue` event (a request with `Expect: 100-continue`; Node then sends no 100 by
 * itself): a body vlrerank would read that is declared over the limit is refused with 413 at once —
 * the client never sends it —, anything else gets its `100 Continue` and goes to `handler`.
 * Before this, a 50 MB declared body got `100 Continue` and then nothing for 10 s+ (issue 13).
 */
export function continueHandler(deps: Pick<HttpDeps, 'errors' | 'maxJsonBodyBytes'>, handler: NodeHandler): NodeHandler {
  return (req, res) => {
    const declared = Number(req.headers['content-length']);
    if (Number.isFinite(declared) && declared > deps.maxJsonBodyBytes && readsBody(req.method, req.url ?? '/')) {
      handler(req, res); // the body reader refuses it by its Content-Length before reading, and closes after the 413
      return;
    }
    res.writeContinue();
    handler(req, res);
  };
}

/**
 * The rerank API a POST to this exact path reaches (the shape of its errors), or undefined. Other
 * spellings (case, trailing slash, a query string is fine) are left to express, which refuses them
 * early all the same, only at a higher cost.
 */
export function rerankApiRoute(method: string | undefined, url: string): 'compat' | 'es' | undefined {
  if (method !== 'POST') return undefined;
  const q = url.indexOf('?');
  const p = q < 0 ? url : url.slice(0, q);
  if (p === '/v1/rerank' || p === '/v2/rerank' || p === '/rerank' || p === '/v1/score' || p === '/score') return 'compat';
  return p === '/_vlrerank/rerank' ? 'es' : undefined;
}

/**
 * An absolute-form request target (`GET http://host/idx/_count HTTP/1.1`, what a client sends to a
 * proxy it is configured with) as its origin form, path and query byte for byte; anything else as
 * it is. RFC 9112 §3.2.2: a server MUST accept the absolute form. Before (held-out probe round 7)
 * vlrerank's own routes matched it (a reranked search, health: 200) while what it forwarded reached
 * the engine as sent, whose 400 "no handler found for uri [http://…]" came back: one client, two
 * behaviours. The authority (and userinfo in it) is dropped: the upstream is vlrerank's to choose.
 */
export function originForm(url: string): string {
  // the asterisk form (`OPTIONS *`, RFC 9112 §3.2.4): the engines read it as the path `/*` (ES 8.19,
  // 9.2, OpenSearch 2.19, 3.6 answer `OPTIONS *` as `OPTIONS /*`, 200 with Allow); it could not be
  // forwarded as sent (a 400 "request cannot be forwarded", held-out probe round 7)
  if (url === '*') return '/*';
  const m = /^https?:\/\/[^/?#]*/i.exec(url);
  if (!m) return url;
  const rest = url.slice(m[0].length);
  return rest.startsWith('/') ? rest : `/${rest}`;
}

/**
 * A request on a connection past server.maxConnections (connection-cap.ts): 503 `VLR_OVERLOADED`
 * with `Retry-After`, in the shape of the API asked (the rerank APIs' own, else ES-shaped with the
 * engine's product headers), and the connection closed after it. `true` when it answered.
 */
function refuseOverCap(deps: HttpDeps): (req: IncomingMessage, res: ServerResponse) => boolean {
  return (req, res) => {
    const refusal = deps.connections?.refusal(req);
    if (!refusal) return false;
    answerUnread(req);
    closeAfterAnswer(res);
    if (rerankApiRoute(req.method, req.url ?? '/') === 'compat') sendCompatError(res, refusal, deps.errors);
    else sendError(res, refusal, deps.errors, esProduct(deps.upstreamProduct));
    return true;
  };
}

/** The 408 of a body gone idle (body-idle.ts), in the shape of the API asked; undefined when off. */
function bodyIdleWatch(deps: HttpDeps): BodyIdleWatch | undefined {
  if (!deps.bodyIdleTimeoutMs) return undefined;
  return new BodyIdleWatch(deps.bodyIdleTimeoutMs, (req, res, err) => {
    if (rerankApiRoute(req.method, req.url ?? '/') === 'compat') sendCompatError(res, err, deps.errors);
    else sendError(res, err, deps.errors, (req.url ?? '/').startsWith('/_vlrerank') ? undefined : esProduct(deps.upstreamProduct));
  });
}

function forgetIndexSettings(deps: HttpDeps): void {
  deps.ingest.indexPipelines?.forget();
  deps.search.searchDefaults?.forget();
}

export function buildHandler(deps: HttpDeps): NodeHandler {
  const overCap = refuseOverCap(deps);
  const idle = bodyIdleWatch(deps);
  const refuse = refuseEarly({ ...deps.errors, reranker: deps.reranker, maxJsonBodyBytes: deps.maxJsonBodyBytes, maxJsonDepth: deps.maxJsonDepth, jsonWorker: deps.jsonWorker });
  if (deps.role === 'worker') {
    const app = buildWorkerApp(deps);
    const track = requestTracker(deps.access);
    return (req, res) => {
      if (req.url && req.url.charCodeAt(0) !== 47) req.url = originForm(req.url);
      track(req, res);
      closeWithConnection(req, res);
      if (overCap(req, res)) return;
      if (idle && hasBody(req)) idle.watch(req, res);
      const api = rerankApiRoute(req.method, req.url ?? '/');
      if (api && refuse(req, res, api)) return;
      app(req, res);
    };
  }
  const proxy = proxyHandler(deps.pool, deps.errors, deps.upstreamProduct);
  const search = searchHandlers({ ...deps.errors, search: deps.search, pool: deps.pool, maxJsonBodyBytes: deps.maxJsonBodyBytes, jsonWorker: deps.jsonWorker, upstreamProduct: deps.upstreamProduct });
  const app = buildApp(deps, { proxy, search });
  const track = requestTracker(deps.access);
  const nodesHttp = nodesHttpHandler(deps.pool, deps.errors, deps.upstreamProduct);
  const kept = new Map<string, TargetFacts>();
  const ingests = () => deps.ingest.pipelines.ingests;
  return (req, res) => {
    if (req.url && req.url.charCodeAt(0) !== 47) req.url = originForm(req.url);
    track(req, res);
    closeWithConnection(req, res);
    if (overCap(req, res)) return;
    if (idle && hasBody(req)) idle.watch(req, res);
    const url = req.url ?? '/';
    const method = req.method;
    const f = targetFacts(kept, url);
    // a sniffing client must learn vlrerank's address, not the engine's (nodes-http.ts)
    if (f.nodes && method === 'GET') return void nodesHttp(req, res, url);
    // a settings, template or index write gone through: the default/final pipelines kept are read again (ingest/index-pipelines.ts)
    // (and the indices learnt to name a vlrerank pipeline as `index.search.default_pipeline`: search/search-defaults.ts)
    if ((deps.ingest.indexPipelines || deps.search.searchDefaults) && changesPipelines(f, method)) res.once('finish', () => forgetIndexSettings(deps));
    // asked per request: a reload may bring the first pipeline that adds vectors at ingest
    if (!intercepts(f, method, ingests)) return proxy(req, res);
    // a rerank API call admission refuses anyway: answered here, without express (issue 13: 429s cheap)
    const api = method === 'POST' ? f.api : undefined;
    if (api && refuse(req, res, api)) return;
    const s = method === 'GET' || method === 'POST' ? f.search : undefined;
    if (s) {
      void search[s.kind](req, res, s.index, () => proxy(req, res));
      return;
    }
    app(req, res);
  };
}
