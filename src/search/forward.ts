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

export async function forwardBuffered(pool: UpstreamPool, req: Request, res: Response, body: Buffer): Promise<void> {
  const ac = new AbortController();
  const onClose = () => {
    if (!res.writableFinished) ac.abort();
  };
  res.once('close', onClose);
  try {
    const up = await pool.request({
      method: req.method,
      path: req.originalUrl,
      headers: forwardRequestHeaders(req.rawHeaders),
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
