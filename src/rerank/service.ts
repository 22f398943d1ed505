/**
 * The reranker as a long-lived service of the server: one Reranker over the shared Models facade
 * (sessions, batching queues) and the shared MediaSource, built from the frozen config. Lazy: the
 * server starts instantly and models load on first use or on `_load`. Knows nothing about HTTP.
 */
import type { Config } from '../config/schema.js';
import type { Logger } from '../observability/logger.js';
import type { Metrics } from '../observability/metrics.js';
import { Models } from '../models/index.js';
import { MediaSource } from '../features/media/source.js';
import { portsFromShared } from './adapters.js';
import { Reranker } from './reranker.js';
import { createRemoteScorer } from './backends/remote.js';

export interface RerankService {
  reranker: Reranker;
  models: Models;
  close(): Promise<void>;
}

export async function createRerankService(config: Config, deps: { logger: Logger; metrics: Metrics; models?: Models; source?: MediaSource }): Promise<RerankService> {
  const models = deps.models ?? (await Models.create(config.models, { logger: deps.logger, metrics: deps.metrics }));
  const source = deps.source ?? new MediaSource(config.media);
  const remote = config.rerank.remote.urls.length
    ? await createRemoteScorer({ urls: config.rerank.remote.urls, model: config.rerank.remote.model, apiKey: config.rerank.remote.apiKey, timeoutMs: config.rerank.remote.timeoutMs })
    : undefined;
  const manifestCalibration = Object.assign({}, ...models.registry.list().map((m) => m.calibration ?? {}));
  const reranker = new Reranker({
    maxDocuments: config.rerank.maxDocuments,
    cacheDir: config.rerank.cacheDir,
    weights: config.rerank.weights,
    ocr: config.rerank.ocr,
    fps: config.media.fps,
    maxFrames: config.media.maxFrames,
    maxConcurrentRequests: config.rerank.maxConcurrentRequests,
    calibration: manifestCalibration,
    ports: async () => ({
      ...(await portsFromShared({
        models,
        metrics: deps.metrics,
        source,
        media: { maxBytes: config.media.maxBytes, maxPixels: config.media.maxPixels, maxVideoBytes: config.media.maxVideoBytes },
        video: { ffmpegPath: config.media.ffmpegPath, ffprobePath: config.media.ffprobePath, maxSeconds: config.media.maxVideoSeconds, maxBytes: config.media.maxVideoBytes, timeoutMs: config.media.videoTimeoutMs },
        cacheMaxBytes: config.cache.maxBytes,
        logger: deps.logger,
      })),
      remote,
    }),
    observe: {
      stage: (stage, s) => deps.metrics.stageSeconds.observe({ stage }, s),
      cache: (event, n) => n > 0 && deps.metrics.cacheEvents.inc({ event }, n),
    },
  });
  return {
    reranker,
    models,
    async close() {
      await remote?.close();
      if (!deps.source) await source.close();
      if (!deps.models) await models.close();
    },
  };
}
