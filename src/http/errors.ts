/**
 * The only place errors become HTTP responses, in each API's own shape:
 * - ES-shaped `{"error":{"type","reason"},"status"}` with the error's status, on search paths and
 *   `/_vlrerank/*` (the official ES and OpenSearch clients parse it as a ResponseError) — on the
 *   engine's paths in the format asked (`?format=yaml|cbor|smile`, `Accept`), as the engines answer theirs;
 * - the rerank API's shape on `/v1/rerank`, `/v2/rerank`, `/rerank`: Cohere reads `message`,
 *   OpenAI-style servers (vLLM, SGLang) send `object/message/type/code`, Jina sends `detail`.
 * Unknown errors are logged with their stack and answered as a generic 500 — never a stack trace
 * on the wire. Every answered error counts in `vlrerank_failures_total{code}`.
 */
import type { ServerResponse } from 'node:http';
import type { ErrorRequestHandler } from 'express';
import { esErrorBody, toVlrerankError, vlrError, VlrerankError } from '../errors.js';
import type { Logger } from '../observability/logger.js';
import type { Metrics } from '../observability/metrics.js';
import { redactUrl } from '../observability/redact.js';
import { requestIds } from '../observability/request-ids.js';
import { teiErrorType } from '../api/rerank-tei.js';
import type { CorsTable } from '../search/cors.js';
import { esErrorAnswer } from '../search/error-body.js';
import { bodyRefused } from './body.js';
import { bodyIdled } from './body-idle.js';
import { closeAfterAnswer } from './linger.js';
import { noteError } from './access-log.js';
import { allowHeader } from './methods.js';
import { originalUrl, prettyAsked, queryParams } from './request.js';
import { ANSWER_CONTENT_TYPE, askedFormat, encodeAnswer, type AnswerFormat } from './answer-format.js';

export interface ErrorDeps {
  logger: Logger;
  metrics: Pick<Metrics, 'failures'>;
  /** The server's table of its engine's CORS answers (search/cors.ts): vlrerank's own errors on a search path carry them. */
  cors?: CorsTable;
}

/**
 * Has the client gone (its connection closed before the answer)? Then the error is the client's
 * leaving — a body read cut ("aborted"), a first stage or rerank aborted by its signal — and there
 * is no one to answer: 60 clients hanging up mid-search logged 15 "internal error" lines with stacks
 * and counted 15 VLR_INTERNAL and 11 VLR_UPSTREAM_ERROR failures (held-out probe round 4).
 */
function clientGone(res: ServerResponse): boolean {
  // the connection is the request's socket: a pipelined request's response gets its socket only
  // once the answers before it are written, so `res.socket` is null meanwhile — taken for a client
  // gone, its error answer was dropped and the connection destroyed (held-out probe round 7: a
  // `_count` then a bad `/v1/rerank` pipelined on one connection: one answer, then a close)
  const socket = res.socket ?? res.req?.socket;
  return res.destroyed || !socket || socket.destroyed;
}

/** Log an unexpected error once, count the code; returns the error as a VlrerankError. */
function record(err: unknown, deps: ErrorDeps, res: ServerResponse): VlrerankError {
  const e = toVlrerankError(err);
  // which request: its X-Opaque-Id and trace id, as its access line (held-out probe round 19a: the line named none)
  if (e.code === 'VLR_INTERNAL') deps.logger.error({ err: e.cause ?? e, method: res.req?.method, path: redactUrl(res.req?.url ?? ''), ...requestIds(res.req?.rawHeaders ?? []) }, 'internal error');
  deps.metrics.failures.inc({ code: e.code });
  noteError(res, e.code, e.details.shed_reason);
  return unavailability(e);
}

/** A client that left: noted at debug level, not counted as a failure answered; the socket is let go. */
function goneQuietly(res: ServerResponse, err: unknown, deps: ErrorDeps): void {
  deps.logger.debug({ reason: (err as Error)?.message }, 'client closed the connection before the answer');
  res.destroy();
}

/**
 * What the HTTP layer is told of the engine behind (by the composition root): the product headers
 * the engine writes on every answer (engine/client.ts `EngineInfo.productHeaders`); undefined while
 * the engine is not known.
 */
export type UpstreamProduct = () => Readonly<Record<string, string>> | undefined;

/**
 * The engine's product headers, for the answers vlrerank makes itself on the engine's paths: every
 * answer of Elasticsearch carries `x-elastic-product`, and its official client refuses a successful
 * answer without it (ProductNotSupportedError); OpenSearch 3.x writes `X-OpenSearch-Version` on every
 * answer (opensearch-js and Dashboards read it) — vlrerank's own 400/429/502/503/504 on OpenSearch
 * search paths left it out (held-out probe round 13f). Nothing in front of OpenSearch 2.x (it writes
 * none) or before the engine is known.
 */
export function esProduct(upstream: UpstreamProduct | undefined): Record<string, string> | undefined {
  const known = upstream?.();
  return known && Object.keys(known).length ? { ...known } : undefined;
}

/** `Retry-After` (RFC 9110 §10.2.3, seconds) of an overload refusal, which carries its estimate in `details.retry_after_s`. */
export function retryAfter(e: VlrerankError): Record<string, string> {
  const s = e.details.retry_after_s;
  return typeof s === 'number' && Number.isFinite(s) ? { 'retry-after': String(Math.max(1, Math.ceil(s))) } : {};
}

/** Model faults waiting does not mend: a file missing or corrupt (until `vlrerank models pull`), a precision variant the manifest lacks (until the configuration is fixed). */
const NOT_BY_WAITING: ReadonlySet<string> = new Set(['VLR_MODEL_MISSING', 'VLR_MODEL_CORRUPT', 'VLR_MODEL_VARIANT_MISSING']);
/** Said at the end of such a 503's reason. */
const NOT_BY_WAITING_NOTE = '; this does not come back by waiting (no Retry-After): retry once that is done';

/** The error and its causes, outermost first (a fail_closed search's 503 wraps the rerank's fault). */
function* causes(e: VlrerankError): Generator<VlrerankError> {
  let c: unknown = e;
  for (let depth = 0; c instanceof VlrerankError && depth < 5; depth++, c = c.cause) yield c;
}

/**
 * A 503 for a model that is not available, as the SDKs that retry every 503 need it (held-out probe
 * round 13b: they backed off 1 s, 2 s blindly). A model missing, corrupt or of a variant the manifest
 * lacks does not come back by waiting: its reason says so and `retryable: false`, and no
 * `Retry-After` is sent. A 503 for something that does (a remote worker warming up or reloading its
 * models, which asked for time with its own 429/503 `Retry-After`) carries that time — also when a
 * fail_closed search's 503 wraps it. Models warming up in this process answer no 503: requests wait
 * for them, and past admission's bounds get a 429 with `Retry-After` (rerank/admission.ts).
 */
export function unavailability(e: VlrerankError): VlrerankError {
  if (e.status !== 503) return e;
  const all = [...causes(e)];
  if (all.some((c) => NOT_BY_WAITING.has(c.code))) {
    if (e.details.retryable === false) return e;
    return new VlrerankError(e.code, `${e.message}${NOT_BY_WAITING_NOTE}`, { cause: e.cause, status: e.status, details: { ...e.details, retryable: false } });
  }
  const asked = all.find((c) => typeof c.details.retry_after_s === 'number');
  if (asked && asked !== e && e.details.retry_after_s === undefined) {
    return new VlrerankError(e.code, e.message, { cause: e.cause, status: e.status, details: { ...e.details, retryable: true, retry_after_s: asked.details.retry_after_s } });
  }
  return e;
}

/**
 * The client's `X-Opaque-Id`, echoed as the engines echo it on every answer (errors included): the
 * ES and OpenSearch clients and their users tie an answer to its request by it. The errors
 * vlrerank answers itself left it out (held-out probe round 8a).
 */
export function opaqueId(res: ServerResponse): Record<string, string> {
  const v = res.req?.headers['x-opaque-id'];
  return typeof v === 'string' ? { 'x-opaque-id': v } : {};
}

/**
 * The format an ES-shaped error is written in: the one the client asked for (answer-format.ts:
 * `?format=yaml|cbor|smile`, else `Accept`) on the engine's paths, as both engines answer their own
 * errors (a missing index's 404, a parse error's 400, `_cat`'s too) — vlrerank's own 400/413/415/
 * 502/503/504 on a reranked search came as JSON to a YAML or CBOR reader (Known gap of round 23b).
 * JSON on `/_vlrerank/*`, whose answers are JSON whatever is asked.
 */
function errorFormat(res: ServerResponse): AnswerFormat {
  const req = res.req;
  if (!req || originalUrl(req).startsWith('/_vlrerank')) return 'json';
  return askedFormat(queryParams(req), req.headers.accept);
}

function writeJson(res: ServerResponse, status: number, body: object, headers: Record<string, string> = {}, indent = false, format: AnswerFormat = 'json'): void {
  if (res.headersSent) {
    res.destroy(); // an answer already under way can only be cut
    return;
  }
  // a body refused unread: answer, then close gracefully (the client is maybe still sending it)
  if (bodyRefused(res.req)) closeAfterAnswer(res);
  const bytes = format !== 'json' ? encodeAnswer(body, format) : Buffer.from(indent ? JSON.stringify(body, null, 2) + '\n' : JSON.stringify(body));
  const type = format !== 'json' ? ANSWER_CONTENT_TYPE[format] : 'application/json; charset=utf-8';
  res.writeHead(status, { ...opaqueId(res), ...headers, 'content-type': type, 'content-length': bytes.length });
  res.end(bytes);
}

/**
 * ES-shaped. Works on a plain node response (the fast paths answer without express). `headers`:
 * extra response headers (search paths add `x-elastic-product` in front of Elasticsearch, whose
 * client refuses an answer without it); an overload refusal adds its `Retry-After`; a request from a
 * browser page gets the CORS headers the engine answers its origin with (search/cors.ts), else the
 * browser hides the error and the page shows "network error" (held-out probe round 14f).
 */
export function sendError(res: ServerResponse, err: unknown, deps: ErrorDeps, headers?: Record<string, string>): void {
  if (bodyIdled(res.req)) return; // answered 408 already (body-idle.ts): the connection closes after it
  if (clientGone(res)) return goneQuietly(res, err, deps);
  const e = record(err, deps, res);
  const es = esErrorAnswer(e);
  // `?pretty` indents the engines' errors too; vlrerank's own came compact
  writeJson(res, es.status, es, { ...deps.cors?.for(res.req?.headers.origin), ...headers, ...retryAfter(e), ...allowHeader(e) }, res.req ? prettyAsked(queryParams(res.req)) : false, errorFormat(res));
}

/**
 * In the rerank-compatible APIs' shape (Cohere / OpenAI-style / Jina fields side by side). The nested
 * `error` also carries `message` and `code` as vLLM's current `ErrorResponse{error: ErrorInfo{message,
 * type, param, code}}` does (an OpenAI-style client reads `error.message`: it was absent); `tei`: TEI's
 * `{error, error_type}` for a TEI-shaped `/rerank` (api/rerank-tei.ts) (held-out probe round 11b).
 */
export function sendCompatError(res: ServerResponse, err: unknown, deps: ErrorDeps, tei = false): void {
  if (bodyIdled(res.req)) return; // answered 408 already (body-idle.ts)
  if (clientGone(res)) return goneQuietly(res, err, deps);
  const e = record(err, deps, res);
  const es = esErrorBody(e);
  const headers = { ...retryAfter(e), ...allowHeader(e) };
  if (tei) return writeJson(res, es.status, { error: es.error.reason, error_type: teiErrorType(es.status) }, headers);
  const param = typeof es.error.field === 'string' ? es.error.field : null;
  writeJson(res, es.status, { object: 'error', message: es.error.reason, type: es.error.type, code: es.status, detail: es.error.reason, error: { ...es.error, message: es.error.reason, code: es.status, param } }, headers);
}

/** body-parser's failures as our errors (a parse error naming the problem, a 413). */
export function bodyParserError(err: unknown): unknown {
  const t = (err as { type?: string }).type;
  if (t === 'entity.parse.failed') return vlrError('VLR_PARSE', `request body is not valid JSON: ${(err as Error).message}`);
  if (t === 'entity.too.large') return vlrError('VLR_BODY_TOO_LARGE', `request body too large: ${(err as Error).message}`);
  // express's own client errors (http-errors with `expose`; the router's URIError with status 400
  // for a path parameter that is not valid percent-encoding, "/_vlrerank/models/%ZZ/_load"): the
  // client's mistake, not a 500
  const h = err as { status?: unknown; expose?: unknown; message?: unknown };
  if (typeof h.status === 'number' && h.status >= 400 && h.status < 500 && (h.expose === true || err instanceof URIError)) {
    return vlrError('VLR_BAD_REQUEST', typeof h.message === 'string' ? h.message : 'bad request', { status: h.status });
  }
  return err;
}

/** Express error middleware, ES-shaped. */
export function errorHandler(deps: ErrorDeps): ErrorRequestHandler {
  return (err, _req, res, _next) => sendError(res, bodyParserError(err), deps);
}

/**
 * A `Warning` header (RFC 7234 §5.5, as the engines write theirs: `299 <agent> "<text>"`). In front of
 * Elasticsearch the agent starts `Elasticsearch-`: its official client keeps only warnings whose
 * agent does (`meta.warnings`, @elastic/transport), and Kibana's console shows those.
 */
export function warningHeader(text: string, product: UpstreamProduct | undefined): string {
  const elastic = Object.keys(esProduct(product) ?? {}).some((k) => k.toLowerCase() === 'x-elastic-product');
  return `299 ${elastic ? 'Elasticsearch-vlrerank' : 'vlrerank'} "${text.replace(/["\\]/g, '\\$&')}"`;
}
