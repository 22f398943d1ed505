/**
 * The only place errors become HTTP responses: an ES-shaped body
 * `{"error":{"type","reason"},"status"}` with the error's status. Unknown errors are logged with
 * their stack and answered as a generic 500 — never a stack trace on the wire.
 */
import type { ServerResponse } from 'node:http';
import type { ErrorRequestHandler } from 'express';
import { esErrorBody, toVlrerankError, vlrError } from '../errors.js';
import type { ServerContext } from './context.js';

/** Works on a plain node response too (the fast paths in app.ts answer without express). */
export function sendError(res: ServerResponse, err: unknown, ctx: ServerContext): void {
  const e = toVlrerankError(err);
  if (e.code === 'VLR_INTERNAL') ctx.logger.error({ err: e.cause ?? e }, 'internal error');
  ctx.metrics.failures.inc({ code: e.code });
  if (res.headersSent) {
    res.destroy();
    return;
  }
  const es = esErrorBody(e);
  const body = Buffer.from(JSON.stringify(es));
  res.writeHead(es.status, { 'content-type': 'application/json; charset=utf-8', 'content-length': body.length });
  res.end(body);
}

/** Express error middleware: body-parser failures become parse errors naming the problem. */
export function errorHandler(ctx: ServerContext): ErrorRequestHandler {
  return (err, _req, res, _next) => {
    const t = (err as { type?: string }).type;
    if (t === 'entity.parse.failed') return sendError(res, vlrError('VLR_PARSE', `request body is not valid JSON: ${(err as Error).message}`), ctx);
    if (t === 'entity.too.large') return sendError(res, vlrError('VLR_BAD_REQUEST', `request body too large: ${(err as Error).message}`, { status: 413 }), ctx);
    sendError(res, err, ctx);
  };
}
