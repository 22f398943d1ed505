/**
 * One access-log line per request (method, path, status, bytes, time) and the request metrics
 * (count and duration by route class and status).
 * The route class groups paths for metrics without exploding label cardinality.
 *
 * The logged path is redacted (secret query parameters, userinfo, data: payloads: observability/
 * redact.ts) — free for a path without `?`, `@` or `data:`.
 *
 * Runs for every request, so it is kept cheap: plain string checks instead of regexes, metric
 * children cached per label set, and no closures or bind() per request — the per-request state
 * lives on the response under one symbol and the write/end counters and finish listener are
 * shared functions. The in-flight gauge and the request counter are plain numbers here, handed to
 * prom-client at scrape time (`onCollect`): each prom-client call validates and hashes its labels,
 * even through a child (bench:proxy's profile); only the duration histogram is observed per request.
 *
 * A line also carries the client's `X-Opaque-Id` and, when the answer noted one (noteRerank: reranked
 * searches, rerank API calls), what the rerank did; requests Node's parser refuses are logged and
 * counted by the server's `clientError` listener (clientErrorHandler, route `unparsed`).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import type { HistogramSeries } from '../observability/histogram.js';
import type { AccessLine, Logger, RerankNote } from '../observability/logger.js';
import type { Metrics } from '../observability/metrics.js';
import { redactUrl } from '../observability/redact.js';
import { requestIds } from '../observability/request-ids.js';
import { SHED_CODE } from './connection-cap.js';

export interface AccessLogDeps {
  metrics: Pick<Metrics, 'requests' | 'requestSeconds' | 'inFlight' | 'onCollect'>;
  /** Write one access line per request. */
  access: boolean;
  /**
   * `false`: no line for a successful health probe (`GET /_vlrerank/health`, `?ready`, `?live`
   * answered 2xx) — still counted in the metrics (`log.accessProbes`). A readiness probe every
   * second was 86,400 lines a day per prober (held-out probe round 15d). Default: logged.
   */
  probes?: boolean;
  /** Where access lines go (the buffered access logger, or the main logger). */
  logger: Logger;
  /** The buffered access logger's line writer, when there is one (observability/logger.ts): the same line, cheaper. */
  write?: (a: AccessLine) => void;
}

/** Does `path` contain `seg` (e.g. "/_bulk") followed by "/" or the end? */
function hasSegment(path: string, seg: string): boolean {
  let i = path.indexOf(seg);
  while (i >= 0) {
    const after = i + seg.length;
    if (after === path.length || path.charCodeAt(after) === 47 /* / */) return true;
    i = path.indexOf(seg, i + 1);
  }
  return false;
}

const RERANK_API = new Set(['/rerank', '/rerank/', '/v1/rerank', '/v1/rerank/', '/v2/rerank', '/v2/rerank/', '/score', '/score/', '/v1/score', '/v1/score/']);

export function routeClass(path: string): string {
  if (path.startsWith('/_vlrerank/ui')) return 'ui';
  if (path.startsWith('/_vlrerank/rerank') || RERANK_API.has(path)) return 'rerank';
  if (path.startsWith('/_vlrerank/')) return 'admin';
  // Elasticsearch's Inference API and OpenSearch ml-commons' `_predict` (a pipeline's name as the
  // endpoint or model: api/inference.ts, api/ml-predict.ts) are rerank calls, counted apart from the
  // proxy (held-out probe round 33b: both were `route="proxy"`); by path, whoever answers them
  if (path.startsWith('/_inference/') || path === '/_inference') return 'inference';
  if (path.startsWith('/_plugins/_ml/') && hasSegment(path, '/_predict')) return 'predict';
  if (hasSegment(path, '/_search') || hasSegment(path, '/_msearch')) return 'search';
  if (hasSegment(path, '/_bulk')) return 'bulk';
  return 'proxy';
}

interface Entry {
  deps: AccessLogDeps;
  req: IncomingMessage;
  /** The URL as received (routers rewrite req.url under a mount point). */
  url: string;
  start: bigint;
  route: string;
  inFlight: InFlight;
  bytes: number;
  done: boolean;
  /** What a rerank did (noteRerank): set only by reranked searches and rerank API calls. */
  rerank?: RerankNote;
  /** The error vlrerank answered itself (noteError): its code, and admission's reason for a 429. */
  failure?: { code: string; shed_reason?: string };
  /** Node's parser answered it itself (clientErrorHandler: a body too slow, 408): its status stands, not a client gone. */
  answeredByNode?: true;
  /** The peer's address, read on arrival (a socket destroyed before its first read has none; Node keeps it per connection). */
  remote: string | undefined;
  write: (...a: unknown[]) => boolean;
  end: (...a: unknown[]) => ServerResponse;
}

const kEntry = Symbol('vlrerank.accessLog');
type Tracked = ServerResponse & { [kEntry]?: Entry };

function count(e: Entry, chunk: unknown, enc: unknown): void {
  if (chunk == null || typeof chunk === 'function') return;
  e.bytes += Buffer.isBuffer(chunk) ? chunk.length : Buffer.byteLength(String(chunk), typeof enc === 'string' ? (enc as BufferEncoding) : 'utf8');
}

function countingWrite(this: Tracked, chunk: unknown, ...rest: unknown[]): boolean {
  const e = this[kEntry]!;
  count(e, chunk, rest[0]);
  return e.write.call(this, chunk, ...rest);
}

function countingEnd(this: Tracked, chunk?: unknown, ...rest: unknown[]): ServerResponse {
  const e = this[kEntry]!;
  count(e, chunk, rest[0]);
  return e.end.call(this, chunk, ...rest);
}

/** Requests of one route class being served, and its finished counts by status (a number key: no label string per request). */
interface InFlight {
  route: string;
  n: number;
  byStatus: Map<number, Finished>;
}

/** Finished requests of one route class and status: the count not yet handed to the counter, the histogram's child. */
interface Finished {
  labels: { route: string; status: string };
  pending: number;
  seconds: HistogramSeries;
}

/** The counts per label set, per metrics registry (a server has one). */
const children = new WeakMap<object, { inFlight: Map<string, InFlight>; finished: Map<string, Finished> }>();

function cacheFor(deps: AccessLogDeps) {
  let c = children.get(deps.metrics);
  if (!c) {
    const cache = (c = { inFlight: new Map<string, InFlight>(), finished: new Map<string, Finished>() });
    children.set(deps.metrics, cache);
    const m = deps.metrics;
    m.onCollect(() => {
      for (const f of cache.inFlight.values()) m.inFlight.set({ route: f.route }, f.n);
      for (const f of cache.finished.values()) {
        if (f.pending === 0) continue;
        m.requests.inc(f.labels, f.pending);
        f.pending = 0;
      }
    });
  }
  return c;
}

function finishedFor(deps: AccessLogDeps, inFlight: InFlight, status: number): Finished {
  let f = inFlight.byStatus.get(status);
  if (!f) {
    const labels = { route: inFlight.route, status: String(status) };
    f = { labels, pending: 0, seconds: deps.metrics.requestSeconds.labels(labels) };
    inFlight.byStatus.set(status, f);
    cacheFor(deps).finished.set(`${inFlight.route} ${status}`, f);
  }
  return f;
}

/** nginx's status for a request whose client closed the connection before the answer: not an HTTP status on the wire, only in logs and metrics. */
export const CLIENT_CLOSED = 499;

const MAX_HEADER = 256;

const cut = (v: string) => (v.length > MAX_HEADER ? v.slice(0, MAX_HEADER) : v);
const joined = (was: string | undefined, v: string) => (was === undefined ? v : `${was}, ${v}`);

/**
 * Onto the line, from rawHeaders (no headers object built): the client's `X-Opaque-Id`
 * (Elasticsearch's request id header), the trace id of its `traceparent` (held-out probe round 19a: an
 * SRE holding a trace id from the engine's slow log or the APM found no line with it; else that of
 * `elastic-apm-traceparent`), and `X-Forwarded-For` / `Forwarded` as a balancer sends them
 * (held-out probe round 14e: behind HAProxy every line was the balancer's, and no line said any
 * address) — repeated ones joined as RFC 9110 §5.3 reads them, each cut to 256 characters, unchecked.
 */
function headerFields(raw: string[], line: AccessLine): void {
  let xff: string | undefined;
  let fwd: string | undefined;
  for (let i = 0; i < raw.length; i += 2) {
    const k = raw[i]!;
    if (k.length === 15 && k.toLowerCase() === 'x-forwarded-for') xff = joined(xff, raw[i + 1]!);
    else if (k.length === 9 && k.toLowerCase() === 'forwarded') fwd = joined(fwd, raw[i + 1]!);
  }
  const ids = requestIds(raw);
  if (ids.opaque_id !== undefined) line.opaque_id = ids.opaque_id;
  if (ids.trace_id !== undefined) line.trace_id = ids.trace_id;
  if (xff !== undefined) line.forwarded_for = cut(xff);
  if (fwd !== undefined) line.forwarded = cut(fwd);
}

/** A health, readiness or liveness probe answered 2xx (a failing one, another method or path is logged whatever `probes` says). */
function successfulProbe(e: Entry, status: number): boolean {
  if (e.route !== 'admin' || status < 200 || status >= 300 || e.req.method !== 'GET') return false;
  const q = e.url.indexOf('?');
  const path = q < 0 ? e.url : e.url.slice(0, q);
  return path === '/_vlrerank/health' || path === '/_vlrerank/health/';
}

function finish(this: Tracked): void {
  const e = this[kEntry];
  if (!e || e.done) return;
  e.done = true;
  e.inFlight.n--;
  // closed before its answer ended: the client left (or the socket died). Before its headers went
  // out the line said 200 and 0 bytes, a success that never was (held-out probe round 15d) — now
  // 499 as nginx logs it ("client closed request"); mid-body, the status sent and `aborted`
  const aborted = !this.writableFinished && !e.answeredByNode;
  const status = aborted && !this.headersSent ? CLIENT_CLOSED : this.statusCode;
  const f = finishedFor(e.deps, e.inFlight, status);
  f.pending++;
  const ms = Number(process.hrtime.bigint() - e.start) / 1e6;
  f.seconds.observe(ms / 1000);
  if (e.deps.access && (e.deps.probes !== false || !successfulProbe(e, status))) {
    const access: AccessLine = { method: e.req.method, path: redactUrl(e.url), status, bytes: e.bytes, ms: Math.round(ms * 100) / 100, route: e.route };
    if (e.remote !== undefined) access.remote = e.remote;
    headerFields(e.req.rawHeaders, access);
    if (e.rerank) access.rerank = e.rerank;
    if (e.failure) {
      access.code = e.failure.code;
      if (e.failure.shed_reason !== undefined) access.shed_reason = e.failure.shed_reason;
    }
    if (aborted) access.aborted = true;
    if (e.deps.write) e.deps.write(access);
    else e.deps.logger.info({ access }, 'access');
  }
}

/**
 * Say what a rerank did, for this request's access line: called by the reranked search and the
 * rerank APIs when they answer (nothing for any other request, so passthrough pays nothing).
 */
export function noteRerank(res: ServerResponse, note: RerankNote): void {
  const e = (res as Tracked)[kEntry];
  if (e) e.rerank = note;
}

/**
 * Say which error vlrerank answered (http/errors.ts): its code (`vlrerank_failures_total{code}`
 * counted it, the line did not say which — held-out probe round 15d: a 429's line gave no reason)
 * and, for an admission refusal, the reason (`vlrerank_rerank_shed_total{reason}`).
 */
export function noteError(res: ServerResponse, code: string, shedReason: unknown): void {
  const e = (res as Tracked)[kEntry];
  if (e) e.failure = typeof shedReason === 'string' ? { code, shed_reason: shedReason } : { code };
}

/**
 * A reranked search's answer (its `vlrerank` report; an `_msearch`'s reranked items summed) as a
 * rerank note, or undefined when nothing was reranked.
 */
export function searchRerankNote(body: unknown): RerankNote | undefined {
  const b = body as { vlrerank?: SearchReport & { requests?: Record<string, SearchReport> }; responses?: { vlrerank?: SearchReport }[] } | null;
  if (!b || typeof b !== 'object') return undefined;
  // a `_rank_eval` measured reranked (search/rank-eval.ts) reports each rated request's search
  const rated = b.vlrerank?.requests && typeof b.vlrerank.requests === 'object' ? Object.values(b.vlrerank.requests) : undefined;
  const reports = rated ?? (b.vlrerank ? [b.vlrerank] : Array.isArray(b.responses) ? b.responses.map((r) => r?.vlrerank).filter((r): r is SearchReport => !!r) : []);
  if (!reports.length) return undefined;
  const degraded = reports.find((r) => r.degraded);
  const note: RerankNote = { pipeline: String(reports[0]!.pipeline), degraded: degraded ? String(degraded.degraded) : false, documents: 0 };
  for (const r of reports) note.documents += typeof r.candidates === 'number' ? r.candidates : 0;
  if (degraded?.reason) note.reason = String(degraded.reason).slice(0, 256);
  if (reports.length > 1) note.searches = reports.length;
  // which stage made a slow search slow, from the log alone (held-out probe round 19a: the line said only its `ms`)
  const slowest = reports.reduce((a, r) => (timingsOf(r)?.total_ms ?? -1) > (timingsOf(a)?.total_ms ?? -1) ? r : a);
  const t = timingsOf(slowest);
  if (t) note.timings = t;
  return note;
}

/** A rerank API call's note: the documents sent (`documents`, TEI's `texts`, vLLM's `text_2`), those scored without their media. */
export function apiRerankNote(reqBody: unknown, headers: Record<string, string>, degraded?: string): RerankNote {
  // `input`: Elasticsearch's Inference API (`POST _inference/rerank/{pipeline}`, api/inference.ts), one string or many
  const b = (reqBody ?? {}) as { documents?: unknown; texts?: unknown; text_2?: unknown; input?: unknown };
  const docs = Array.isArray(b.documents) ? b.documents : Array.isArray(b.texts) ? b.texts : Array.isArray(b.text_2) ? b.text_2 : Array.isArray(b.input) ? b.input : undefined;
  const note: RerankNote = { degraded: degraded ?? false, documents: docs ? docs.length : typeof b.text_2 === 'string' || b.input != null ? 1 : 0 };
  const errors = Number(headers['x-vlrerank-document-errors']);
  if (errors > 0) note.document_errors = errors;
  return note;
}

interface SearchReport {
  pipeline?: unknown;
  candidates?: unknown;
  degraded?: unknown;
  reason?: unknown;
  timings?: unknown;
}

/** A report's numeric timings, undefined when it has none. */
function timingsOf(r: SearchReport): Record<string, number> | undefined {
  if (!r.timings || typeof r.timings !== 'object') return undefined;
  const out: Record<string, number> = {};
  for (const [k, v] of Object.entries(r.timings)) if (typeof v === 'number') out[k] = v;
  return Object.keys(out).length ? out : undefined;
}

/**
 * Track one request from arrival to finish: in-flight gauge, request counter, access line. Called
 * first for every request, before any routing (http/handler.ts), on the plain node objects.
 */
export function requestTracker(deps: AccessLogDeps): (req: IncomingMessage, res: ServerResponse) => void {
  const cache = cacheFor(deps);
  // a request target's route class (its in-flight count), kept per target: a proxy sees the same few (bounded)
  const byTarget = new Map<string, InFlight>();
  return (req, res) => {
    const url = req.url ?? '/';
    let inFlight = byTarget.get(url);
    if (inFlight === undefined) {
      const q = url.indexOf('?');
      const route = routeClass(q < 0 ? url : url.slice(0, q));
      inFlight = cache.inFlight.get(route);
      if (!inFlight) cache.inFlight.set(route, (inFlight = { route, n: 0, byStatus: new Map() }));
      if (byTarget.size >= 1024) byTarget.clear();
      byTarget.set(url, inFlight);
    }
    const route = inFlight.route;
    inFlight.n++;
    const r = res as Tracked;
    r[kEntry] = { deps, req, url, start: process.hrtime.bigint(), route, inFlight, bytes: 0, done: false, remote: req.socket.remoteAddress, write: res.write as Entry['write'], end: res.end as Entry['end'] };
    res.write = countingWrite as typeof res.write;
    res.end = countingEnd as typeof res.end;
    // `close` alone: Node emits it after `finish` for every answered response (a tick later) and
    // for one whose connection closed first — one listener per request, not two (issue 13)
    res.on('close', finish);
  };
}

/** Node's own answers to a request its parser refused (_http_server.js socketOnError), by error code. */
function clientErrorStatus(code: string | undefined): number {
  if (code === 'HPE_HEADER_OVERFLOW') return 431;
  if (code === 'HPE_CHUNK_EXTENSIONS_OVERFLOW') return 413;
  if (code === 'ERR_HTTP_REQUEST_TIMEOUT' || code === SHED_CODE) return 408; // a connection shed for a new one is told as at headersTimeout (connection-cap.ts)
  return 400;
}

const REASONS: Record<number, string> = { 400: 'Bad Request', 408: 'Request Timeout', 413: 'Payload Too Large', 431: 'Request Header Fields Too Large' };

/** The refused request's method and target, when they look like one (the target redacted and cut): never the rest of the line. */
function requestLine(raw: unknown): { method: string | undefined; path: string } {
  if (!Buffer.isBuffer(raw)) return { method: undefined, path: '' };
  let line = raw.subarray(0, 2048).toString('latin1');
  const nl = line.search(/[\r\n]/);
  if (nl >= 0) line = line.slice(0, nl);
  const [m, target] = line.split(' ');
  const method = m && /^[A-Za-z0-9_-]{1,24}$/.test(m) ? m : undefined;
  const path = target && (target.startsWith('/') || /^https?:\/\//i.test(target)) ? redactUrl(target).slice(0, 256) : '';
  return { method, path };
}

const UNPARSED = 'unparsed';

/**
 * The server's `clientError` listener: a request Node's HTTP parser refused (an unknown method, a
 * malformed request line, headers too large, a request time-out) gets Node's own answer as before
 * (400, 431, 413, 408, `Connection: close`), and now an access line (route `unparsed`, the error
 * code, the method and redacted target when they look like one) and a count in
 * `vlrerank_requests_total{route="unparsed"}`; before, an operator counting errors missed them. A
 * refused request whose response object exists (a body too slow: 408) is logged by that response.
 * A connection closed at `server.maxConnections` to let a new one in while it had sent no complete
 * request head (http/connection-cap.ts, fix20a) comes here too: 408, error `VLR_CONNECTION_SHED`.
 */
export function clientErrorHandler(deps: AccessLogDeps): (err: Error & { code?: string; rawPacket?: unknown }, socket: Duplex) => void {
  const cache = cacheFor(deps);
  return (err, socket) => {
    const s = socket as Duplex & { _httpMessage?: Tracked | null };
    if (err.code === 'ECONNRESET' || !socket.writable) {
      socket.destroy(); // nothing can be answered: the client is gone (Node's default answers nothing either)
      return;
    }
    // bytes after a request that said `Connection: close` (a pipelining client that sent on): RFC
    // 9112 §9.6 has the server answer the requests up to that one and process nothing after it.
    // Node's parser calls them an error, and the 400 below cut the answers still due on the
    // connection — requests the engine had run, a write among them (held-out probe round 24a).
    // Those answers go out, then Node closes the connection as that request asked.
    if (err.code === 'HPE_CLOSED_CONNECTION' && s._httpMessage) return;
    const status = clientErrorStatus(err.code);
    const remote = (socket as Duplex & { remoteAddress?: string }).remoteAddress; // before the destroy below
    const res = s._httpMessage;
    if (res && res.headersSent) {
      socket.destroy(err); // part of an answer is on the wire: its response logs itself
      return;
    }
    socket.write(`HTTP/1.1 ${status} ${REASONS[status]}\r\nConnection: close\r\n\r\n`);
    socket.destroy(err);
    const tracked = res?.[kEntry];
    if (tracked && !tracked.done) {
      res!.statusCode = status; // its finish (on close) logs and counts it with Node's status
      tracked.answeredByNode = true;
      return;
    }
    let inFlight = cache.inFlight.get(UNPARSED);
    if (!inFlight) cache.inFlight.set(UNPARSED, (inFlight = { route: UNPARSED, n: 0, byStatus: new Map() }));
    finishedFor(deps, inFlight, status).pending++;
    if (!deps.access) return;
    const { method, path } = requestLine(err.rawPacket);
    const access: AccessLine = { method, path, status, bytes: 0, ms: 0, route: UNPARSED, error: err.code ?? 'HPE_UNKNOWN' };
    if (remote !== undefined) access.remote = remote;
    if (deps.write) deps.write(access);
    else deps.logger.info({ access }, 'access');
  };
}
