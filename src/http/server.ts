/**
 * Start and stop the vlrerank server: build the context, let each area register its services and
 * routers, listen, and close everything in reverse order on shutdown.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Config } from '../config/schema.js';
import { createAccessLogger, createLogger, type Logger } from '../observability/logger.js';
import { createMetrics } from '../observability/metrics.js';
import type { ServerContext } from './context.js';
import { buildHandler, type AppParts } from './app.js';
import { mountProxy, registerUpstream } from '../proxy/index.js';
import { healthRouter } from '../api/health.js';
import { registerRerank } from '../api/register-rerank.js';
import { uiRouter } from '../ui/serve.js';
import { mountSearch } from '../search/index.js';

export interface RunningServer {
  ctx: ServerContext;
  server: Server;
  url: string;
  close(): Promise<void>;
}

export async function startServer(config: Config, options: { logger?: Logger } = {}): Promise<RunningServer> {
  const logger = options.logger ?? createLogger(config.log.level);
  const ctx: ServerContext = { config, logger, metrics: createMetrics(), services: {}, onClose: [] };
  if (!options.logger && config.log.access && config.log.level !== 'silent') {
    const access = createAccessLogger(config.log.level);
    ctx.accessLogger = access.logger;
    ctx.onClose.push(() => access.close());
  }
  const parts: AppParts = { admin: [], intercept: [], proxy: () => undefined };

  // --- areas register here, in dependency order ---
  registerUpstream(ctx); // ctx.services.upstream: every area that talks to the cluster uses it
  parts.proxy = mountProxy(ctx);
  await registerRerank(ctx, parts); // ctx.services.models + reranker; /_vlrerank/rerank, /_vlrerank/models, /v1|v2/rerank, /rerank
  const search = mountSearch(ctx); // pipelines + _search/_msearch interception (reranking), ingest
  parts.intercept.push(...search.routers);
  parts.search = search.handlers;
  parts.ingest = search.ingest;
  parts.admin.push(healthRouter(ctx));
  if (config.server.ui) parts.admin.push(uiRouter(ctx));
  // --- end of areas ---

  const server = createServer({ keepAliveTimeout: 65_000, requestTimeout: 0 }, buildHandler(ctx, parts));
  server.headersTimeout = 66_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(config.server.port, config.server.host, () => resolve());
  });
  const addr = server.address() as AddressInfo;
  const host = addr.family === 'IPv6' ? `[${addr.address}]` : addr.address;
  const url = `http://${host}:${addr.port}`;
  logger.info({ url, upstream: config.upstream.urls.map((u) => u.replace(/\/\/[^@/]+@/, '//[redacted]@')) }, 'vlrerank listening');
  let closing: Promise<void> | undefined;
  return {
    ctx,
    server,
    url,
    close() {
      closing ??= (async () => {
        await new Promise<void>((resolve) => {
          server.close(() => resolve());
          server.closeAllConnections();
        });
        for (const fn of [...ctx.onClose].reverse()) await fn();
      })();
      return closing;
    },
  };
}
