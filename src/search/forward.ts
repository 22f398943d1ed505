/**
 * Forward a request whose body we had to buffer (to look inside it) with its exact original bytes,
 * and stream the upstream answer back untouched apart from hop-by-hop headers — the proxy's own
 * header rules (proxy/hop-by-hop.ts), so a search that is not a rerank request behaves exactly as
 * on the plain proxy path.
 */
import { pipeline } from 'node:stream/promises';
import type { Request, Response } from 'express';
import { forwardRequestHeaders, forwardResponseHeaders } from '../proxy/hop-by-hop.js';
import type { UpstreamPool } from '../proxy/pool.js';

/** `rewritten`: the body is not the client's (its length and encoding headers no longer apply). */
export async function forwardBuffered(pool: UpstreamPool, req: Request, res: Response, body: Buffer, rewritten = false): Promise<void> {
  const ac = new AbortController();
  const onClose = () => {
    if (!res.writableFinished) ac.abort();
  };
  res.once('close', onClose);
  try {
    const up = await pool.request({
      method: req.method,
      path: req.originalUrl,
      headers: rewritten ? withoutLengthAndEncoding(forwardRequestHeaders(req.rawHeaders)) : forwardRequestHeaders(req.rawHeaders),
      body: body.length ? body : null,
      signal: ac.signal,
      rawHeaders: true,
    });
    res.sendDate = false;
    res.writeHead(up.statusCode, forwardResponseHeaders(up.rawHeaders!));
    await pipeline(up.body, res);
  } finally {
    res.off('close', onClose);
  }
}

function withoutLengthAndEncoding(raw: string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < raw.length; i += 2) {
    const k = raw[i]!.toLowerCase();
    if (k !== 'content-length' && k !== 'content-encoding') out.push(raw[i]!, raw[i + 1]!);
  }
  return out;
}
