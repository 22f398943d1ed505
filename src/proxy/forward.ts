/**
 * The transparent streaming proxy: every method, path and query string goes to the upstream pool;
 * status, headers (minus hop-by-hop) and body come back unchanged. Bodies stream both ways and are
 * never buffered or parsed here, so gzip and a 200 MB _bulk pass untouched with flat memory.
 *
 * Failures before the upstream answered become ES-shaped 502/504 (via the error handler); a
 * failure after the response started can only cut the connection, as any proxy must.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { ServerContext } from '../http/context.js';
import { sendError } from '../http/errors.js';
import { forwardRequestHeaders } from './hop-by-hop.js';
import type { UpstreamPool } from './pool.js';

/** Does the client request carry a body? (RFC 9112 §6.3: Transfer-Encoding or a Content-Length.) */
function hasBody(req: IncomingMessage): boolean {
  if (req.headers['transfer-encoding'] !== undefined) return true;
  const len = req.headers['content-length'];
  return len !== undefined && len !== '0';
}

/** The URL as the client sent it: express rewrites req.url under mount points, originalUrl keeps it. */
export function originalUrl(req: IncomingMessage): string {
  return (req as IncomingMessage & { originalUrl?: string }).originalUrl ?? req.url ?? '/';
}

/** The proxy as a plain node handler (http/app.ts calls it before any router, and last after them). */
export type ProxyHandler = (req: IncomingMessage, res: ServerResponse) => void;

export function proxyHandler(ctx: ServerContext, pool: UpstreamPool): ProxyHandler {
  return (req, res) => {
    forward(pool, req, res).catch((err) => {
      // the client went away: nobody to answer (req.destroyed alone is no sign: Node destroys a
      // request once its body is read)
      if (res.destroyed) return;
      sendError(res, err, ctx);
    });
  };
}

function forward(pool: UpstreamPool, req: IncomingMessage, res: ServerResponse): Promise<void> {
  return pool.forward({ method: req.method!, path: originalUrl(req), headers: forwardRequestHeaders(req.rawHeaders), body: hasBody(req) ? req : null }, res);
}
