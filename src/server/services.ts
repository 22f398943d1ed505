/**
 * THE composition root: builds every long-lived service of a server once, in dependency order —
 * config → observability → JSON worker thread (large bodies parsed off the main thread) → upstream pool → engine → pipelines → feature store tiers → models, media and reranker →
 * embedder and scorer — each from the ones before it, so the order is held by the types (a
 * builder cannot be called without what it needs) rather than by comments. Each room then gets
 * only its share (see start.ts). Nothing else in src/ builds services or looks them up.
 *
 * Test hooks are options of this function (`scorer`, `embedder`: fault fakes), never fields of a
 * production type.
 */
import type { Config } from '../config/schema.js';
import { EngineClient } from '../engine/client.js';
import { createAccessLogger, createLogger, type AccessLine, type Logger } from '../observability/logger.js';
import { createMetrics, zeroSeries, type Metrics } from '../observability/metrics.js';
import { SHED_REASONS } from '../rerank/admission-limits.js';
import { LivePipelines, missingPipelinesFolder, pipelinesFolderDigest, unreadPipelineFiles, type PipelineRegistry } from '../pipelines/index.js';
import { PipelineReloader, readPipelineSet, RELOAD_OUTCOMES } from './pipelines-reload.js';
import { PipelinesWatch } from './pipelines-watch.js';
import { PipelinePeers } from './pipelines-peers.js';
import { UpstreamPool } from '../proxy/pool.js';
import { embedderInLane, RerankerEmbedder, type Embedder } from '../rerank/embedder.js';
import type { Reranker } from '../rerank/reranker.js';
import { createRerankService } from '../rerank/service.js';
import type { Models } from '../models/index.js';
import { RerankerScorer, type Scorer } from '../search/hit-scorer.js';
import { RecordWriteBack } from '../ingest/write-back.js';
import { diskStorePath } from '../config/store-defaults.js';
import { openStoreTiers, redisConnection } from '../features/store/open.js';
import { LOOKUP_OUTCOMES } from '../features/store/tier.js';
import { JsonWorker, jsonWorkerInLane, type JsonParser } from '../util/json-worker.js';
import { closeAll, type Closer, type Shutdown } from './shutdown.js';

export interface ServiceOptions {
  /** Log here instead of a logger built from config.log (access lines then go here too). */
  logger?: Logger;
  /** Score hits with this instead of the reranker (tests: fault fakes named after their fault). */
  scorer?: Scorer;
  /** Embed queries and documents with this instead of the reranker (tests). */
  embedder?: RerankerEmbedder;
}

export interface Services {
  readonly config: Config;
  readonly logger: Logger;
  /** Where access lines go: a buffered logger of their own, or `logger`. */
  readonly accessLogger: Logger;
  /** The buffered access logger's own line writer (undefined: write through `accessLogger`). */
  readonly accessWrite?: (a: AccessLine) => void;
  readonly metrics: Metrics;
  readonly pool: UpstreamPool;
  readonly engine: EngineClient;
  /** The pipeline set serving now (a getter: a reload replaces it; a request takes it once, http/). */
  readonly pipelines: PipelineRegistry;
  /** The set serving now, its generation, and what replaces it (`POST /_vlrerank/pipelines/_reload`). */
  readonly livePipelines: LivePipelines;
  readonly pipelineReloader: PipelineReloader;
  /**
   * `POST /_vlrerank/pipelines/_reload`: this replica's reload, then (with the Redis tier) the other
   * replicas told and their answers awaited (pipelines-peers.ts) — what the answer's `replicas` says.
   */
  reloadPipelines(): Promise<object>;
  /** Health's `pipelines` additions: the last reload, the folder watch, the replicas told over Redis. */
  pipelinesHealth(): Record<string, unknown>;
  readonly models: Models;
  readonly reranker: Reranker;
  readonly embedder: RerankerEmbedder;
  /** The same embedder in ingest's lane (`models.ingestLane`): what `_bulk`, `_doc` and write-back use. */
  readonly ingestEmbedder: Embedder;
  readonly scorer: Scorer;
  /** Write-back of feature records computed by searches (pipelines with `features.write_back`). */
  readonly writeBack?: RecordWriteBack;
  /** The thread large bodies are decoded and parsed in (issue 13 §2): started here, terminated by close(). */
  readonly jsonWorker: JsonWorker;
  /** The JSON worker with ingest's bodies in `models.ingestLane` (a search's parse goes first). */
  readonly ingestJsonWorker: JsonParser;
  /** The feature store's `feature_store` health section: each tier's state, entries, bytes, hits, misses, errors. */
  featureStoreHealth(): Record<string, unknown>;
  /** The remote scorer workers' states, when `rerank.remote.urls` lists any. */
  remoteWorkers?: () => Array<Record<string, unknown>>;
  /**
   * Close everything, in the reverse order of building. Bounded: the closers share
   * server.shutdownGraceMs, each at least shutdown.ts's CLOSER_FLOOR_MS; one that has not finished by then is
   * logged by name and left behind, so a stuck part never keeps a shutdown from ending.
   */
  close(): Promise<void>;
  /** The part being closed now (`rerank:models`…), or undefined (for a shutdown that is slow to say where it is). */
  closing(): string | undefined;
  /** The parts a close left behind unfinished, by name (empty: all closed). */
  readonly closeOverruns: readonly string[];
}



export async function buildServices(config: Config, options: ServiceOptions = {}): Promise<Services> {
  const closers: Closer[] = [];
  const shutdown: Shutdown = { step: undefined, overruns: [] };
  const add = (name: string, close: Closer['close']) => void closers.push({ name, close });
  const logger = options.logger ?? createLogger(config.log.level);
  try {
    let accessLogger = logger;
    let accessWrite: Services['accessWrite'];
    if (!options.logger && config.log.access && config.log.level !== 'silent') {
      const access = createAccessLogger(config.log.level);
      accessLogger = access.logger;
      accessWrite = access.write;
      add('access-log', () => access.close());
    }
    const metrics = createMetrics();
    // started now, so the first large body does not wait for a thread; closed last but one (requests
    // still being cut at shutdown may ask it: they get a failure, never a new thread)
    const jsonWorker = new JsonWorker({ answerFromBytes: config.server.answerWorkerFromBytes }).start();
    add('json-worker', () => jsonWorker.close());
    const pool = new UpstreamPool(config.upstream, { metrics });
    add('upstream-pool', () => pool.close());
    const engine = new EngineClient(pool);
    // what the watch compares with is read before the set, so a change while the server starts is still seen
    const startDigest = config.pipelines.watch ? pipelinesFolderDigest(config.pipelines.dir) : undefined;
    const pipelines = readPipelineSet(config);
    const live = new LivePipelines(pipelines);
    metrics.pipelinesGeneration.set(1);
    zeroSeries(metrics.pipelineReloads, RELOAD_OUTCOMES.map((outcome) => ({ outcome })));
    logger.info({ pipelines: pipelines.pipelines.map((p) => p.name) }, 'rerank pipelines loaded');
    const unread = unreadPipelineFiles(config.pipelines.dir);
    if (unread.length) logger.warn({ dir: config.pipelines.dir, not_read: unread }, `pipelines folder: ${unread.length} file(s) not read — only *.yaml and *.yml are pipelines: ${unread.slice(0, 5).join(', ')}${unread.length > 5 ? ', …' : ''}`);
    const noFolder = missingPipelinesFolder(config.pipelines.dir);
    if (noFolder && config.server.role !== 'worker') logger.warn({ dir: config.pipelines.dir }, `no rerank pipelines: ${noFolder}; searches pass through unreranked`);
    // the feature store's persistent tiers, under the reranker's in-process cache (issue 12 §4)
    const store = await openStoreTiers(config.store, diskStorePath(config), {
      logger,
      hooks: { onLookup: (tier, outcome) => metrics.featureLookups.inc({ tier, outcome }), onError: (tier) => metrics.featureStoreErrors.inc({ tier }) },
    });
    add('feature-store', () => store.close());
    metrics.onCollect(() => {
      for (const [tier, h] of Object.entries(store.health())) if (h.state !== 'off') metrics.featureStoreUp.set({ tier }, h.state === 'ok' ? 1 : 0);
    });
    // each tier's failures and lookups are series from the start: the first Redis error is then an increase an alert sees
    const tiers = ['l1', ...Object.entries(store.health()).filter(([, h]) => h.state !== 'off').map(([tier]) => tier)];
    zeroSeries(metrics.featureStoreErrors, tiers.filter((tier) => tier !== 'l1').map((tier) => ({ tier })));
    zeroSeries(metrics.featureLookups, tiers.flatMap((tier) => LOOKUP_OUTCOMES.map((outcome) => ({ tier, outcome }))));
    zeroSeries(metrics.admissionShed, SHED_REASONS.map((reason) => ({ reason })));
    const rerank = await createRerankService(config, { logger, metrics, tiers: store.tiers });
    // a sub-part is named only while the rerank service is the part closing (a late step of one left behind is not)
    add('rerank', () => rerank.close((step) => void (shutdown.step?.startsWith('rerank') && (shutdown.step = `rerank:${step}`))));
    const reloader = new PipelineReloader({ config, logger, metrics, live, reranker: rerank.reranker });
    // a worker serves the rerank API alone: its pipelines are never read
    const serving = config.server.role !== 'worker';
    const watch = serving && config.pipelines.watch ? new PipelinesWatch({ dir: config.pipelines.dir, digest: startDigest, intervalMs: config.pipelines.watchIntervalMs, reloader, logger }) : undefined;
    if (watch) add('pipelines-watch', () => watch.close());
    const redis = serving ? redisConnection(config.store.redis) : undefined;
    const peers = redis ? new PipelinePeers({ connection: redis, reloader, current: () => live.generation, ackMs: config.pipelines.reloadAckMs, checkMs: config.pipelines.peerCheckMs, logger }) : undefined;
    if (peers) add('pipelines-peers', () => peers.close());
    const embedder = options.embedder ?? new RerankerEmbedder(rerank.reranker);
    const scorer = options.scorer ?? new RerankerScorer(rerank.reranker);
    // ingest and write-back queue their model work behind searches' (util/lanes.ts)
    const ingestEmbedder = embedderInLane(embedder, config.models.ingestLane);
    // built whatever the pipelines say: a pipeline with `features.write_back` may come with a reload (it holds nothing until offered hits)
    const writeBack = new RecordWriteBack({
      engine,
      embedder: ingestEmbedder,
      onOutcome: (outcome, n) => metrics.recordWriteBack.inc({ outcome }, n),
      onError: (e, about) => logger.warn({ err: e, ...about }, 'writing feature records back to the index failed'),
    });
    add('write-back', () => writeBack.idle());
    return {
      config,
      logger,
      accessLogger,
      accessWrite,
      metrics,
      pool,
      engine,
      get pipelines() {
        return live.current;
      },
      livePipelines: live,
      pipelineReloader: reloader,
      reloadPipelines: async () => {
        const here = await reloader.reload('api');
        const replicas = peers ? await peers.tell() : { fanout: 'off', reason: 'no store.redis.url: only this replica reloaded (send the reload to each replica, or set pipelines.watch)' };
        return { ...here, replicas };
      },
      pipelinesHealth: () => {
        const last = reloader.last;
        return { ...(last ? { last_reload: last } : {}), watch: watch?.status() ?? { state: 'off' }, ...(peers ? { peers: peers.status() } : {}) };
      },
      models: rerank.models,
      reranker: rerank.reranker,
      embedder,
      ingestEmbedder,
      scorer,
      writeBack,
      jsonWorker,
      ingestJsonWorker: jsonWorkerInLane(jsonWorker, config.models.ingestLane),
      remoteWorkers: rerank.remoteWorkers,
      featureStoreHealth: () => ({ l1: { state: 'idle', note: 'the feature extractor is built on first use' }, ...store.health(), ...rerank.featureStore() }),
      close: () => closeAll(closers, shutdown, config.server.shutdownGraceMs, logger),
      closing: () => shutdown.step,
      closeOverruns: shutdown.overruns,
    };
  } catch (e) {
    await closeAll(closers, shutdown, config.server.shutdownGraceMs, logger);
    throw e;
  }
}
