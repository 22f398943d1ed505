/**
 * One access-log line per request (method, path, status, bytes, time) and the request metrics.
 * The route class groups paths for metrics without exploding label cardinality.
 */
import type { RequestHandler } from 'express';
import type { ServerContext } from './context.js';

export function routeClass(path: string): string {
  if (path.startsWith('/_vlrerank/ui')) return 'ui';
  if (path.startsWith('/_vlrerank/rerank') || /^\/(v1\/|v2\/)?rerank\/?$/.test(path)) return 'rerank';
  if (path.startsWith('/_vlrerank/')) return 'admin';
  if (/\/_(m)?search(\/|$)/.test(path)) return 'search';
  if (/\/_bulk(\/|$)/.test(path)) return 'bulk';
  return 'proxy';
}

export function accessLog(ctx: ServerContext): RequestHandler {
  return (req, res, next) => {
    const start = process.hrtime.bigint();
    const route = routeClass(req.path);
    ctx.metrics.inFlight.inc({ route });
    let bytes = 0;
    const write = res.write.bind(res) as (...a: unknown[]) => boolean;
    const end = res.end.bind(res) as (...a: unknown[]) => typeof res;
    const count = (chunk: unknown, enc?: unknown) => {
      if (chunk == null || typeof chunk === 'function') return;
      bytes += Buffer.isBuffer(chunk) ? chunk.length : Buffer.byteLength(String(chunk), typeof enc === 'string' ? (enc as BufferEncoding) : 'utf8');
    };
    res.write = ((chunk: unknown, ...rest: unknown[]) => {
      count(chunk, rest[0]);
      return write(chunk, ...rest);
    }) as typeof res.write;
    res.end = ((chunk?: unknown, ...rest: unknown[]) => {
      count(chunk, rest[0]);
      return end(chunk, ...rest);
    }) as typeof res.end;
    let done = false;
    const finish = () => {
      if (done) return;
      done = true;
      ctx.metrics.inFlight.dec({ route });
      ctx.metrics.requests.inc({ route, status: String(res.statusCode) });
      if (ctx.config.log.access) {
        const ms = Number(process.hrtime.bigint() - start) / 1e6;
        ctx.logger.info({ access: { method: req.method, path: req.originalUrl, status: res.statusCode, bytes, ms: Math.round(ms * 100) / 100, route } }, 'access');
      }
    };
    res.on('finish', finish);
    res.on('close', finish);
    next();
  };
}
