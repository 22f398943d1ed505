/**
 * A wrong method on a path vlrerank serves: 405 with `Allow`, as Elasticsearch answers a wrong
 * method on a path it knows ("Incorrect HTTP method for uri [/_search] and method [PUT], allowed:
 * [GET, POST]"), instead of the 404 "no vlrerank endpoint" a client would read as a missing
 * endpoint (held-out probe round 6). Mounted with `router.all(path, …)` after the path's own method
 * routes; OPTIONS is left to the router's own answer (200 with `Allow`, as before) and an unknown
 * path stays a 404. The error goes to whatever error handler the router's mount point uses, so it
 * is ES-shaped under /_vlrerank and in the rerank API's shape on the rerank-compatible paths.
 */
import type { NextFunction, Request, Response } from 'express';
import { vlrError, type VlrerankError } from '../errors.js';

/** The 405 for this request; `details.allowed` becomes the `Allow` header (errors.ts). */
export function methodNotAllowed(method: string, uri: string, allowed: readonly string[]): VlrerankError {
  return vlrError('VLR_METHOD_NOT_ALLOWED', `Incorrect HTTP method for uri [${uri}] and method [${method}], allowed: [${allowed.join(', ')}]`, { details: { allowed: [...allowed] } });
}

/** Any method but OPTIONS that reaches it is refused with the 405 naming `allowed` (GET implies HEAD, as express serves it). */
export function onlyMethods(...methods: Array<'GET' | 'POST'>) {
  const allowed = methods.flatMap((m) => (m === 'GET' ? ['GET', 'HEAD'] : [m]));
  return (req: Request, _res: Response, next: NextFunction): void => {
    if (req.method === 'OPTIONS') return next();
    next(methodNotAllowed(req.method, req.originalUrl, allowed));
  };
}

/** The `Allow` header (RFC 9110 §10.2.1) of a 405 built by methodNotAllowed. */
export function allowHeader(e: VlrerankError): Record<string, string> {
  const a = e.details.allowed;
  return e.code === 'VLR_METHOD_NOT_ALLOWED' && Array.isArray(a) ? { allow: a.join(', ') } : {};
}
