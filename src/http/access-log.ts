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
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { HistogramSeries } from '../observability/histogram.js';
import type { AccessLine, Logger } from '../observability/logger.js';
import type { Metrics } from '../observability/metrics.js';
import { redactUrl } from '../observability/redact.js';

export interface AccessLogDeps {
  metrics: Pick<Metrics, 'requests' | 'requestSeconds' | 'inFlight' | 'onCollect'>;
  /** Write one access line per request. */
  access: boolean;
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

function finish(this: Tracked): void {
  const e = this[kEntry];
  if (!e || e.done) return;
  e.done = true;
  e.inFlight.n--;
  const status = this.statusCode;
  let f = e.inFlight.byStatus.get(status);
  if (!f) {
    const labels = { route: e.route, status: String(status) };
    f = { labels, pending: 0, seconds: e.deps.metrics.requestSeconds.labels(labels) };
    e.inFlight.byStatus.set(status, f);
    cacheFor(e.deps).finished.set(`${e.route} ${status}`, f);
  }
  f.pending++;
  const ms = Number(process.hrtime.bigint() - e.start) / 1e6;
  f.seconds.observe(ms / 1000);
  if (e.deps.access) {
    const access: AccessLine = { method: e.req.method, path: redactUrl(e.url), status, bytes: e.bytes, ms: Math.round(ms * 100) / 100, route: e.route };
    if (e.deps.write) e.deps.write(access);
    else e.deps.logger.info({ access }, 'access');
  }
}

/**
 * Track one request from arrival to finish: in-flight gauge, request counter, access line. Called
 * first for every request, before any routing (http/handler.ts), on the plain node objects.
 */
export function requestTracker(deps: AccessLogDeps): (req: IncomingMessage, res: ServerResponse) => void {
  const cache = cacheFor(deps);
  return (req, res) => {
    const url = req.url ?? '/';
    const q = url.indexOf('?');
    const route = routeClass(q < 0 ? url : url.slice(0, q));
    let inFlight = cache.inFlight.get(route);
    if (!inFlight) cache.inFlight.set(route, (inFlight = { route, n: 0, byStatus: new Map() }));
    inFlight.n++;
    const r = res as Tracked;
    r[kEntry] = { deps, req, url, start: process.hrtime.bigint(), route, inFlight, bytes: 0, done: false, write: res.write as Entry['write'], end: res.end as Entry['end'] };
    res.write = countingWrite as typeof res.write;
    res.end = countingEnd as typeof res.end;
    res.on('finish', finish);
    res.on('close', finish);
  };
}
