/**
 * Forward a request whose body we had to buffer (to look inside it) with its exact original bytes,
 * and stream the upstream answer back untouched apart from hop-by-hop headers — the proxy's own
 * header rules (proxy/hop-by-hop.ts), so a search that is not a rerank request behaves exactly as
 * on the plain proxy path.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { forwardRequestHeaders } from '../proxy/hop-by-hop.js';
import { originalUrl } from '../proxy/forward.js';
import type { UpstreamPool } from '../proxy/pool.js';

/** `rewritten`: the body is not the client's (its length and encoding headers no longer apply). */
export function forwardBuffered(pool: UpstreamPool, req: IncomingMessage, res: ServerResponse, body: Buffer, rewritten = false): Promise<void> {
  const headers = forwardRequestHeaders(req.rawHeaders);
  return pool.forward({ method: req.method!, path: originalUrl(req), headers: rewritten ? withoutLengthAndEncoding(headers) : headers, body: body.length ? body : null }, res);
}

function withoutLengthAndEncoding(raw: string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < raw.length; i += 2) {
    const k = raw[i]!.toLowerCase();
    if (k !== 'content-length' && k !== 'content-encoding') out.push(raw[i]!, raw[i + 1]!);
  }
  return out;
}
