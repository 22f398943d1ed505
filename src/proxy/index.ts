/** Placeholder until the proxy lands: every request answers 501. Replaced by the proxy work (issue 3). */
import type { RequestHandler } from 'express';
import type { ServerContext } from '../http/context.js';
import { vlrError } from '../errors.js';

export function mountProxy(_ctx: ServerContext): RequestHandler {
  return (_req, _res, next) => next(vlrError('VLR_UPSTREAM_UNREACHABLE', 'proxy not implemented yet', { status: 501 }));
}
