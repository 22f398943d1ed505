/**
 * vlrerank's own health and metrics: `GET /_vlrerank/health` reports this process (version,
 * uptime, memory) and whether each upstream node answers, plus any section another area adds
 * with `addHealthSection` (models: device and provider; reranker: warm-up state — idle, warming,
 * ready, or failed with its reason; caches…). `GET /_vlrerank/metrics` is the
 * Prometheus text of the server's registry.
 *
 * Status: green when every upstream node answers, yellow when some do, red (HTTP 503) when none.
 */
import { createRequire } from 'node:module';
import { Router } from 'express';
import type { ServerContext } from '../http/context.js';
import { upstreamOf } from '../proxy/index.js';

type Section = () => unknown | Promise<unknown>;
const SECTIONS = 'health.sections';

const VERSION = (createRequire(import.meta.url)('../../package.json') as { version: string }).version;

/** Let an area add `{name: value}` to the health answer (evaluated per request, errors reported, not thrown). */
export function addHealthSection(ctx: ServerContext, name: string, fn: Section): void {
  let m = ctx.services[SECTIONS] as Map<string, Section> | undefined;
  if (!m) ctx.services[SECTIONS] = m = new Map();
  m.set(name, fn);
}

export function healthRouter(ctx: ServerContext): Router {
  const r = Router();
  const pool = upstreamOf(ctx);
  const started = Date.now();
  r.get('/health', async (_req, res, next) => {
    try {
      const nodes = await pool.probe(Math.min(2_000, ctx.config.upstream.headersTimeoutMs));
      const up = nodes.filter((n) => n.reachable).length;
      const status = up === nodes.length ? 'green' : up > 0 ? 'yellow' : 'red';
      const engine = up > 0 ? await pool.engine().catch(() => undefined) : undefined;
      const body: Record<string, unknown> = {
        status,
        name: 'vlrerank',
        version: VERSION,
        uptime_s: Math.round((Date.now() - started) / 1000),
        memory: { rss_bytes: process.memoryUsage.rss() },
        upstream: { nodes, ...(engine ? { engine } : {}) },
      };
      const sections = ctx.services[SECTIONS] as Map<string, Section> | undefined;
      for (const [name, fn] of sections ?? []) {
        try {
          body[name] = await fn();
        } catch (e) {
          body[name] = { error: (e as Error).message };
        }
      }
      res.status(status === 'red' ? 503 : 200).json(body);
    } catch (e) {
      next(e);
    }
  });
  r.get('/metrics', async (_req, res, next) => {
    try {
      res.type(ctx.metrics.registry.contentType).send(await ctx.metrics.registry.metrics());
    } catch (e) {
      next(e);
    }
  });
  return r;
}
