/**
 * Forward a request whose body we had to buffer (to look inside it) with its exact original bytes,
 * and stream the upstream answer back untouched apart from hop-by-hop headers — the proxy's own
 * header rules (proxy/hop-by-hop.ts), so a search that is not a rerank request behaves exactly as
 * on the plain proxy path.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { forwardRequestHeaders, forwardResponseHeaders } from '../proxy/hop-by-hop.js';
import { originalUrl } from '../proxy/forward.js';
import type { UpstreamPool } from '../proxy/pool.js';

/** `rewritten`: the body is not the client's (its length and encoding headers no longer apply). */
export async function forwardBuffered(pool: UpstreamPool, req: IncomingMessage, res: ServerResponse, body: Buffer, rewritten = false): Promise<void> {
  const ac = new AbortController();
  const onClose = () => {
    if (!res.writableFinished) ac.abort();
  };
  // stays until the response closes: a client gone mid-stream aborts the upstream response too
  res.once('close', onClose);
  let up: Awaited<ReturnType<UpstreamPool['request']>>;
  try {
    up = await pool.request({
      method: req.method!,
      path: originalUrl(req),
      headers: rewritten ? withoutLengthAndEncoding(forwardRequestHeaders(req.rawHeaders)) : forwardRequestHeaders(req.rawHeaders),
      body: body.length ? body : null,
      signal: ac.signal,
      rawHeaders: true,
    });
  } catch (e) {
    res.off('close', onClose);
    throw e;
  }
  res.sendDate = false;
  res.writeHead(up.statusCode, forwardResponseHeaders(up.rawHeaders!));
  // pipe(), as on the plain proxy path (proxy/forward.ts): stream/promises' pipeline allocates
  // and aborts an AbortController per call. An upstream body error cuts the client connection.
  up.body.on('error', (err) => {
    if (!res.destroyed) res.destroy(err);
  });
  up.body.pipe(res);
}

function withoutLengthAndEncoding(raw: string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < raw.length; i += 2) {
    const k = raw[i]!.toLowerCase();
    if (k !== 'content-length' && k !== 'content-encoding') out.push(raw[i]!, raw[i + 1]!);
  }
  return out;
}
