/**
 * The upstream pool: one undici Pool per configured cluster node, requests spread round-robin,
 * a connection failure retried once on another node, https with a custom CA / client certificate.
 * Every area that talks to the cluster (proxy, search, ingest, health) goes through this class.
 *
 * It knows only HTTP: it never parses bodies (except in the `json()` convenience) and never
 * buffers a streamed body. Low-level undici errors are translated here, in one switch
 * (`translate`), into VLR_UPSTREAM_UNREACHABLE (502) or VLR_UPSTREAM_TIMEOUT (504).
 */
import { readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import type { IncomingHttpHeaders, ServerResponse } from 'node:http';
import { Readable } from 'node:stream';
import { Pool, errors as undiciErrors, type Dispatcher } from 'undici';
import { forwardResponseHeaders } from './hop-by-hop.js';
import type { Config } from '../config/schema.js';
import { vlrError, VlrerankError } from '../errors.js';
import type { Metrics } from '../observability/metrics.js';

export type UpstreamOptions = Config['upstream'];

export interface UpstreamRequest {
  method: string;
  /** Path including the query string, e.g. `/products/_search?size=3`. */
  path: string;
  /** Object headers, or a flat raw `[name, value, …]` list (keeps duplicates and case). */
  headers?: IncomingHttpHeaders | Record<string, string | string[] | undefined> | string[];
  body?: Buffer | string | Readable | null;
  signal?: AbortSignal;
  /**
   * May the request be sent twice? Defaults to RFC 9110 §9.2.2 methods (GET, HEAD, OPTIONS, PUT,
   * DELETE) plus the read-only POST endpoints of the search API (`_search`, `_msearch`, `_count`…).
   */
  idempotent?: boolean;
  /** Also return the response headers as the raw flat list (case and order kept), for the proxy. */
  rawHeaders?: boolean;
}

export interface UpstreamResponse {
  statusCode: number;
  headers: IncomingHttpHeaders;
  /** Only when `rawHeaders: true` was asked: `[name, value, name, value, …]`. */
  rawHeaders?: string[];
  /** The undici body stream; consume or destroy it. */
  body: Dispatcher.ResponseData['body'];
  /** The node (its URL, credentials redacted) that answered. */
  node: string;
}

export interface EngineInfo {
  distribution: 'elasticsearch' | 'opensearch';
  version: string;
  /** Major version as a number, for dialect switches. */
  major: number;
}

export interface NodeStatus {
  node: string;
  reachable: boolean;
  /** HTTP status of the probe, when it answered. */
  status?: number;
  ms: number;
  error?: string;
}

interface UpstreamNode {
  /** URL with credentials redacted, used in metrics labels, logs and health. */
  label: string;
  /** Path prefix from the configured URL (`http://host:9200/es` → `/es`), '' when none. */
  prefix: string;
  /** `Basic …` from credentials in the URL, sent when the client sent no Authorization. */
  authorization?: string;
  pool: Pool;
  /** Skip this node until then (ms epoch) after a connection failure. */
  downUntil: number;
  failures: number;
  /** This node's child of the upstream latency histogram (prom-client hashes labels on every observe({…})). */
  latency?: { observe(seconds: number): void };
}

const IDEMPOTENT_METHODS = new Set(['GET', 'HEAD', 'OPTIONS', 'PUT', 'DELETE']);
/** POST endpoints that only read: safe to send twice. */
const READ_ONLY_POST = /\/(_search|_msearch|_count|_mget|_field_caps|_validate\/query|_explain|_search\/template|_msearch\/template|_rank_eval|_terms_enum)(\/[^/?]*)?(\?|$)/;

/** Errors where the request certainly never reached the server: safe to resend anything. */
const NOT_SENT = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH', 'UND_ERR_CONNECT_TIMEOUT']);
/** Errors where the connection broke before any response: safe to resend an idempotent request. */
const CONNECTION_BROKEN = new Set([...NOT_SENT, 'ECONNRESET', 'EPIPE', 'UND_ERR_SOCKET', 'UND_ERR_CLOSED']);

const DOWN_BASE_MS = 500;
const DOWN_MAX_MS = 30_000;

export function isIdempotent(method: string, path: string): boolean {
  const m = method.toUpperCase();
  return IDEMPOTENT_METHODS.has(m) || (m === 'POST' && READ_ONLY_POST.test(path));
}

function errorCode(err: unknown): string | undefined {
  const e = err as { code?: unknown; name?: string; cause?: { code?: unknown } };
  if (e?.name === 'AbortError') return 'ABORT_ERR';
  if (e?.name === 'TimeoutError') return 'UND_ERR_HEADERS_TIMEOUT';
  if (typeof e?.code === 'string') return e.code;
  return typeof e?.cause?.code === 'string' ? e.cause.code : undefined;
}

function readPem(path: string | undefined, what: string): Buffer | undefined {
  if (!path) return undefined;
  try {
    return readFileSync(path);
  } catch (e) {
    throw vlrError('VLR_CONFIG_INVALID', `upstream.tls.${what}: cannot read ${path}: ${(e as Error).message}`);
  }
}

export class UpstreamPool {
  readonly nodes: readonly UpstreamNode[];
  private next = 0;
  private readonly opts: UpstreamOptions;
  private readonly metrics?: Metrics;
  private enginePromise?: Promise<EngineInfo>;

  constructor(opts: UpstreamOptions, deps: { metrics?: Metrics } = {}) {
    this.opts = opts;
    this.metrics = deps.metrics;
    const tls = opts.tls ?? { rejectUnauthorized: true };
    const ca = readPem(tls.ca, 'ca');
    const cert = readPem(tls.cert, 'cert');
    const key = readPem(tls.key, 'key');
    this.nodes = opts.urls.map((raw) => {
      const u = new URL(raw);
      const authorization =
        u.username || u.password ? `Basic ${Buffer.from(`${decodeURIComponent(u.username)}:${decodeURIComponent(u.password)}`).toString('base64')}` : undefined;
      const prefix = u.pathname.replace(/\/+$/, '');
      const https = u.protocol === 'https:';
      const pool = new Pool(u.origin, {
        connections: opts.connectionsPerNode,
        pipelining: 1,
        connectTimeout: opts.connectTimeoutMs,
        headersTimeout: opts.headersTimeoutMs,
        bodyTimeout: opts.bodyTimeoutMs,
        keepAliveTimeout: 30_000,
        // SNI carries host names only (RFC 6066 §3)
        connect: https ? { ca, cert, key, rejectUnauthorized: tls.rejectUnauthorized, ...(isIP(u.hostname.replace(/^\[|\]$/g, '')) ? {} : { servername: u.hostname }) } : undefined,
      });
      const label = `${u.protocol}//${u.host}${prefix}`;
      return { label, prefix, authorization, pool, downUntil: 0, failures: 0 };
    });
  }

  /** Node URLs (credentials redacted), in configured order. */
  get urls(): string[] {
    return this.nodes.map((n) => n.label);
  }

  /** Round-robin over nodes that are not marked down; when all are down, try them anyway. */
  private pick(exclude?: UpstreamNode): UpstreamNode {
    const n = this.nodes.length;
    const now = Date.now();
    for (let i = 0; i < n; i++) {
      const node = this.nodes[(this.next + i) % n]!;
      if (node !== exclude && node.downUntil <= now) {
        this.next = (this.next + i + 1) % n;
        return node;
      }
    }
    // every candidate is down: take the next one other than `exclude` (a down node may be back)
    for (let i = 0; i < n; i++) {
      const node = this.nodes[(this.next + i) % n]!;
      if (node !== exclude || n === 1) {
        this.next = (this.next + i + 1) % n;
        return node;
      }
    }
    return this.nodes[0]!;
  }

  private markDown(node: UpstreamNode): void {
    node.failures++;
    node.downUntil = Date.now() + Math.min(DOWN_MAX_MS, DOWN_BASE_MS * 2 ** (node.failures - 1));
  }

  private markUp(node: UpstreamNode): void {
    if (node.failures) {
      node.failures = 0;
      node.downUntil = 0;
    }
  }

  /**
   * Send one request upstream. Resolves at the response headers, whatever the status (a 4xx/5xx
   * from the cluster is a response, not an error); rejects only with VLR_UPSTREAM_* errors.
   */
  request(req: UpstreamRequest): Promise<UpstreamResponse> {
    return this.withRetry(req, (node, r) => this.send(node, r));
  }

  /**
   * Send one request upstream and stream the answer into `res`, as the transparent proxy does:
   * status, headers (minus hop-by-hop, proxy/hop-by-hop.ts; no Date of our own) and body bytes
   * unchanged, with back-pressure. Resolves once the status and headers are written; rejects,
   * before anything is written, only with VLR_UPSTREAM_* errors, after the same retry as
   * `request()`. The client going away aborts the upstream request or response; an upstream body
   * failing after the headers cuts the client connection (the status is already sent).
   *
   * Built on undici's dispatch handler rather than `request()` + a body stream + pipe(): that chain
   * (an AbortController, an async resource, a Readable, the pipe, the headers parsed three times)
   * cost more CPU than the forwarding itself (scripts/bench/proxy.ts).
   */
  async forward(req: ForwardRequest, res: ServerResponse): Promise<void> {
    const client: ClientState = { gone: false, abort: undefined };
    res.once('close', () => {
      if (res.writableFinished) return;
      client.gone = true;
      client.abort?.(new undiciErrors.RequestAbortedError());
    });
    await this.withRetry(req, (node, r) => this.sendTo(node, r, res, client));
  }

  private async withRetry<T>(req: UpstreamRequest, attempt: (node: UpstreamNode, req: UpstreamRequest) => Promise<T>): Promise<T> {
    const first = this.pick();
    const mayRetry = this.nodes.length > 1 && this.opts.retryIdempotent;
    // undici destroys a stream body when the request fails, even if it never read a byte: lend it
    // a lazy wrapper so that a connection refused before sending leaves the client stream whole.
    const src = req.body;
    const streamed = mayRetry && src != null && typeof src === 'object' && !Buffer.isBuffer(src) ? (src as Readable) : undefined;
    const lent = streamed ? new LazyBody(streamed) : undefined;
    try {
      return await attempt(first, lent ? { ...req, body: lent } : req);
    } catch (err) {
      const code = errorCode(err);
      this.metrics?.upstreamErrors.inc({ code: code ?? 'UNKNOWN' });
      if (code && CONNECTION_BROKEN.has(code)) this.markDown(first);
      if (mayRetry && this.canRetry(req, code, lent)) {
        const second = this.pick(first);
        if (second !== first) {
          try {
            return await attempt(second, streamed ? { ...req, body: new LazyBody(streamed) } : req);
          } catch (err2) {
            const code2 = errorCode(err2);
            this.metrics?.upstreamErrors.inc({ code: code2 ?? 'UNKNOWN' });
            if (code2 && CONNECTION_BROKEN.has(code2)) this.markDown(second);
            throw this.translate(err2, second);
          }
        }
      }
      throw this.translate(err, first);
    }
  }

  private canRetry(req: UpstreamRequest, code: string | undefined, lent: LazyBody | undefined): boolean {
    if (!code || req.signal?.aborted) return false;
    // a stream already (partly) sent cannot be replayed
    if (lent && (lent.started || lent.source.destroyed)) return false;
    if (NOT_SENT.has(code)) return true;
    return CONNECTION_BROKEN.has(code) && (req.idempotent ?? isIdempotent(req.method, req.path));
  }

  private async sendTo(node: UpstreamNode, req: UpstreamRequest, res: ServerResponse, client: ClientState): Promise<void> {
    const start = performance.now();
    await new Promise<void>((resolve, reject) => {
      node.pool.dispatch(
        {
          method: req.method as Dispatcher.HttpMethod,
          path: node.prefix ? node.prefix + req.path : req.path,
          headers: withNodeAuth(node, req.headers) as Dispatcher.DispatchOptions['headers'],
          body: req.body ?? null,
          idempotent: false, // retries are ours, not undici's
        },
        new ForwardHandler(res, client, resolve, reject),
      );
    });
    this.answered(node, start);
  }

  /** A node answered (status and headers) a request sent at `start`: latency metric, node up. */
  private answered(node: UpstreamNode, start: number): void {
    if (this.metrics) (node.latency ??= this.metrics.upstreamLatency.labels({ node: node.label })).observe((performance.now() - start) / 1000);
    this.markUp(node);
  }

  private async send(node: UpstreamNode, req: UpstreamRequest): Promise<UpstreamResponse> {
    const headers = withNodeAuth(node, req.headers);
    const start = performance.now();
    const res = await node.pool.request({
      method: req.method as Dispatcher.HttpMethod,
      path: node.prefix ? node.prefix + req.path : req.path,
      headers: headers as Dispatcher.DispatchOptions['headers'],
      body: req.body ?? null,
      signal: req.signal ?? null,
      idempotent: false, // retries are ours, not undici's
      responseHeaders: req.rawHeaders ? 'raw' : null,
    });
    this.answered(node, start);
    if (req.rawHeaders) {
      const raw = res.headers as unknown as string[];
      return { statusCode: res.statusCode, headers: rawToObject(raw), rawHeaders: raw, body: res.body, node: node.label };
    }
    return { statusCode: res.statusCode, headers: res.headers, body: res.body, node: node.label };
  }

  /** The one boundary where undici's errors become vlrerank codes. */
  translate(err: unknown, node: UpstreamNode | string): VlrerankError {
    if (err instanceof VlrerankError) return err;
    const label = typeof node === 'string' ? node : node.label;
    const code = errorCode(err) ?? 'UNKNOWN';
    const e = err as Error;
    const details = { node: label };
    switch (code) {
      case 'UND_ERR_HEADERS_TIMEOUT':
        return vlrError('VLR_UPSTREAM_TIMEOUT', `upstream ${label} did not answer within ${this.opts.headersTimeoutMs} ms`, { cause: e, details });
      case 'UND_ERR_BODY_TIMEOUT':
        return vlrError('VLR_UPSTREAM_TIMEOUT', `upstream ${label} stalled for ${this.opts.bodyTimeoutMs} ms while sending its body`, { cause: e, details });
      case 'UND_ERR_ABORTED':
      case 'ABORT_ERR':
        return vlrError('VLR_UPSTREAM_ERROR', `request to upstream ${label} was aborted`, { cause: e, details, status: 499 });
      case 'UND_ERR_CONNECT_TIMEOUT':
        return vlrError('VLR_UPSTREAM_UNREACHABLE', `upstream ${label} did not accept a connection within ${this.opts.connectTimeoutMs} ms`, { cause: e, details });
      case 'UND_ERR_REQ_CONTENT_LENGTH_MISMATCH':
      case 'UND_ERR_INVALID_ARG':
      case 'UND_ERR_NOT_SUPPORTED':
        return vlrError('VLR_BAD_REQUEST', `request cannot be forwarded: ${e.message}`, { cause: e, details });
      default:
        if (CONNECTION_BROKEN.has(code) || code.startsWith('ERR_TLS') || /CERT|SSL|EPROTO/.test(code)) {
          return vlrError('VLR_UPSTREAM_UNREACHABLE', `upstream ${label} unreachable: ${e.message || code}`, { cause: e, details });
        }
        return vlrError('VLR_UPSTREAM_ERROR', `upstream ${label} failed: ${e?.message || code}`, { cause: e, details });
    }
  }

  /**
   * JSON convenience for callers that want a parsed answer (search, ingest, health): the body is
   * serialised unless already a string/Buffer, the answer parsed (an empty body gives `undefined`).
   * 4xx/5xx answers resolve too; look at `statusCode`.
   */
  async json<T = unknown>(
    method: string,
    path: string,
    body?: unknown,
    headers?: Record<string, string>,
    options: { signal?: AbortSignal; idempotent?: boolean } = {},
  ): Promise<{ statusCode: number; headers: IncomingHttpHeaders; body: T }> {
    const payload = body === undefined ? undefined : typeof body === 'string' || Buffer.isBuffer(body) ? body : JSON.stringify(body);
    const h: Record<string, string> = { accept: 'application/json', ...headers };
    if (payload !== undefined && !hasHeader(h, 'content-type')) h['content-type'] = 'application/json';
    const res = await this.request({ method, path, headers: h, body: payload, signal: options.signal, idempotent: options.idempotent });
    let text: string;
    try {
      text = await res.body.text();
    } catch (e) {
      this.metrics?.upstreamErrors.inc({ code: errorCode(e) ?? 'UNKNOWN' });
      throw this.translate(e, res.node);
    }
    if (text === '') return { statusCode: res.statusCode, headers: res.headers, body: undefined as T };
    try {
      return { statusCode: res.statusCode, headers: res.headers, body: JSON.parse(text) as T };
    } catch {
      throw vlrError('VLR_UPSTREAM_ERROR', `upstream ${res.node} answered ${method} ${path} with ${res.statusCode} and a body that is not JSON: ${text.slice(0, 200)}`, {
        details: { node: res.node },
      });
    }
  }

  /**
   * Which engine answers, for dialect switches (search/ingest). `GET /` answers 405 on the thin
   * Elasticsearch build from Maven, so this reads `_nodes/_local` (every engine has it) and tells
   * Elasticsearch (which has sent `x-elastic-product` since 7.14) from OpenSearch. Cached; a
   * failure is not cached.
   */
  engine(): Promise<EngineInfo> {
    this.enginePromise ??= this.detectEngine().catch((e) => {
      this.enginePromise = undefined;
      throw e;
    });
    return this.enginePromise;
  }

  private async detectEngine(): Promise<EngineInfo> {
    const res = await this.json<{ nodes?: Record<string, { version?: string; build_flavor?: string }> }>(
      'GET',
      '/_nodes/_local?filter_path=nodes.*.version,nodes.*.build_flavor',
    );
    const node = res.body?.nodes ? Object.values(res.body.nodes)[0] : undefined;
    if (res.statusCode !== 200 || !node?.version) {
      throw vlrError('VLR_UPSTREAM_ERROR', `cannot tell the upstream engine: GET /_nodes/_local answered ${res.statusCode}`);
    }
    const product = res.headers['x-elastic-product'];
    const distribution = product === 'Elasticsearch' ? 'elasticsearch' : 'opensearch';
    return { distribution, version: node.version, major: Number.parseInt(node.version, 10) };
  }

  /** Probe every node (for /_vlrerank/health): `GET /_cluster/health` on each, in parallel. */
  async probe(timeoutMs = 2_000): Promise<NodeStatus[]> {
    return Promise.all(
      this.nodes.map(async (node): Promise<NodeStatus> => {
        const start = performance.now();
        const ms = () => Math.round((performance.now() - start) * 10) / 10;
        try {
          const res = await node.pool.request({
            method: 'GET',
            path: `${node.prefix}/_cluster/health?filter_path=status`,
            headers: node.authorization ? { authorization: node.authorization } : undefined,
            signal: AbortSignal.timeout(timeoutMs),
            headersTimeout: timeoutMs,
          });
          await res.body.dump();
          this.markUp(node);
          return { node: node.label, reachable: true, status: res.statusCode, ms: ms() };
        } catch (e) {
          const code = errorCode(e);
          if (code && CONNECTION_BROKEN.has(code)) this.markDown(node);
          return { node: node.label, reachable: false, ms: ms(), error: code ?? (e as Error).message };
        }
      }),
    );
  }

  async close(): Promise<void> {
    await Promise.all(this.nodes.map((n) => n.pool.close().catch(() => n.pool.destroy())));
  }
}

/** A request for `forward()`: the client's connection is its abort signal. */
export type ForwardRequest = Omit<UpstreamRequest, 'signal' | 'rawHeaders'>;

/** The client of one `forward()`, shared by its attempts. */
interface ClientState {
  /** The client closed its connection before the answer was complete. */
  gone: boolean;
  /** Aborts the attempt in progress (set when undici connects it). */
  abort: ((err: Error) => void) | undefined;
}

/**
 * undici's dispatch handler for `forward()`: writes the status and headers to the client response
 * and each body chunk as it comes, pausing the upstream socket while the client is not draining.
 */
class ForwardHandler implements Dispatcher.DispatchHandler {
  #started = false;
  #resume: (() => void) | undefined;
  readonly #res: ServerResponse;
  readonly #client: ClientState;
  readonly #resolve: () => void;
  readonly #reject: (err: Error) => void;

  constructor(res: ServerResponse, client: ClientState, resolve: () => void, reject: (err: Error) => void) {
    this.#res = res;
    this.#client = client;
    this.#resolve = resolve;
    this.#reject = reject;
  }

  onConnect(abort: (err?: Error) => void): void {
    if (this.#client.gone) abort(new undiciErrors.RequestAbortedError());
    else this.#client.abort = abort;
  }

  onHeaders(statusCode: number, rawHeaders: Buffer[], resume: () => void): boolean {
    // 1xx: Node's server answered `Expect: 100-continue` itself (the Expect header is not forwarded)
    if (statusCode < 200) return true;
    // names as undici reads them (utf8), values latin1: the bytes the engine sent
    const raw = new Array<string>(rawHeaders.length);
    for (let i = 0; i < rawHeaders.length; i += 2) {
      raw[i] = rawHeaders[i]!.toString();
      raw[i + 1] = rawHeaders[i + 1]!.toString('latin1');
    }
    this.#res.sendDate = false; // byte for byte: no Date (or other header) of our own
    this.#res.writeHead(statusCode, forwardResponseHeaders(raw));
    this.#started = true;
    this.#resume = resume;
    this.#resolve();
    return true;
  }

  onData(chunk: Buffer): boolean {
    const ok = this.#res.write(chunk);
    if (!ok) this.#res.once('drain', this.#resume!);
    return ok;
  }

  onComplete(): void {
    this.#res.end();
  }

  onError(err: Error): void {
    if (!this.#started) this.#reject(err);
    else if (!this.#res.destroyed) this.#res.destroy(err);
  }
}

/** A node's credentials from its URL, unless the client sent its own Authorization. */
function withNodeAuth(node: UpstreamNode, headers: UpstreamRequest['headers']): UpstreamRequest['headers'] {
  return node.authorization && !hasHeader(headers, 'authorization') ? addHeader(headers, 'authorization', node.authorization) : headers;
}

/**
 * A stream body lent to one attempt: it starts pulling from the client stream only when undici
 * starts sending, and being destroyed before that leaves the client stream untouched.
 */
class LazyBody extends Readable {
  started = false;
  constructor(readonly source: Readable) {
    super();
  }

  override _read(): void {
    if (this.started) {
      this.source.resume();
      return;
    }
    this.started = true;
    this.source.on('data', (chunk: Buffer) => {
      if (!this.push(chunk)) this.source.pause();
    });
    this.source.once('end', () => this.push(null));
    this.source.once('error', (e) => this.destroy(e));
    this.source.resume();
  }

  override _destroy(err: Error | null, cb: (e?: Error | null) => void): void {
    if (this.started) this.source.destroy(err ?? undefined);
    cb(err);
  }
}

function hasHeader(headers: UpstreamRequest['headers'], name: string): boolean {
  if (!headers) return false;
  if (Array.isArray(headers)) {
    for (let i = 0; i < headers.length; i += 2) if (headers[i]!.toLowerCase() === name) return true;
    return false;
  }
  return Object.keys(headers).some((k) => k.toLowerCase() === name);
}

function addHeader(headers: UpstreamRequest['headers'], name: string, value: string): UpstreamRequest['headers'] {
  if (Array.isArray(headers)) return [...headers, name, value];
  return { ...headers, [name]: value };
}

/** Raw `[name, value, …]` → lower-cased object (repeated headers become arrays, like Node's). */
export function rawToObject(raw: string[]): IncomingHttpHeaders {
  const out: Record<string, string | string[]> = {};
  for (let i = 0; i < raw.length; i += 2) {
    const k = raw[i]!.toLowerCase();
    const v = raw[i + 1]!;
    const cur = out[k];
    if (cur === undefined) out[k] = v;
    else if (Array.isArray(cur)) cur.push(v);
    else out[k] = [cur, v];
  }
  return out as IncomingHttpHeaders;
}
