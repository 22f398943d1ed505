/**
 * Start and stop a vlrerank server: build the services (services.ts), hand each room its share —
 * the search and ingest handlers their pool, engine, pipelines, scorer and embedder; the admin
 * endpoints their engine, models and reranker; the UI its media roots — build the HTTP handler,
 * listen, and on shutdown stop accepting, stop the warm-up, then close every service in reverse
 * order of building.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mediaFiles } from '../api/media.js';
import type { Config } from '../config/schema.js';
import { resolveUnderRoots } from '../features/media/local.js';
import { VideoDecoder, videoLimits } from '../features/media/video.js';
import type { HttpDeps } from '../http/app.js';
import { buildHandler } from '../http/handler.js';
import type { SearchHandlerDeps } from '../search/handle.js';
import { buildServices, type ServiceOptions, type Services } from './services.js';
import { startWarmup } from './warmup.js';

export interface RunningServer {
  services: Services;
  server: Server;
  url: string;
  close(): Promise<void>;
}

/** Each room's share of the services. */
export function httpDeps(s: Services): HttpDeps {
  const { config, logger, metrics } = s;
  const errors = { logger, metrics };
  const search: SearchHandlerDeps = {
    pipelines: s.pipelines,
    pool: s.pool,
    engine: s.engine,
    scorer: s.scorer,
    embedder: s.embedder,
    onDegraded: (_reason, code) => metrics.failures.inc({ code: `degraded:${code}` }),
    onDocumentErrors: (count, first) => {
      metrics.failures.inc({ code: `document:${first.code}` }, count);
      logger.warn({ count, code: first.code, reason: first.reason }, 'hits whose media could not be read were reranked on their text alone');
    },
  };
  const startedAt = Date.now();
  return {
    errors,
    access: { metrics, access: config.log.access, logger: s.accessLogger },
    pool: s.pool,
    search,
    ingest: { pipelines: s.pipelines, pool: s.pool, embedder: s.embedder },
    reranker: s.reranker,
    admin: {
      health: { engine: s.engine, warmup: () => s.reranker.warm.status(), startedAt, probeTimeoutMs: Math.min(2_000, config.upstream.headersTimeoutMs), featureStore: () => s.featureStoreHealth() },
      models: { models: s.models, reranker: s.reranker, device: config.models.device },
      metrics,
      adminToken: config.server.adminToken,
    },
    ui: config.server.ui ? { mediaRoots: config.media.roots, mediaFile: uiMediaFiles(config) } : undefined,
    maxJsonBodyBytes: config.server.maxJsonBodyBytes,
  };
}

/** The UI's thumbnails: the media source's roots check and the video decoder's frame strips (90 px high, as the page shows them). */
function uiMediaFiles(config: Config) {
  const decoder = new VideoDecoder(videoLimits(config.media));
  return mediaFiles({ media: config.media, resolveUnderRoots, strip: (file, frames) => decoder.strip({ path: file }, { frames, height: 90 }) });
}

export async function startServer(config: Config, options: ServiceOptions = {}): Promise<RunningServer> {
  const services = await buildServices(config, options);
  const stopWarmup = startWarmup(services.reranker, services.pipelines.pipelines, config, services.logger);
  const server = createServer({ keepAliveTimeout: 65_000, requestTimeout: 0 }, buildHandler(httpDeps(services)));
  server.headersTimeout = 66_000;
  let closing: Promise<void> | undefined;
  const close = () =>
    (closing ??= (async () => {
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      await stopWarmup?.();
      await services.close();
    })());
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(config.server.port, config.server.host, () => resolve());
    });
  } catch (e) {
    await close();
    throw e;
  }
  const addr = server.address() as AddressInfo;
  const host = addr.family === 'IPv6' ? `[${addr.address}]` : addr.address;
  const url = `http://${host}:${addr.port}`;
  services.logger.info({ url, upstream: config.upstream.urls.map((u) => u.replace(/\/\/[^@/]+@/, '//[redacted]@')) }, 'vlrerank listening');
  return { services, server, url, close };
}
