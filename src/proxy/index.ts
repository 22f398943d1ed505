/**
 * The proxy area: the upstream pool (registered as `ctx.services.upstream` for every area that
 * talks to the cluster) and the catch-all transparent proxy handler mounted last by http/app.ts.
 * Knows only bytes: no body parsing, no engine specifics.
 */
import type { ServerContext } from '../http/context.js';
import { UpstreamPool } from './pool.js';
import { proxyHandler, type ProxyHandler } from './forward.js';

export { UpstreamPool } from './pool.js';
export type { ProxyHandler } from './forward.js';

/** Create the upstream pool once per server, register it as `ctx.services.upstream`, close it on shutdown. */
export function registerUpstream(ctx: ServerContext): UpstreamPool {
  const existing = ctx.services.upstream;
  if (existing instanceof UpstreamPool) return existing;
  const pool = new UpstreamPool(ctx.config.upstream, { metrics: ctx.metrics });
  ctx.services.upstream = pool;
  ctx.onClose.push(() => pool.close());
  return pool;
}

/** The registered upstream pool (typed accessor for `ctx.services.upstream`). */
export function upstreamOf(ctx: ServerContext): UpstreamPool {
  return registerUpstream(ctx);
}

/** The catch-all handler: everything no other router took goes upstream unchanged. */
export function mountProxy(ctx: ServerContext): ProxyHandler {
  return proxyHandler(ctx, registerUpstream(ctx));
}
