/**
 * Small facts about an incoming request that several routes need: the URL as the client sent it,
 * its query string, whether it carries a body, and an AbortSignal that fires when the client goes
 * away before its answer is complete.
 */
import { setMaxListeners } from 'node:events';
import type { IncomingMessage, ServerResponse } from 'node:http';

/** The URL as the client sent it: express rewrites req.url under mount points, originalUrl keeps it. */
export function originalUrl(req: IncomingMessage): string {
  return (req as IncomingMessage & { originalUrl?: string }).originalUrl ?? req.url ?? '/';
}

export function queryParams(req: IncomingMessage): URLSearchParams {
  const url = originalUrl(req);
  const q = url.indexOf('?');
  return new URLSearchParams(q >= 0 ? url.slice(q + 1) : '');
}

/**
 * The query string as the engines read it: one value per name, a repeated name's **last** (their
 * REST layer puts each pair into a map, so `size=1&size=3` is 3 hits, `_source=false&_source=title`
 * shows `title`). A reranked search read the first (`URLSearchParams.get`) for its page, `_source`
 * view, `q` and pipeline, and sent the first stage the rest: 1 hit where the engine gives 3, the
 * reranker scoring `q`'s first value while the engine matched its last (held-out probe round 31c).
 */
export function engineParams(req: IncomingMessage): URLSearchParams {
  const url = originalUrl(req);
  const q = url.indexOf('?');
  // no query string (nearly every search): no names listed and no Set made to find a repeated one (issue 13)
  if (q < 0) return new URLSearchParams();
  const all = new URLSearchParams(url.slice(q + 1));
  if (all.size < 2) return all;
  const names = [...all.keys()];
  if (new Set(names).size === names.length) return all;
  const last = new Map<string, string>();
  for (const [k, v] of all) last.set(k, v);
  return new URLSearchParams([...last]);
}

/**
 * `?pretty` as the engines read it (present, and not `false`): an answer vlrerank builds — a
 * reranked search, or one of its own errors — is indented as the engine's own would be.
 */
export function prettyAsked(params: URLSearchParams): boolean {
  const v = params.get('pretty');
  return v !== null && v !== 'false';
}

/** Does the client request carry a body? (RFC 9112 §6.3: Transfer-Encoding or a Content-Length.) */
export function hasBody(req: IncomingMessage): boolean {
  const len = req.headers['content-length'];
  return req.headers['transfer-encoding'] !== undefined || (len !== undefined && len !== '0');
}

/**
 * Aborted once the client closes its connection before the answer is complete. One per request: all
 * of its work waits on it (an `_msearch`'s items each take a turn with it), hence no listener cap.
 */
export function clientSignal(res: ServerResponse): AbortSignal {
  const ac = new AbortController();
  setMaxListeners(0, ac.signal);
  res.on('close', () => {
    if (!res.writableFinished) ac.abort(new Error('client closed the connection'));
  });
  return ac.signal;
}

/**
 * Who is asking, for the per-client share of the rerank queue: the `x-vlrerank-client` header
 * (a gateway in front names its tenants), else the remote address.
 */
export function clientId(req: IncomingMessage): string {
  const h = req.headers['x-vlrerank-client'];
  const named = Array.isArray(h) ? h[0] : h;
  return named ? `h:${named.slice(0, 128)}` : `a:${req.socket.remoteAddress ?? ''}`;
}
