/**
 * One access-log line per request (method, path, status, bytes, time) and the request metrics
 * (count and duration by route class and status).
 * The route class groups paths for metrics without exploding label cardinality.
 *
 * The logged path is redacted (secret query parameters, userinfo, data: payloads: observability/
 * redact.ts) — free for a path without `?`, `@` or `data:`.
 *
 * Runs for every request, so it is kept cheap: plain string checks instead of regexes, metric
 * children cached per label set (prom-client hashes labels on every `inc({…})`), and no closures
 * or bind() per request — the per-request state lives on the response under one symbol and the
 * write/end counters and finish listener are shared functions.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Counter, Gauge, Histogram } from 'prom-client';
import type { Logger } from '../observability/logger.js';
import type { Metrics } from '../observability/metrics.js';
import { redactUrl } from '../observability/redact.js';

export interface AccessLogDeps {
  metrics: Pick<Metrics, 'requests' | 'requestSeconds' | 'inFlight'>;
  /** Write one access line per request. */
  access: boolean;
  /** Where access lines go (the buffered access logger, or the main logger). */
  logger: Logger;
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
  inFlight: ReturnType<Gauge<'route'>['labels']>;
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

/** Metric children per label set, per metrics registry (a server has one). */
const children = new WeakMap<
  object,
  { inFlight: Map<string, Entry['inFlight']>; requests: Map<string, ReturnType<Counter<'route' | 'status'>['labels']>>; seconds: Map<string, ReturnType<Histogram<'route' | 'status'>['labels']>> }
>();

function cacheFor(deps: AccessLogDeps) {
  let c = children.get(deps.metrics);
  if (!c) children.set(deps.metrics, (c = { inFlight: new Map(), requests: new Map(), seconds: new Map() }));
  return c;
}

function finish(this: Tracked): void {
  const e = this[kEntry];
  if (!e || e.done) return;
  e.done = true;
  e.inFlight.dec();
  const status = this.statusCode;
  const cache = cacheFor(e.deps);
  const key = `${e.route} ${status}`;
  let counter = cache.requests.get(key);
  if (!counter) cache.requests.set(key, (counter = e.deps.metrics.requests.labels({ route: e.route, status: String(status) })));
  counter.inc();
  let seconds = cache.seconds.get(key);
  if (!seconds) cache.seconds.set(key, (seconds = e.deps.metrics.requestSeconds.labels({ route: e.route, status: String(status) })));
  const ms = Number(process.hrtime.bigint() - e.start) / 1e6;
  seconds.observe(ms / 1000);
  if (e.deps.access) {
    e.deps.logger.info({ access: { method: e.req.method, path: redactUrl(e.url), status, bytes: e.bytes, ms: Math.round(ms * 100) / 100, route: e.route } }, 'access');
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
    if (!inFlight) cache.inFlight.set(route, (inFlight = deps.metrics.inFlight.labels({ route })));
    inFlight.inc();
    const r = res as Tracked;
    r[kEntry] = { deps, req, url, start: process.hrtime.bigint(), route, inFlight, bytes: 0, done: false, write: res.write as Entry['write'], end: res.end as Entry['end'] };
    res.write = countingWrite as typeof res.write;
    res.end = countingEnd as typeof res.end;
    res.on('finish', finish);
    res.on('close', finish);
  };
}
