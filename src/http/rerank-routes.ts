/**
 * The rerank APIs over HTTP: `POST /_vlrerank/rerank` (errors ES-shaped, mounted under
 * /_vlrerank), the Cohere / Jina / vLLM-compatible `POST /v1/rerank`, `/v2/rerank`, `/rerank` and
 * vLLM's score API `POST /score`, `/v1/score`, and the vendors' discovery endpoints (`GET /v1/models`;
 * `/info`, `/models`, `/health` on a worker only: discoveryRoutes) (errors in those APIs' shape, the body reader's
 * included: bad JSON, 413, 415, depth; a wrong method a 405 with `Allow`, methods.ts). Bodies are
 * read by body.ts's strict reader (one supported coding, utf-8, server.maxJsonBodyBytes,
 * server.maxJsonDepth), per route: there is no global body parser (passthrough bodies stream).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { Router, type NextFunction, type Request, type Response } from 'express';
import { healthUnix, infinityModels, openAiModels, teiInfo, type DiscoveryReranker } from '../api/discovery.js';
import { isInfinityRequest, rerankInfinity } from '../api/rerank-infinity.js';
import { isTeiRequest, rerankTei } from '../api/rerank-tei.js';
import { API_WORK, rerankCompat, rerankNative, type ApiAnswer, type ApiCall, type CompatVersion } from '../api/rerank.js';
import { BUDGET_HEADER } from '../api/budget.js';
import { scoreVllm, type ScoreDeps } from '../api/score.js';
import type { Reranker } from '../rerank/reranker.js';
import type { Admission } from '../rerank/admission.js';
import type { JsonWorker } from '../util/json-worker.js';
import { apiRerankNote, noteRerank } from './access-log.js';
import { answerJson, answerUnwanted, endInTurns } from './answer-json.js';
import { answerUnread, readJson } from './body.js';
import { acceptedCoding, encode } from './compress.js';
import { sendCompatError, sendError, type ErrorDeps } from './errors.js';
import { onlyMethods } from './methods.js';
import { clientId, clientSignal, queryParams } from './request.js';
import { encodeEsAnswer, JSON_CONTENT_TYPE } from './es-answer.js';

export interface RerankRouteDeps extends ErrorDeps {
  reranker: Pick<Reranker, 'process'> & { admission?: Pick<Admission, 'refuseEarly'> } & ScoreDeps['reranker'] & DiscoveryReranker;
  maxJsonBodyBytes: number;
  maxJsonDepth: number;
  /** Parses bodies of SMALL_BODY bytes and more off the main thread (built by the composition root). */
  jsonWorker: JsonWorker;
}

/** The body, read by body.ts's strict reader (codings, charset, size, depth) into req.body. */
export function jsonBody(deps: RerankRouteDeps) {
  const limits = { maxBytes: deps.maxJsonBodyBytes, maxDepth: deps.maxJsonDepth, worker: deps.jsonWorker };
  return (req: Request, _res: Response, next: NextFunction) => {
    readJson(req, limits).then(
      (body) => {
        req.body = body;
        next();
      },
      (e: unknown) => next(e),
    );
  };
}

/**
 * 429 before the body is read when admission would refuse any request of this client now (queue
 * or client share full, wait estimate past its bound, latency target broken by the load alone):
 * a refused client costs its headers, not a read and a JSON parse of its body (issue 13: 429s
 * answered fast under load).
 */
export function admitEarly(deps: RerankRouteDeps) {
  return (req: Request, _res: Response, next: NextFunction) => {
    const refusal = deps.reranker.admission?.refuseEarly(clientId(req), API_WORK);
    if (!refusal) return next();
    answerUnread(req);
    next(refusal);
  };
}

/**
 * The same early refusal for the fast dispatch (handler.ts), on the plain node objects, before the
 * express app: under a storm of clients that retry a 429 at once, express's routing of each refused
 * request was most of the main thread's time that passthrough searches waited behind. `true` when
 * it answered (the rerank API's shape for `compat`, ES-shaped for `/_vlrerank/rerank`).
 */
export function refuseEarly(deps: RerankRouteDeps): (req: IncomingMessage, res: ServerResponse, shape: 'compat' | 'es') => boolean {
  return (req, res, shape) => {
    const refusal = deps.reranker.admission?.refuseEarly(clientId(req), API_WORK);
    if (!refusal) return false;
    answerUnread(req);
    if (shape === 'compat') sendCompatError(res, refusal, deps);
    else sendError(res, refusal, deps);
    return true;
  };
}

/** What a rerank API handler needs of the request: the hang-up signal, the client, its budget header. */
export function apiCall(req: Request, res: Response): ApiCall {
  return { signal: clientSignal(res), client: clientId(req), budgetHeader: req.headers[BUDGET_HEADER] };
}

/**
 * Answers from this size on are gzip/deflate-coded for a client that accepts it (compress.ts): the
 * Cohere SDKs (fetch, httpx), Jina's and vLLM's clients all send `Accept-Encoding: gzip` and decode
 * it, and an answer echoing its documents (1,000 of them by default on /v1/rerank) went out whole —
 * 12 MB for 12 MB of text (held-out probe round 13b). Below it the coding costs more than it saves.
 */
export const CODE_FROM_BYTES = 1024;

/**
 * `engineShaped`: the answer of a path the engines' conventions hold on (`/_vlrerank/rerank`,
 * `_inference`, `_predict`), written as the engine writes its own — `filter_path`, `?pretty`,
 * `format` (es-answer.ts). The vendors' paths (`/v1/rerank`…) answer JSON as their APIs do.
 */
export async function reply(res: Response, a: ApiAnswer, worker: RerankRouteDeps['jsonWorker'], engineShaped = false): Promise<void> {
  // a large answer (documents echoed) is written in the JSON worker (answer-json.ts)
  const { bytes, contentType } = engineShaped
    ? await encodeEsAnswer(a.body, queryParams(res.req), res.req.headers.accept, { worker, filter: true })
    : { bytes: await answerJson(worker, a.body), contentType: JSON_CONTENT_TYPE };
  if (answerUnwanted(res)) return; // the client left meanwhile: nothing to write
  for (const [k, v] of Object.entries(a.headers)) res.setHeader(k, v);
  noteRerank(res, apiRerankNote(res.req.body, a.headers, a.degraded));
  const coding = bytes.length >= CODE_FROM_BYTES ? acceptedCoding(res.req.headers['accept-encoding']) : undefined;
  res.setHeader('content-type', contentType);
  res.setHeader('vary', 'Accept-Encoding');
  if (coding) res.setHeader('content-encoding', coding);
  await endInTurns(res, coding ? await encode(bytes, coding) : bytes);
}

/** `POST /_vlrerank/rerank`, mounted under /_vlrerank (errors go to the ES-shaped error handler). */
export function rerankRouter(deps: RerankRouteDeps): Router {
  const r = Router();
  r.post('/rerank', admitEarly(deps), jsonBody(deps), async (req, res, next) => {
    try {
      await reply(res, await rerankNative(deps.reranker, req.body, apiCall(req, res)), deps.jsonWorker, true);
    } catch (e) {
      next(e);
    }
  });
  r.all('/rerank', onlyMethods('POST'));
  return r;
}

/**
 * The rerank-compatible APIs. `/rerank` and `/score` are also `/{index}` to the engine (GET, PUT,
 * DELETE, HEAD of an index so named, which POST is not): a proxy forwards their other methods as
 * before (`forwardsIndexPaths`); a worker, with no engine behind it, answers them 405 like
 * `/v1/rerank`, `/v2/rerank`, `/v1/score` everywhere.
 */
export function compatRerankRouter(deps: RerankRouteDeps, options: { forwardsIndexPaths: boolean }): Router {
  const r = Router();
  const answer = (run: (body: unknown, call: ApiCall) => Promise<ApiAnswer>, teiPath = false) => async (req: Request, res: Response) => {
    try {
      await reply(res, await run(req.body, apiCall(req, res)), deps.jsonWorker);
    } catch (e) {
      // a TEI client reads TEI's `{error, error_type}` (rerank-tei.ts) — on `/rerank` only, TEI's path:
      // a body with `texts` on /v1/rerank, /v2/rerank or /score was answered in TEI's shape too
      // (`error_type: "Empty"` for "[documents] must be an array"; held-out probe round 31a)
      sendCompatError(res, e, deps, teiPath && isTeiRequest(req.body));
    }
  };
  // `/rerank` is TEI's path too: its body (`texts`, no `documents`) is answered in its shape; and
  // Infinity's (`raw_scores` beside `documents`), on `/v1/rerank` too (its `--url-prefix /v1`)
  const handler = (version: CompatVersion) =>
    answer((body, call) => {
      if (version === 'plain' && isTeiRequest(body)) return rerankTei(deps.reranker, body as Parameters<typeof rerankTei>[1], call);
      if (version !== 'v2' && isInfinityRequest(body)) return rerankInfinity(deps.reranker, body as Record<string, unknown>, call);
      return rerankCompat(deps.reranker, version, body, call);
    }, version === 'plain');
  const score = answer((body, call) => scoreVllm(deps, body, call));
  const early = admitEarly(deps);
  const parser = jsonBody(deps);
  // every body-level error (bad JSON, 413, 415, depth) in the rerank API's shape, not ES-shaped
  const bodyErrors = (err: unknown, _req: Request, res: Response, _next: NextFunction) => sendCompatError(res, err, deps);
  r.post('/v1/rerank', early, parser, bodyErrors, handler('v1'));
  r.post('/v2/rerank', early, parser, bodyErrors, handler('v2'));
  r.post('/rerank', early, parser, bodyErrors, handler('plain'));
  r.post('/v1/score', early, parser, bodyErrors, score);
  r.post('/score', early, parser, bodyErrors, score);
  const post = onlyMethods('POST');
  for (const p of ['/v1/rerank', '/v2/rerank', '/v1/score', ...(options.forwardsIndexPaths ? [] : ['/rerank', '/score'])]) r.all(p, post, bodyErrors);
  discoveryRoutes(r, deps, options);
  return r;
}

/**
 * The vendors' discovery endpoints (api/discovery.ts), served only where no engine path can be meant:
 * - `GET /v1/models` everywhere: no engine has a GET there (ES 8.19 answers 405 "allowed: [POST]",
 *   its typed index-a-document of REST compatibility v7; ES 9.2, OpenSearch 2.19 and 3.6 "no
 *   handler found"), so its other methods still reach the engine on a proxy. `/v1/models/{id}`
 *   (OpenAI's one-model get; vLLM has none) is ES 8's typed get of a document under compatibility
 *   v7: not served.
 * - `GET /info` (TEI), `/models` (Infinity), `/health` (Infinity, TEI, vLLM): one segment is
 *   `GET /{index}` to the engine, get-index of an index or alias of that name — a drop-in user's
 *   `GET /models` must keep reaching it, and answering only when the engine says there is no such
 *   index would tell an `indices.get` of a missing index that it exists. So a proxy forwards them as
 *   before; a worker (server.role: worker, no engine behind it) serves them, a wrong method a 405.
 */
function discoveryRoutes(r: Router, deps: RerankRouteDeps, options: { forwardsIndexPaths: boolean }): void {
  const get = (run: () => Promise<Record<string, unknown>> | Record<string, unknown>) => async (_req: Request, res: Response) => {
    try {
      const body = Buffer.from(JSON.stringify(await run()));
      if (answerUnwanted(res)) return;
      res.setHeader('content-type', 'application/json; charset=utf-8');
      await endInTurns(res, body);
    } catch (e) {
      sendCompatError(res, e, deps);
    }
  };
  const get405 = onlyMethods('GET');
  const bodyErrors = (err: unknown, _req: Request, res: Response, _next: NextFunction) => sendCompatError(res, err, deps);
  r.get('/v1/models', get(() => openAiModels(deps.reranker)));
  if (options.forwardsIndexPaths) return;
  r.all('/v1/models', get405, bodyErrors);
  r.get('/info', get(() => teiInfo(deps.reranker)));
  r.get('/models', get(() => infinityModels(deps.reranker)));
  r.get('/health', get(() => healthUnix()));
  for (const p of ['/info', '/models', '/health']) r.all(p, get405, bodyErrors);
}
