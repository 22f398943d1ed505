/**
 * The transparent streaming proxy as a node handler: every method, path and query string goes to
 * the upstream pool; status, headers (minus hop-by-hop) and body come back unchanged. Bodies
 * stream both ways and are never buffered or parsed, so gzip and a 200 MB _bulk pass untouched
 * with flat memory. Also forwards a body that had to be read (a search, to look inside it) with
 * its exact original bytes, or a rewritten body without the original's length and encoding, or
 * one read ahead while the ingest decided (kept by body.ts).
 *
 * Failures before the upstream answered become ES-shaped 502/504; a failure after the response
 * started can only cut the connection, as any proxy must.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { requestedWaitMs } from '../engine/wait-timeout.js';
import { forwardRequestHeaders, withoutHeaders } from '../proxy/hop-by-hop.js';
import type { UpstreamPool } from '../proxy/pool.js';
import { bodyReadAhead } from './body.js';
import { esProduct, sendError, type ErrorDeps, type UpstreamProduct } from './errors.js';
import { hasBody, originalUrl } from './request.js';

/** A handler on the plain node objects. */
export type NodeHandler = (req: IncomingMessage, res: ServerResponse) => void;

/** Headers that describe the client's body bytes, which a rewritten body no longer has. */
const BODY_BYTES = new Set(['content-length', 'content-encoding']);

/** `upstreamProduct`: our 502/504 then carry the engine's product headers, as its own answers do. */
export function proxyHandler(pool: UpstreamPool, deps: ErrorDeps, upstreamProduct?: UpstreamProduct): NodeHandler {
  return (req, res) => {
    const ahead = bodyReadAhead(req);
    if (ahead) {
      forwardReadAhead(pool, req, res, ahead).catch((err) => {
        if (!res.destroyed) sendError(res, err, deps, esProduct(upstreamProduct));
      });
      return;
    }
    const path = originalUrl(req);
    pool.forward({ method: req.method!, path, headers: forwardRequestHeaders(req.rawHeaders), body: hasBody(req) ? req : null, waitsMs: requestedWaitMs(path) }, res).catch((err) => {
      // the client went away: nobody to answer (req.destroyed alone is no sign: Node destroys a
      // request once its body is read)
      if (res.destroyed) return;
      sendError(res, err, deps, esProduct(upstreamProduct));
    });
  };
}

/** `rewritten`: the body is not the client's (its length and encoding headers no longer apply). */
export function forwardBuffered(pool: UpstreamPool, req: IncomingMessage, res: ServerResponse, body: Buffer, rewritten = false): Promise<void> {
  const headers = forwardRequestHeaders(req.rawHeaders);
  const path = originalUrl(req);
  return pool.forward({ method: req.method!, path, headers: rewritten ? withoutHeaders(headers, BODY_BYTES) : headers, body: body.length ? body : null, waitsMs: requestedWaitMs(path) }, res);
}

/**
 * A body an earlier handler read ahead (body.ts `readBodyAhead`: a single-document write while an
 * alias lookup ran), forwarded as received. A body cut short goes nowhere (the engine stores nothing
 * of a cut body). The client gone by now (it sent the whole request and hung up): the request still
 * goes upstream and the answer is dropped — sent directly, the engine stores the document.
 */
async function forwardReadAhead(pool: UpstreamPool, req: IncomingMessage, res: ServerResponse, ahead: Promise<Buffer>): Promise<void> {
  let body: Buffer;
  try {
    body = await ahead;
  } catch (e) {
    if (res.destroyed) return; // cut short: the client is gone, nothing to forward or answer
    throw e;
  }
  if (!res.destroyed) return forwardBuffered(pool, req, res, body);
  const up = await pool.request({ method: req.method!, path: originalUrl(req), headers: forwardRequestHeaders(req.rawHeaders), body: body.length ? body : null, idempotent: false });
  await up.body.dump();
}
