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
import { FeatureExtractor } from '../features/extractor.js';
import type { LowerTiers } from '../features/store/tiered.js';
import { clipPort, localPorts, VISUAL_PASSAGE_DETECT_THRESHOLD } from './backends/local.js';
import { createRemoteScorer } from './backends/remote.js';
import { Reranker } from './reranker.js';

export interface RerankService {
  reranker: Reranker;
  models: Models;
  /** The feature store's tiers and counters once the extractor exists (health's `feature_store`). */
  featureStore(): Record<string, unknown> | undefined;
  close(): Promise<void>;
}

export async function createRerankService(
  config: Config,
  deps: { logger: Logger; metrics: Metrics; models?: Models; source?: MediaSource; features?: () => FeatureExtractor | undefined; tiers?: LowerTiers },
): Promise<RerankService> {
  const models = deps.models ?? (await Models.create(config.models, { logger: deps.logger, metrics: deps.metrics }));
  const source = deps.source ?? new MediaSource(config.media);
  // the feature extractor is built on first use (it creates the image encoders), so start-up stays instant
  // A server area that registers a shared extractor (ctx.services.features) after this one still
  // wins: it is looked up at first use, not at registration.
  let featuresP: Promise<FeatureExtractor> | undefined;
  let built: FeatureExtractor | undefined;
  let ownFeatures = false;
  const features = () =>
    (featuresP ??= deps.features?.()
      ? Promise.resolve(deps.features()!)
      : ((ownFeatures = true),
        FeatureExtractor.create(models, {
          media: config.media,
          cacheMaxBytes: config.cache.maxBytes,
          source,
          logger: deps.logger,
          detectScoreThreshold: VISUAL_PASSAGE_DETECT_THRESHOLD,
          onCacheEvent: (event) => deps.metrics.cacheEvents.inc({ event }),
          tiers: deps.tiers,
          tierHooks: {
            onLookup: (tier, outcome) => deps.metrics.featureLookups.inc({ tier, outcome }),
            onError: (tier) => deps.metrics.featureStoreErrors.inc({ tier }),
          },
        }).then((f) => (built = f))));
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
    ports: async () => {
      const f = await features();
      const clip = config.rerank.clipModel ? await clipPort(models, f, config.rerank.clipModel, { maxBytes: config.media.maxBytes }) : undefined;
      return { ...(await localPorts({ models, metrics: deps.metrics, features: f, logger: deps.logger })), remote, clip };
    },
    observe: {
      // cache events come from the feature cache itself (onCacheEvent above), counted once
      stage: (stage, s) => deps.metrics.stageSeconds.observe({ stage }, s),
    },
  });
  return {
    reranker,
    models,
    featureStore: () => built?.store.health(),
    async close() {
      await remote?.close();
      if (featuresP && ownFeatures) await (await featuresP.catch(() => undefined))?.close();
      if (!deps.source) await source.close();
      if (!deps.models) await models.close();
    },
  };
}
