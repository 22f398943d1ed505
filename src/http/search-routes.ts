/**
 * `GET|POST /{index}/_search`, `/_search`, `/{index}/_msearch`, `/_msearch` (and, through the
 * router only, `/{index}/_search/template`, `/_search/template`): read the body
 * (bounded by server.maxJsonBodyBytes, because whether to rerank is written inside it), hand it to
 * the search room, and carry out what it decides — stream untouched, forward bytes, or answer.
 * The same handlers serve the fast dispatch (handler.ts) and, as express routes, the path
 * spellings the fast dispatch leaves to the router (a trailing slash, percent-encoded index
 * names); HEAD is not served here (app.ts hands it to the engine, which answers 405).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { Router, type NextFunction, type Request, type Response } from 'express';
import type { UpstreamPool } from '../proxy/pool.js';
import { pinPipelines } from './pinned.js';
import { undefinedPipeline } from '../search/search-defaults.js';
import { forwardsAsReceived, handleMsearch, handleSearch, learnSearchDefault, MARKERS, mustParse, searchDefaultOf, type SearchHandlerDeps, type SearchRequest, type SearchResult } from '../search/handle.js';
import { handleRankEval } from '../search/rank-eval.js';
import { countWithoutPipeline } from '../search/count-default.js';
import { handleMsearchTemplate, handleSearchTemplate } from '../search/template.js';
import { withoutRerankAsk, type QueryOnlyEndpoint } from '../search/query-only.js';
import type { JsonWorker } from '../util/json-worker.js';
import { noteRerank, searchRerankNote } from './access-log.js';
import { readMsearchBody, readSearchBody } from './body.js';
import { acceptedCoding, encode } from './compress.js';
import { esProduct, opaqueId, sendError, warningHeader, type ErrorDeps, type UpstreamProduct } from './errors.js';
import { forwardBuffered, forwardClaiming, forwardWatching } from './proxy-route.js';
import { clientId, clientSignal, engineParams, hasBody, originalUrl } from './request.js';
import { answerUnwanted, endInTurns } from './answer-json.js';
import { askedFormat, jsonObject } from './answer-format.js';
import { encodeEsAnswer, JSON_CONTENT_TYPE } from './es-answer.js';

/** `index` from the path (undefined for /_search); `next` hands the request to the streaming proxy untouched. */
export type SearchRouteHandler = (req: IncomingMessage, res: ServerResponse, index: string | undefined, next: () => void) => Promise<void>;

export interface SearchRouteDeps extends ErrorDeps {
  search: SearchHandlerDeps;
  pool: UpstreamPool;
  maxJsonBodyBytes: number;
  /** Parses bodies of SMALL_BODY bytes and more off the main thread (built by the composition root). */
  jsonWorker: JsonWorker;
  /** The engine's product headers once known (`x-elastic-product`, OpenSearch 3.x's `x-opensearch-version`): our own answers carry them. */
  upstreamProduct?: UpstreamProduct;
}

/** What an `_msearch` item refused for its index's default search pipeline says (`Pipeline <name> is not defined`). */
const REFUSED_ITEM = Buffer.from(' is not defined"');

/**
 * The request target with `search_pipeline=_none` (the index's default search pipeline is vlrerank's),
 * or the companion a cluster pipeline reranking with one is stored under (its other processors: engine/search-pipelines.ts).
 */
function withNone(url: string, name: true | string = true): string {
  return `${url}${url.includes('?') ? '&' : '?'}search_pipeline=${name === true ? '_none' : encodeURIComponent(name)}`;
}

/** `whole`: the answer before the client's `filter_path` (the rerank's note is read from it). */
async function send(res: ServerResponse, worker: JsonWorker, status: number, headers: Record<string, string>, body: Buffer | Record<string, unknown>, params: URLSearchParams, whole?: Record<string, unknown>): Promise<void> {
  // the format the client asked for (`?format=yaml`, `Accept: application/cbor`…), as the engine answers it (answer-format.ts)
  // — the engine's own answer to the first stage too (its 404 for a missing index…), which vlrerank asked as JSON
  const accept = res.req?.headers.accept;
  const value = Buffer.isBuffer(body) && askedFormat(params, accept) !== 'json' ? (jsonObject(body, headers['content-type']) ?? body) : body;
  const encoded = Buffer.isBuffer(value) ? undefined : await encodeEsAnswer(value, params, accept, { worker });
  const bytes = encoded?.bytes ?? (value as Buffer);
  if (answerUnwanted(res)) return; // the client left while it was written
  if (encoded && encoded.contentType !== JSON_CONTENT_TYPE) headers = { ...headers, 'content-type': encoded.contentType };
  // gzip/deflate as the engine codes its answers for a client that accepts it (compress.ts)
  const coding = acceptedCoding(res.req?.headers['accept-encoding']);
  const out = coding ? await encode(bytes, coding) : bytes;
  res.statusCode = status;
  const note = whole ? searchRerankNote(whole) : Buffer.isBuffer(body) ? undefined : searchRerankNote(body);
  if (note) noteRerank(res, note);
  // the engines echo X-Opaque-Id on every answer; an `_msearch` vlrerank put together left it out
  // (the engine's own, copied into `headers`, wins)
  for (const [k, v] of Object.entries({ ...opaqueId(res), ...headers })) res.setHeader(k, v);
  if (coding) res.setHeader('content-encoding', coding);
  await endInTurns(res, out);
}

/**
 * A search body sent in the query string (`GET …/_search?source={…}&source_content_type=application/json`,
 * which both engines read as the body): handed to the search room as the body it is, so a rerank
 * asked there is reranked as in a body — it got the engine's 400 for `ext.vlrerank` (held-out
 * probe round 8a). The first stage is sent with a body of its own, without those parameters.
 */
function sourceParam(params: URLSearchParams, raw: readonly string[]): { body: SearchRequest['body']; params: URLSearchParams; headers: string[] } | undefined {
  const source = params.get('source');
  const type = params.get('source_content_type');
  if (source === null || type === null || !/^\s*application\/(?:vnd\.elasticsearch\+)?json\s*(?:;|$)/i.test(type)) return undefined;
  const rest = new URLSearchParams(params);
  rest.delete('source');
  rest.delete('source_content_type');
  const headers: string[] = [];
  for (let i = 0; i < raw.length; i += 2) if (!/^content-(?:type|length|encoding)$/i.test(raw[i]!)) headers.push(raw[i]!, raw[i + 1]!);
  headers.push('content-type', type);
  return { body: { raw: Buffer.from(source), text: source }, params: rest, headers };
}

/** `template` (`_search/template`) is served by the router alone: the fast dispatch never takes those paths. */
export interface SearchRouteHandlers {
  search: SearchRouteHandler;
  msearch: SearchRouteHandler;
  template?: SearchRouteHandler;
  /** `_msearch/template`, the router's alone too. */
  msearchTemplate?: SearchRouteHandler;
  /** `_rank_eval` (search/rank-eval.ts), the router's alone too. */
  rankEval?: SearchRouteHandler;
  /** `_count`, `_explain/{id}`, `_validate/query` (search/query-only.ts), the router's alone too. */
  queryOnly?: (endpoint: QueryOnlyEndpoint) => SearchRouteHandler;
}

export function searchHandlers(deps: SearchRouteDeps): Required<SearchRouteHandlers> {
  const pinned = pinPipelines(deps.search);
  const route =
    (handle: (d: SearchHandlerDeps, r: SearchRequest) => Promise<SearchResult>, kind: 'search' | 'msearch' | 'template', plain?: 'search' | 'msearch', learns = plain === 'search'): SearchRouteHandler =>
    async (req, res, index, next) => {
      try {
        // the pipeline set serving now, taken once: a reload while this search runs does not change it (server/pipelines-reload.ts)
        const search = pinned();
        // a repeated name's last value, as the engine reads it (request.ts)
        const params = engineParams(req);
        // `search_pipeline` naming a cluster pipeline not yet known: is its rerank processor vlrerank's?
        // (one read per name per pipelines.aliasCacheMs: engine/search-pipelines.ts, held-out probe round 34b)
        const sp = plain === 'search' ? params.get('search_pipeline') : null;
        if (sp && sp !== '_none' && search.searchPipelines && search.pipelines.get(sp) === undefined && search.searchPipelines.get(sp) === undefined && deps.upstreamProduct?.()?.['x-elastic-product'] === undefined) {
          await search.searchPipelines.lookup(deps.pool, req.rawHeaders, sp, clientSignal(res));
        }
        // bodies of 256 KiB and more are parsed in the JSON worker: a _search body whole, an _msearch one split into its items
        const always = kind !== 'msearch' ? mustParse(search, index, params, req.rawHeaders) : search.pipelines.hasDefault || !!search.searchDefaults?.any;
        const limits = { maxBytes: deps.maxJsonBodyBytes, maxDepth: search.maxJsonDepth ?? 1000, markers: MARKERS, always, worker: deps.jsonWorker };
        const inQuery = kind === 'search' && !hasBody(req) ? sourceParam(params, req.rawHeaders) : undefined;
        const body = inQuery?.body ?? (!hasBody(req) ? undefined : kind !== 'msearch' ? await readSearchBody(req, limits) : await readMsearchBody(req, limits));
        // mustParse was asked above for this request's own parameters (a body from the query string has others)
        const asked = kind !== 'msearch' && !inQuery ? always : undefined;
        // a body that asks for no reranking goes upstream as received, decided here without the
        // search room's promise, request object and client id (issue 13: passthrough CPU)
        // OpenSearch's `index.search.default_pipeline` naming a vlrerank pipeline: the engine's 400
        // `Pipeline <name> is not defined` for a search naming none is held back (only that status is
        // read), learnt, and the search handled again as that pipeline's (search/search-defaults.ts;
        // held-out probe round 33a: every search of such an index was that 400)
        // (Elasticsearch, once known, has no search pipelines: its forwards are not watched)
        // (`_search/template` too: held-out probe round 34a)
        const learnable = learns && !inQuery && search.searchDefaults !== undefined && deps.upstreamProduct?.()?.['x-elastic-product'] === undefined;
        let learnt: string | undefined;
        // a name the engine says is not defined may be a cluster pipeline reranking with a vlrerank one, stored
        // under its companion: asked once (engine/search-pipelines.ts, held-out probe round 34b)
        const known = async (status: number, b: unknown) => {
          const name = search.searchPipelines && search.pool ? undefinedPipeline(status, b, (n) => search.pipelines.get(n) === undefined) : undefined;
          if (name !== undefined && search.searchPipelines!.get(name) === undefined) await search.searchPipelines!.lookup(search.pool!, req.rawHeaders, name, clientSignal(res));
        };
        const learn = async (b: Buffer) => {
          await known(400, b);
          return (learnt = learnSearchDefault(search, { index, params }, 400, b));
        };
        // an `_msearch` forwarded untouched answers 200 whatever its items' errors: its answer is looked
        // through as it streams past (nothing held back) for that 400 of an item, and from then on
        // `_msearch` items are read and learnt from (search/msearch.ts rerunSearchDefault; held-out probe round 34a)
        const watched = plain === 'msearch' && search.searchDefaults !== undefined && !search.searchDefaults.any && deps.upstreamProduct?.()?.['x-elastic-product'] === undefined;
        const forwardMsearch = async (b: Buffer, rewritten = false) => {
          if (await forwardWatching(deps.pool, req, res, b, rewritten, REFUSED_ITEM)) search.searchDefaults!.suspect();
        };
        if (plain && body && !inQuery && forwardsAsReceived(search, { index, params, headers: req.rawHeaders, body, mustParse: asked }, plain)) {
          if (watched) return await forwardMsearch(body.raw);
          if (!learnable) return await forwardBuffered(deps.pool, req, res, body.raw);
          if (!(await forwardClaiming(deps.pool, req, res, body.raw, false, learn))) return;
        }
        // made when first asked (a passthrough never is), then the same for every item of an _msearch
        let signal: AbortSignal | undefined;
        const ask = () => handle(search, { index, params: inQuery?.params ?? params, headers: inQuery?.headers ?? req.rawHeaders, body, signal: () => (signal ??= clientSignal(res)), client: clientId(req), ...(learnt !== undefined ? { searchDefault: learnt } : { mustParse: asked }) });
        let out = await ask();
        if (learnable && learnt === undefined) {
          if ((out.kind === 'proxy' && !body) || (out.kind === 'forward' && !out.none)) {
            const sent = out.kind === 'forward' ? out : { body: Buffer.alloc(0), rewritten: false };
            if (!(await forwardClaiming(deps.pool, req, res, sent.body, sent.rewritten, learn))) return;
            out = await ask();
          } else if (out.kind === 'answer' && (await known(out.status, out.body), (learnt = learnSearchDefault(search, { index, params }, out.status, out.body)) !== undefined)) out = await ask();
        }
        // a body from the query string is the engine's to read as sent unless vlrerank answers it
        if (out.kind === 'proxy' || (inQuery && out.kind === 'forward')) return next();
        if (out.kind === 'forward' && watched) return await forwardMsearch(out.body, out.rewritten);
        if (out.kind === 'forward') return await forwardBuffered(deps.pool, req, res, out.body, out.rewritten, out.none ? withNone(originalUrl(req), out.none) : undefined);
        // an `_msearch` whose every item vlrerank answered itself (each refused) had no engine headers to
        // copy: its 200 lacked x-elastic-product, and the ES client threw ProductNotSupportedError
        // (held-out probe round 8a)
        const product = esProduct(deps.upstreamProduct);
        // `?pretty`: a reranked answer came compact whatever it said (held-out probe round 8a); bytes
        // from the engine were asked with the same parameter and are as it wrote them
        await send(res, deps.jsonWorker, out.status, { ...product, ...out.headers }, out.body, inQuery?.params ?? params, out.whole);
      } catch (e) {
        // a browser page reads our error only with the engine's CORS headers for its origin (search/cors.ts)
        await deps.cors?.ask(deps.pool, req.headers.origin);
        // the ES client refuses any answer without x-elastic-product ("not Elasticsearch"), our errors included
        sendError(res, e, deps, esProduct(deps.upstreamProduct));
      }
    };
  // `_count`, `_explain/{id}`, `_validate/query`: the engine's, of the first stage; a body carrying
  // `ext.vlrerank` is sent without it, the answer warned (search/query-only.ts; held-out probe round 31e)
  const queryOnly =
    (endpoint: QueryOnlyEndpoint): SearchRouteHandler =>
    async (req, res, index, next) => {
      try {
        const search = pinned();
        // a `_count` of an index whose OpenSearch `index.search.default_pipeline` is vlrerank's: the
        // engine's 400 `Pipeline <name> is not defined` (only a 400 is held back) is learnt, and the
        // count asked without the pipeline (search/count-default.ts; held-out probe round 34a)
        const counts = endpoint === '_count' && search.searchDefaults !== undefined && deps.upstreamProduct?.()?.['x-elastic-product'] === undefined;
        if (!hasBody(req) && !counts) return next();
        const maxDepth = deps.search.maxJsonDepth ?? 1000;
        const body = hasBody(req) ? await readSearchBody(req, { maxBytes: deps.maxJsonBodyBytes, maxDepth, markers: ['vlrerank'], always: false, worker: deps.jsonWorker }) : undefined;
        const out = body && withoutRerankAsk(endpoint, body, req.rawHeaders, maxDepth);
        // the engine's own warnings, if it adds any, replace it
        if (out) res.setHeader('warning', warningHeader(out.note, deps.upstreamProduct));
        const sent = out ? out.body : (body?.raw ?? Buffer.alloc(0));
        // (a large body parsed off the main thread has no text to count with: the engine's answer)
        const text = out ? out.body.toString('utf8') : body?.text;
        if (!counts || (body && text === undefined)) return await forwardBuffered(deps.pool, req, res, sent, !!out);
        const params = engineParams(req);
        if (searchDefaultOf(search, index) === undefined) {
          const learnt = await forwardClaiming(deps.pool, req, res, sent, !!out, (b) => learnSearchDefault(search, { index, params }, 400, b));
          if (learnt === undefined) return; // the engine's answer, written
        }
        const counted = await countWithoutPipeline(search, { index, params, headers: req.rawHeaders, text, signal: clientSignal(res) });
        if (!counted) return await forwardBuffered(deps.pool, req, res, sent, !!out);
        await send(res, deps.jsonWorker, counted.status, { ...esProduct(deps.upstreamProduct), ...counted.headers }, counted.body, params);
      } catch (e) {
        await deps.cors?.ask(deps.pool, req.headers.origin);
        sendError(res, e, deps, esProduct(deps.upstreamProduct));
      }
    };
  // `plain`: the handler's own first decision (forwardsAsReceived) is taken here, before it is called
  return { search: route(handleSearch, 'search', 'search'), msearch: route(handleMsearch, 'msearch', 'msearch'), template: route(handleSearchTemplate, 'template', undefined, true), msearchTemplate: route(handleMsearchTemplate, 'msearch'), rankEval: route(handleRankEval, 'template'), queryOnly };
}

export function searchRouter(handlers: SearchRouteHandlers): Router {
  // the engines' paths are case-sensitive: `/{index}/_SEARCH` is their 400 "no handler found", and
  // was answered 200 with a reranked search (held-out probe round 6); a trailing slash they accept
  const router = Router({ caseSensitive: true });
  const route = (h: SearchRouteHandler) => (req: Request, res: Response, next: NextFunction) => h(req, res, req.params.index as string | undefined, () => next());
  // OPTIONS is the engine's (200, `Allow: GET,POST`, x-elastic-product): express's router answered it
  // itself from these routes — `Allow: GET, HEAD, POST` (HEAD is the engine's 405), a text body, no
  // product header (held-out probe round 12a). Leaving the router before a route matches skips that.
  router.use((req, _res, next) => next(req.method === 'OPTIONS' ? 'router' : undefined));
  // each path with and without an index, GET and POST, as the engines take them
  const serve = (path: string, h: SearchRouteHandler | undefined) => {
    if (!h) return;
    const r = route(h);
    for (const p of [path, `/:index${path}`]) router.get(p, r).post(p, r);
  };
  serve('/_search', handlers.search);
  serve('/_msearch', handlers.msearch);
  // `_search/template` and `_msearch/template` with a rerank ask (search/template.ts; held-out probe round 13f)
  serve('/_search/template', handlers.template);
  serve('/_msearch/template', handlers.msearchTemplate);
  // `_rank_eval` measures the reranked order where `_search` reranks (search/rank-eval.ts; held-out probe round 18c)
  serve('/_rank_eval', handlers.rankEval);
  // `_count`, `_validate/query` with and without an index, `_explain/{id}` with one (search/query-only.ts)
  if (handlers.queryOnly) {
    serve('/_count', handlers.queryOnly('_count'));
    serve('/_validate/query', handlers.queryOnly('_validate/query'));
    const explain = route(handlers.queryOnly('_explain'));
    router.get('/:index/_explain/:id', explain).post('/:index/_explain/:id', explain);
  }
  return router;
}
