/**
 * Calls from the UI to the proxy it is served by (same origin): searches through the ordinary
 * ES endpoints, and vlrerank's own /_vlrerank API. Errors come back ES-shaped
 * ({error:{type,reason},status}); ApiError keeps that reason so pages can show it verbatim.
 */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly body?: unknown,
  ) {
    super(message);
  }
}

/**
 * Where vlrerank is mounted, as this page was reached: '' at the root, `/search-api` when a reverse
 * proxy serves it at a sub-path (`https://host/search-api/_vlrerank/ui/`, the prefix stripped before
 * vlrerank). Every server path the UI asks for goes through `at()`; a bare `/_vlrerank/…` lost the
 * prefix (held-out probe round 14e: behind HAProxy at `/vlr/` the page stayed blank).
 */
export const MOUNT = (() => {
  const p = typeof location === 'undefined' ? '' : location.pathname;
  const i = p.indexOf('/_vlrerank/ui');
  return i > 0 ? p.slice(0, i) : '';
})();

/** A server path (`/_vlrerank/health`, `/idx/_search`) as this page must ask for it. */
export const at = (path: string): string => (path.startsWith('/') ? MOUNT + path : path);

const TOKEN_KEY = 'vlrerank.adminToken';

/** The admin token lives in this browser's localStorage only; it is never put in the page by the server. */
export function adminToken(): string | null {
  try {
    return localStorage.getItem(TOKEN_KEY);
  } catch {
    return null;
  }
}
export function setAdminToken(t: string | null): void {
  try {
    if (t) localStorage.setItem(TOKEN_KEY, t);
    else localStorage.removeItem(TOKEN_KEY);
  } catch {
    /* private mode: keep nothing */
  }
}

function reasonOf(status: number, body: unknown, text: string): string {
  const b = body as { error?: { type?: string; reason?: string; root_cause?: Array<{ reason?: string }> } | string; message?: string } | undefined;
  if (b && typeof b.error === 'object' && b.error) {
    const r = b.error.reason ?? b.error.root_cause?.[0]?.reason;
    return `${b.error.type ?? 'error'}: ${r ?? ''}`.trim();
  }
  if (b && typeof b.error === 'string') return b.error;
  if (b && typeof b.message === 'string') return b.message;
  // an error page (a gateway's or a web server's HTML): its words, not its markup
  const plain = /^\s*</.test(text) ? text.replace(/<(script|style)\b[\s\S]*?<\/\1>/gi, ' ').replace(/<[^>]*>/g, ' ').replace(/\s+/g, ' ').trim() : text;
  return plain.slice(0, 300) || `HTTP ${status}`;
}

export interface Timed<T> {
  body: T;
  ms: number;
  headers: Headers;
}

export async function call<T = unknown>(method: string, path: string, body?: unknown, opts: { admin?: boolean; signal?: AbortSignal } = {}): Promise<Timed<T>> {
  const headers: Record<string, string> = {};
  if (body !== undefined) headers['content-type'] = 'application/json';
  if (opts.admin) {
    const t = adminToken();
    if (t) headers.authorization = `Bearer ${t}`;
  }
  const t0 = performance.now();
  let res: Response;
  try {
    res = await fetch(at(path), { method, headers, body: body === undefined ? undefined : JSON.stringify(body), signal: opts.signal });
  } catch (e) {
    // an abort is the caller's own (a newer search superseded this one): not a network failure
    if (opts.signal?.aborted) throw e;
    throw new ApiError(0, `cannot reach the vlrerank server (${(e as Error).message})`);
  }
  const text = await res.text();
  const ms = performance.now() - t0;
  let parsed: unknown = undefined;
  try {
    parsed = text ? JSON.parse(text) : undefined;
  } catch {
    /* not JSON */
  }
  if (!res.ok) throw new ApiError(res.status, reasonOf(res.status, parsed, text), parsed ?? text);
  return { body: (parsed ?? text) as T, ms, headers: res.headers };
}

export async function text(path: string, signal?: AbortSignal): Promise<string> {
  const res = await fetch(at(path), { signal });
  const t = await res.text();
  if (!res.ok) throw new ApiError(res.status, `HTTP ${res.status}: ${t.slice(0, 200)}`);
  return t;
}

/** What a 404 / 501 on a vlrerank route means for the demo: that part has not been built or enabled. */
export function explain(e: unknown, what: string): string {
  if (e instanceof ApiError) {
    if (e.status === 404 || e.status === 501) return `${what} is not available on this server yet (${e.message}).`;
    if (e.status === 401 || e.status === 403) return `${what}: not allowed (${e.message}). Set the admin token in the model panel.`;
    return `${what} failed (HTTP ${e.status || 'network'}): ${e.message}`;
  }
  return `${what} failed: ${(e as Error)?.message ?? String(e)}`;
}
