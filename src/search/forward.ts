/**
 * Forward a request whose body we had to buffer (to look inside it) with its exact original bytes,
 * and stream the upstream answer back untouched apart from hop-by-hop headers — the proxy's own
 * header rules (proxy/hop-by-hop.ts), so a search that is not a rerank request behaves exactly as
 * on the plain proxy path.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { forwardRequestHeaders, withoutHeaders } from '../proxy/hop-by-hop.js';
import { originalUrl } from '../proxy/forward.js';
import type { UpstreamPool } from '../proxy/pool.js';

/** Headers that describe the client's body bytes, which a rewritten body no longer has. */
const BODY_BYTES = new Set(['content-length', 'content-encoding']);

/** `rewritten`: the body is not the client's (its length and encoding headers no longer apply). */
export function forwardBuffered(pool: UpstreamPool, req: IncomingMessage, res: ServerResponse, body: Buffer, rewritten = false): Promise<void> {
  const headers = forwardRequestHeaders(req.rawHeaders);
  return pool.forward({ method: req.method!, path: originalUrl(req), headers: rewritten ? withoutHeaders(headers, BODY_BYTES) : headers, body: body.length ? body : null }, res);
}
