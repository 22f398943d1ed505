/**
 * The reranker as a long-lived service of the server: one Reranker over the shared Models facade
 * (sessions, batching queues) and the shared MediaSource, built from the frozen config. Lazy: the
 * server starts instantly and models load on first use or on `_load`. Knows nothing about HTTP.
 */
import { chunkingFromConfig } from './chunking.js';
import { unknownSignalReason, unknownSignals } from './fusion.js';
import type { Config } from '../config/schema.js';
import { vlrError } from '../errors.js';
import type { Logger } from '../observability/logger.js';
import type { Metrics } from '../observability/metrics.js';
import { Models } from '../models/index.js';
import { checkModelConfig } from '../models/check.js';
import { MediaSource } from '../features/media/source.js';
import { FeatureExtractor } from '../features/extractor.js';
import { clipPort, localPorts, textPort, unavailableMedia, VISUAL_PASSAGE_DETECT_THRESHOLD } from './backends/local.js';
import type { LowerTiers } from '../features/store/tiered.js';
import { createRemoteScorer } from './backends/remote.js';
import { Reranker } from './reranker.js';
import { PreparedSides } from './prepared.js';
import { Admission, defaultAdmissionLimits } from './admission.js';
import { usableCores } from '../config/cgroup.js';
import { cacheBudget } from '../config/cache-budget.js';
import { cpus } from 'node:os';

export interface RerankService {
  reranker: Reranker;
  models: Models;
  /** The feature store's tiers and counters once the extractor exists (health's `feature_store`). */
  featureStore(): Record<string, unknown> | undefined;
  /** The remote workers' breaker states (health's `remote_workers`); undefined without `rerank.remote.urls`. */
  remoteWorkers?: () => Array<Record<string, unknown>>;
  /** `step` hears each part as it starts closing (the server's shutdown names a part that hangs). */
  close(step?: (part: string) => void): Promise<void>;
}

export async function createRerankService(
  config: Config,
  deps: { logger: Logger; metrics: Metrics; models?: Models; source?: MediaSource; features?: () => FeatureExtractor | undefined; tiers?: LowerTiers },
): Promise<RerankService> {
  const cpu = usableCores();
  if (cpu.quota !== undefined && cpu.cores < cpu.affinity) {
    deps.logger.info({ cpu_quota: cpu.quota, cores: cpu.cores, affinity: cpu.affinity }, `a CPU quota of ${cpu.quota} cores (cgroup) lowers the cores the admission defaults, the decodes at once and onnxruntime's threads are sized from to ${cpu.cores} (of ${cpu.affinity})`);
  }
  // the in-memory feature cache's budget: as set, else sized from the memory limit (config/cache-budget.ts)
  const cache = cacheBudget(config.cache.maxBytes);
  if (cache.from === 'memory limit') deps.logger.info({ cache_max_bytes: cache.maxBytes, memory_limit_bytes: cache.limit }, `the in-memory feature cache is sized from the cgroup's memory limit: ${Math.round(cache.maxBytes / 2 ** 20)} MiB (cache.maxBytes unset)`);
  if (cache.warning) deps.logger.warn({ memory_limit_bytes: cache.limit, cache_max_bytes: cache.maxBytes }, cache.warning);
  // onnxruntime's default intra-op threads follow the machine's cores, not the affinity or a quota
  // (probe round 14b: taskset -c 0 ran 2 more threads): below the machine's, the usable cores are said
  const intraOpThreads = config.models.intraOpThreads || (cpu.cores < cpus().length ? cpu.cores : 0);
  const models = deps.models ?? (await Models.create({ ...config.models, intraOpThreads }, { logger: deps.logger, metrics: deps.metrics }));
  // every model id, variant and file the configuration names, before the server listens (issue 13 §4)
  await checkModelConfig({ precision: config.models.precision, clipModel: config.rerank.clipModel }, models.registry);
  const source = deps.source ?? new MediaSource(config.media);
  // the feature extractor is built on first use (it creates the image encoders), so start-up stays instant
  // A server area that registers a shared extractor (ctx.services.features) after this one still
  // wins: it is looked up at first use, not at registration.
  let featuresP: Promise<FeatureExtractor> | undefined;
  let built: FeatureExtractor | undefined;
  let ownFeatures = false;
  // A failed setup (image models not pulled yet, a file gone or corrupt) is remembered with its time
  // and tried again once its back-off has passed (5 s doubling to 1 min, as the warm-up's retries),
  // by the warm-up's retry or the next request — never a model load per request meanwhile.
  let failed: { at: number; waitMs: number } | undefined;
  const retryDue = () => failed !== undefined && performance.now() - failed.at >= failed.waitMs;
  const features = () => {
    const p = setUp();
    p.then(
      () => (failed = undefined),
      () => {
        if (featuresP !== p) return;
        featuresP = undefined;
        failed = { at: performance.now(), waitMs: failed ? Math.min(failed.waitMs * 2, FEATURES_RETRY_MAX_MS) : FEATURES_RETRY_MS };
      },
    );
    return p;
  };
  const setUp = () =>
    (featuresP ??= deps.features?.()
      ? Promise.resolve(deps.features()!)
      : ((ownFeatures = true),
        FeatureExtractor.create(models, {
          media: config.media,
          maxConcurrentDecodes: cpu.cores,
          cacheMaxBytes: cache.maxBytes,
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
    ? await createRemoteScorer({
        ...config.rerank.remote,
        // local files and uploads reach a worker as data: URIs, read through the roots check
        media: { reader: source, maxMediaBytes: config.rerank.remote.maxMediaBytes, maxImageSide: config.rerank.remote.maxImageSide, maxPixels: config.media.maxPixels },
      })
    : undefined;
  const manifestCalibration = Object.assign({}, ...models.registry.list().map((m) => m.calibration ?? {}));
  const typo = unknownSignals(config.rerank.weights)[0];
  if (typo !== undefined) throw vlrError('VLR_CONFIG_INVALID', `rerank.weights: ${unknownSignalReason(typo)}`, { details: { key: 'rerank.weights' } });
  const reranker = new Reranker({
    maxDocuments: config.rerank.maxDocuments,
    cacheDir: config.rerank.cacheDir,
    weights: config.rerank.weights,
    ocr: config.rerank.ocr,
    chunking: chunkingFromConfig(config.rerank.chunking),
    fps: config.media.fps,
    maxFrames: config.media.maxFrames,
    maxConcurrentRequests: config.rerank.maxConcurrentRequests,
    apiBudgetMs: config.rerank.apiBudgetMs,
    // sized from the usable cores (a CPU quota lowers them; os.availableParallelism() sees only the affinity)
    admissionControl: new Admission(defaultAdmissionLimits(cpu.cores, { ...config.rerank.admission, maxInFlight: config.rerank.maxConcurrentRequests }), {
      onShed: (reason) => deps.metrics.admissionShed.inc({ reason }),
    }),
    calibration: manifestCalibration,
    // documents scored before keep their sides across requests (prepared.ts), bounded in bytes
    preparedSides: new PreparedSides(),
    ports: async () => {
      let f: FeatureExtractor;
      try {
        f = await features();
      } catch (e) {
        // The image models cannot be set up (not pulled yet, a file gone or corrupt): text-only
        // reranks still run, and each image or video document reports this error (a 5xx code) and
        // is scored on its text, until the setup is tried again (`retry`) and succeeds.
        const again = failed !== undefined && failed.waitMs > FEATURES_RETRY_MS;
        deps.logger[again ? 'debug' : 'error']({ err: (e as Error).message, retry_in_ms: failed?.waitMs }, 'image models unavailable: reranking on text only');
        const text = await textPort(models);
        return { text, media: unavailableMedia(e), remote, retry: retryDue };
      }
      const clip = config.rerank.clipModel ? await clipPort(models, f, config.rerank.clipModel, { maxBytes: config.media.maxBytes }) : undefined;
      return { ...(await localPorts({ models, features: f })), remote, clip };
    },
    observe: {
      // cache events come from the feature cache itself (onCacheEvent above), counted once
      stage: (stage, s, outcome) => deps.metrics.stageSeconds.observe({ stage, outcome }, s),
      records: (outcome, reason, n) => deps.metrics.featureRecords.inc({ outcome, ...(reason ? { reason } : {}) }, n),
      internalError: (err, where) => deps.logger.error({ err, where }, 'a document\'s media failed: internal error'),
    },
  });
  // the queue's gauges are read when metrics are scraped, never pushed from the hot path
  deps.metrics.onCollect(() => {
    const a = reranker.admission.snapshot();
    deps.metrics.admission.set({ what: 'in_flight' }, a.in_flight);
    deps.metrics.admission.set({ what: 'in_flight_documents' }, a.in_flight_documents);
    deps.metrics.admission.set({ what: 'queued' }, a.queued);
    deps.metrics.admission.set({ what: 'queued_documents' }, a.queued_documents);
    deps.metrics.admission.set({ what: 'warming' }, a.warming);
  });
  return {
    reranker,
    models,
    featureStore: () => built?.store.health(),
    remoteWorkers: remote ? () => remote.status() : undefined,
    async close(step = () => {}) {
      step('remote');
      await remote?.close();
      step('features');
      if (featuresP && ownFeatures) await (await featuresP.catch(() => undefined))?.close();
      step('media-source');
      if (!deps.source) await source.close();
      step('models');
      if (!deps.models) await models.close();
    },
  };
}

/** First wait before a failed image model setup is tried again; doubled after each failure, up to the maximum. */
export const FEATURES_RETRY_MS = 5_000;
const FEATURES_RETRY_MAX_MS = 60_000;

