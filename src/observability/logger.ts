/**
 * Structured JSON logs (pino). Secrets never reach a log line: authorization, API keys, cookies
 * and passwords are redacted wherever they appear in the logged object (headers, config) — by
 * key (pino's redact paths, and any key named as a secret) and inside text (error messages and
 * reasons carrying a URL with userinfo or a `?token=`, a Bearer value, a data: payload): redact.ts.
 */
import { pino, type Logger } from 'pino';
import { redactObject } from './redact.js';

export type { Logger };

export const REDACT_PATHS = [
  'authorization',
  'cookie',
  'password',
  'apiKey',
  'api_key',
  'adminToken',
  '*.authorization',
  '*.cookie',
  '*["set-cookie"]',
  '*["x-api-key"]',
  '*["api-key"]',
  '*.password',
  '*.apiKey',
  '*.adminToken',
  'req.headers.authorization',
  'req.headers.cookie',
  'req.headers["x-api-key"]',
  'req.headers["x-vlrerank-admin-token"]',
  'headers.authorization',
  'headers.cookie',
  'req.headers["proxy-authorization"]',
  'headers["proxy-authorization"]',
  'headers["x-api-key"]',
  'headers["x-vlrerank-admin-token"]',
];

export function createLogger(level = 'info', destination?: NodeJS.WritableStream): Logger {
  const opts = { level, base: { service: 'vlrerank' }, redact: { paths: REDACT_PATHS, censor: '[redacted]' }, formatters: { log: redactObject } };
  return pino(opts, destination ? (destination as pino.DestinationStream) : stdoutDestination({ sync: false }));
}

/** How far (characters) a log may fall behind a stdout that refuses writes before new lines are dropped. */
const MAX_BEHIND = 1 << 20;

/**
 * stdout for a log, as pino's own default (sonic-boom), except that a stdout which refuses writes
 * never stops the server. pino turns EPIPE into silence, but any other error (ENOSPC: stdout a
 * file on a full disk, or `>/dev/full`; EIO) was thrown as an uncaught exception, whose `fatal`
 * line then called sonic-boom's flushSync — which retries every error but EAGAIN/EBUSY forever, 100 ms
 * apart, on the event loop: the server hung, answering nothing, deaf to SIGTERM (held-out probe round
 * 31d; the same loop from the access log's timer when stdout was a pipe whose reader was gone,
 * `| head -1`). Now: the lines that cannot be written wait (up to MAX_BEHIND, then new ones are
 * dropped), are tried again with the next line, flushSync is skipped while writes fail, and stderr
 * is told once per outage.
 */
export function stdoutDestination(opts: { sync: boolean; fd?: number }): pino.DestinationStream {
  const dest = pino.destination({ dest: opts.fd ?? 1, sync: opts.sync, minLength: 0, maxLength: MAX_BEHIND });
  let failing = false;
  dest.on('error', (err: NodeJS.ErrnoException) => {
    if (failing) return;
    failing = true;
    tellStderr(`vlrerank: the log cannot be written to stdout (${err.code ?? err.message}): lines are dropped while it fails (the last 1 MiB held for a retry); the server keeps serving\n`);
  });
  dest.on('write', () => {
    if (failing) tellStderr('vlrerank: the log is written to stdout again\n');
    failing = false;
  });
  const flushSync = dest.flushSync.bind(dest);
  dest.flushSync = () => {
    if (!failing) flushSync();
  };
  return dest;
}

/** A line for a person on stderr; a stderr that cannot be written (closed, `/dev/full`) is no reason to stop. */
export function tellStderr(text: string): void {
  try {
    process.stderr.write(text);
  } catch {
    // nowhere left to say it
  }
}

/** What one access line says (http/access-log.ts). */
export interface AccessLine {
  method: string | undefined;
  /** Already redacted. */
  path: string;
  status: number;
  bytes: number;
  ms: number;
  route: string;
  /** The connection's peer address (a balancer's when one is in front), IPv6 as Node gives it (`::1`, `::ffff:127.0.0.1`). */
  remote?: string;
  /** The `X-Forwarded-For` header as sent (repeated ones joined with ", "), cut to 256 characters: what the peer claims, not checked. */
  forwarded_for?: string;
  /** The `Forwarded` header (RFC 7239) as sent, cut to 256 characters: what the peer claims, not checked. */
  forwarded?: string;
  /** The client's X-Opaque-Id, cut to 256 characters. */
  opaque_id?: string;
  /**
   * The W3C trace id of the client's `traceparent` (else `elastic-apm-traceparent`), 32 hex digits:
   * the `trace.id` the engines write in their slow logs for the calls made with it. Left out when
   * the header is not a well-formed trace context.
   */
  trace_id?: string;
  /** What a rerank did: reranked searches and rerank API calls only. */
  rerank?: RerankNote;
  /** Why Node's HTTP parser refused the request (route `unparsed`): its error code. */
  error?: string;
  /** The vlrerank error code of an error vlrerank answered itself (not the engine's). */
  code?: string;
  /** Why admission control refused it (a 429): as `vlrerank_rerank_shed_total{reason}`. */
  shed_reason?: string;
  /** The connection closed before the answer ended (the client left): `status` is 499 when nothing had been sent. */
  aborted?: true;
}

/** A rerank's outcome on its access line: the pipeline, degraded or not (its code) and why, the documents reranked. */
export interface RerankNote {
  pipeline?: string;
  degraded: string | false;
  reason?: string;
  documents: number;
  /** Documents scored without their media. */
  document_errors?: number;
  /** An `_msearch`'s reranked searches (more than one). */
  searches?: number;
  /**
   * Where a reranked search's time went, as its response's `vlrerank.timings` (ms: `first_stage_ms`,
   * `queue_ms`, `features_ms`, `inference_ms`, `rerank_ms`, `total_ms`…); of an `_msearch`'s slowest search.
   */
  timings?: Record<string, number>;
}

/**
 * The access log (one line per request): its own stdout writer that gathers lines and writes them
 * when 4 KB have gathered or a second has passed, instead of one write(2) per request — that
 * write was a tenth of a proxied request's CPU. Lines carry no headers (method, path, status, bytes,
 * time) and their path is redacted where it is made (http/access-log.ts, redactUrl), so no
 * redaction pass here. `close()` writes what is pending; so does process exit. `to`: stdout, or
 * another file descriptor or path.
 *
 * `write` puts the line pino's `logger.info({ access }, 'access')` would write, byte for byte, in
 * the same buffer: made with one template and JSON.stringify of the path (pino's stringify escapes
 * strings as JSON.stringify does): pino's generic path (level check, bindings, serialising the
 * object) was the largest single item of vlrerank's own code in bench:proxy's CPU profile of a
 * passthrough search. Undefined when `level` drops info lines.
 */
export function createAccessLogger(level = 'info', to: number | string = 1): { logger: Logger; write?: (a: AccessLine) => void; close(): void } {
  // written a gathered chunk at a time (no buffer of sonic-boom's own: its flushSync is what looped)
  const dest = typeof to === 'number' ? stdoutDestination({ sync: true, fd: to }) : pino.destination({ dest: to, sync: true, minLength: 0, maxLength: MAX_BEHIND });
  // `write`'s lines, gathered here and handed to the destination ~4 KB at a time: sonic-boom's
  // write() costs ~0.8 µs a call whatever its length (a plain string append ~0.05 µs)
  let gathered = '';
  const flush = () => {
    try {
      const out = gathered;
      gathered = '';
      if (out) dest.write(out);
    } catch {
      // nothing pending, or stdout is gone: nothing to do
    }
  };
  const timer = setInterval(flush, 1000);
  timer.unref();
  pendingAccessLogs.add(flush);
  const logger = pino({ level, base: { service: 'vlrerank' } }, dest);
  const write = (a: AccessLine) => {
    // a passthrough line (a method, nothing optional) in one template: no pieces made to be joined
    const remote = a.remote === undefined ? '' : `,"remote":${quoted(a.remote)}`;
    const plain = a.opaque_id === undefined && a.trace_id === undefined && a.rerank === undefined && a.error === undefined && a.forwarded_for === undefined && a.forwarded === undefined && a.aborted === undefined && a.code === undefined;
    if (plain && a.method !== undefined) {
      gathered += `{"level":30,"time":${Date.now()},"service":"vlrerank","access":{"method":${quoted(a.method)},"path":${JSON.stringify(a.path)},"status":${a.status},"bytes":${a.bytes},"ms":${msText(a.ms)},"route":"${a.route}"${remote}},"msg":"access"}\n`;
    } else {
      const method = a.method === undefined ? '' : `"method":${JSON.stringify(a.method)},`;
      const extra = plain
        ? ''
        : (a.forwarded_for === undefined ? '' : `,"forwarded_for":${JSON.stringify(a.forwarded_for)}`) +
          (a.forwarded === undefined ? '' : `,"forwarded":${JSON.stringify(a.forwarded)}`) +
          (a.opaque_id === undefined ? '' : `,"opaque_id":${JSON.stringify(a.opaque_id)}`) +
          (a.trace_id === undefined ? '' : `,"trace_id":"${a.trace_id}"`) +
          (a.rerank === undefined ? '' : `,"rerank":${JSON.stringify(a.rerank)}`) +
          (a.error === undefined ? '' : `,"error":${JSON.stringify(a.error)}`) +
          (a.code === undefined ? '' : `,"code":${JSON.stringify(a.code)}`) +
          (a.shed_reason === undefined ? '' : `,"shed_reason":${JSON.stringify(a.shed_reason)}`) +
          (a.aborted === undefined ? '' : ',"aborted":true');
      gathered += `{"level":30,"time":${Date.now()},"service":"vlrerank","access":{${method}"path":${JSON.stringify(a.path)},"status":${a.status},"bytes":${a.bytes},"ms":${a.ms},"route":"${a.route}"${remote}${extra}},"msg":"access"}\n`;
    }
    if (gathered.length >= GATHER) {
      const out = gathered;
      gathered = '';
      dest.write(out);
    }
  };
  return {
    logger,
    write: logger.isLevelEnabled('info') ? write : undefined,
    close() {
      clearInterval(timer);
      flush();
      pendingAccessLogs.delete(flush);
    },
  };
}

/**
 * A method or a peer address as JSON, kept by value: a server sees few of each, and
 * JSON.stringify per line was ~0.1 µs each (bounded: values come from clients).
 */
const quotedOf = new Map<string, string>();
function quoted(v: string): string {
  let q = quotedOf.get(v);
  if (q === undefined) {
    if (quotedOf.size >= 256) quotedOf.clear();
    quotedOf.set(v, (q = JSON.stringify(v)));
  }
  return q;
}

/**
 * A line's `ms` (hundredths, as the tracker rounds it) as `${ms}` prints it, from integers: the
 * shortest decimal of n / 100 is n with its point moved (no other with ≤ 2 decimals is the same
 * double), and printing an integer is ~3× cheaper than a double. Any other number as `${ms}`.
 */
export function msText(ms: number): string {
  const n = Math.round(ms * 100);
  if (n / 100 !== ms || n < 0 || n >= 1e15) return `${ms}`;
  const i = Math.trunc(n / 100);
  const r = n - i * 100;
  return r === 0 ? `${i}` : r % 10 === 0 ? `${i}.${r / 10}` : `${i}.${r < 10 ? '0' : ''}${r}`;
}

/** Access lines are written when this many characters have gathered (or a second has passed). */
const GATHER = 4096;

const pendingAccessLogs = new Set<() => void>();
process.once('exit', () => {
  for (const flush of pendingAccessLogs) flush();
});

/** A logger that writes nothing, for library use and tests that do not look at logs. */
export const silentLogger: Logger = pino({ level: 'silent' });
