/**
 * Prometheus metrics (prom-client), one registry per server instance so tests can run several
 * servers in one process. Every area registers its metrics here so /_vlrerank/metrics shows all.
 */
import { Registry, Counter, Histogram, Gauge, collectDefaultMetrics, type Metric } from 'prom-client';
import { CheapHistogram } from './histogram.js';

export interface Metrics {
  registry: Registry;
  /** requests by route class (proxy, search, rerank, admin, ui) and status code (the access log adds its counts at scrape time) */
  requests: Counter<'route' | 'status'>;
  /**
   * Time from a request's arrival (its headers parsed) to its answer's last byte handed to the
   * socket, by route class and status: the server's own side of a latency (a 429's p99, a
   * passthrough's), apart from what a client's own scheduling adds.
   */
  requestSeconds: CheapHistogram<'route' | 'status'>;
  /** Set at scrape time from the access log's counts (http/access-log.ts). */
  inFlight: Gauge<'route'>;
  upstreamLatency: CheapHistogram<'node'>;
  /**
   * Each node's connection pools (passthrough, vlrerank's own requests) at scrape time (undici's stats): connections `connected` and
   * `free`, requests `running` on a connection and `queued` for one (a queue here is time a request
   * waits in vlrerank, not in the engine).
   */
  upstreamPool: Gauge<'node' | 'traffic' | 'what'>;
  upstreamErrors: Counter<'code'>;
  failures: Counter<'code'>;
  openFilesExhausted: Counter<'where'>;
  /** Client connections closed at server.maxConnections to let a new one in (http/connection-cap.ts), by what they were doing. */
  connectionsShed: Counter<'kind'>;
  /**
   * Rerank time by stage (queue, features, inference, fusion, total; a reranked search's
   * query_embedding and first_stage too) and outcome (ok, degraded, cut, failed: rerank/options.ts
   * `RerankOutcome`). A cut or failed rerank has the stages it finished, the one it was in and
   * total (fix20b: only finished reranks were counted, and first_stage was named but never observed).
   */
  stageSeconds: Histogram<'stage' | 'outcome'>;
  batchSize: Histogram<'model'>;
  cacheEvents: Counter<'event'>;
  /** Rerank admission: requests and documents in flight and queued (set at scrape time). */
  admission: Gauge<'what'>;
  /** Rerank requests refused by admission control, by reason. */
  admissionShed: Counter<'reason'>;
  /** Run `fn` before each scrape (gauges read from live state). */
  onCollect(fn: () => void): void;
  /** Feature store lookups by tier (l1, disk, redis) and outcome (hit, miss, error). */
  featureLookups: Counter<'tier' | 'outcome'>;
  featureStoreErrors: Counter<'tier'>;
  /**
   * Each configured persistent tier (disk, redis) at scrape time: 1 serving, 0 down or failed; an
   * unconfigured tier has no series. Redis refusing from the start counted no error (a tier that is
   * down is skipped, not tried): only health said so (held-out probe round 7).
   */
  featureStoreUp: Gauge<'tier'>;
  /** Reranked searches answered (`_msearch` items each), by `degraded`: `false`, or its kind (overloaded, timeout, failed: first-stage order). */
  rerankedSearches: Counter<'degraded'>;
  /** Model runs (batches) by model: `vlrerank_model_runs_total{model}`. */
  modelRuns: Counter<'model'>;
  /** Feature-record parts handed to reranks (a search's from the index): `used`, or `rejected` by reason (other_config, other_content, corrupt, unreadable, newer…) and recomputed. */
  featureRecords: Counter<'outcome' | 'reason'>;
  /** Feature records written back by reranked searches, by outcome (written, conflict, changed, dropped, failed). */
  recordWriteBack: Counter<'outcome'>;
  /** Writes sent as received (refused-writes.ts) the engine stored after all, completed with their vectors and record (ingest/complete-write.ts), by outcome. */
  writeCompletions: Counter<'outcome'>;
  /** Promise rejections nothing awaited (cli/serve.ts logs them and keeps serving). */
  unhandledRejections: Counter;
  /** Reloads of the pipelines folder (`POST /_vlrerank/pipelines/_reload`) by outcome: `reloaded`, or `invalid` (the set serving stayed). */
  pipelineReloads: Counter<'outcome'>;
  /** The generation of the pipeline set serving: 1 at the start, +1 per reload that took. */
  pipelinesGeneration: Gauge;
}

/** prom-client default metrics that are gauges with a counter's `_total` suffix (removed, see createMetrics). */
export const NON_COUNTER_TOTALS = ['vlrerank_nodejs_active_handles_total', 'vlrerank_nodejs_active_requests_total', 'vlrerank_nodejs_active_resources_total'];

let processMetrics: Registry | undefined;

/**
 * The process's own metrics (CPU, memory, GC, event-loop lag), made once per process and shown by
 * every server's registry. prom-client's default metrics start a GC PerformanceObserver and an
 * event-loop monitor that nothing can stop: made per server, each server's whole registry — and
 * through its scrape-time collectors its reranker, models and pools — stayed reachable after
 * close(), and a test suite starting and stopping servers grew ~45 MB of RSS a cycle (held-out
 * probe round 30c: 490 → 1870 MB over 30 cycles).
 */
function processDefaults(): Registry {
  if (!processMetrics) {
    processMetrics = new Registry();
    // the event-loop lag is sampled every 100 ms, not prom-client's 10 ms: that timer woke an idle
    // server 100 times a second (~8 ms of CPU a second here, measured: 20 µs a request at 400
    // searches/s in bench:proxy); a stall still delays the next sample, so the lag figures stay
    collectDefaultMetrics({ register: processMetrics, prefix: 'vlrerank_', eventLoopMonitoringPrecision: 100 });
    // prom-client's totals of its per-type gauges are gauges named `…_total`, which `promtool check
    // metrics` refuses ("non-counter metrics should not have _total suffix"; held-out probe round 15d)
    // and PromQL readers take for counters: dropped — `sum(vlrerank_nodejs_active_handles)` is the total
    for (const name of NON_COUNTER_TOTALS) processMetrics.removeSingleMetric(name);
  }
  return processMetrics;
}

export function createMetrics(options: { defaults?: boolean } = {}): Metrics {
  const registry = new Registry();
  // the process's metrics shown here too; they hold no reference to this registry
  if (options.defaults !== false) for (const m of processDefaults().getMetricsAsArray()) registry.registerMetric(m as unknown as Metric); // the metric objects themselves (typed as their JSON)
  const registers = [registry];
  const collectors: Array<() => void> = [];
  // each metric set from live state at scrape time runs the collectors (they only set or add what is
  // pending, so running them again is harmless): a read of one metric alone is up to date too
  const collect = () => {
    for (const fn of collectors) fn();
  };
  return {
    admission: new Gauge({
      name: 'vlrerank_rerank_admission',
      help: 'Rerank admission control: in_flight, in_flight_documents, queued, queued_documents, warming (of queued: waiting for the model warm-up)',
      labelNames: ['what'],
      registers,
      collect,
    }),
    admissionShed: new Counter({ name: 'vlrerank_rerank_shed_total', help: 'Rerank requests refused by admission control (429), by reason', labelNames: ['reason'], registers }),
    onCollect: (fn) => void collectors.push(fn),
    registry,
    requests: new Counter({ name: 'vlrerank_requests_total', help: 'Requests by route class and status', labelNames: ['route', 'status'], registers, collect }),
    requestSeconds: new CheapHistogram({
      name: 'vlrerank_request_duration_seconds',
      help: 'Time from a request\'s headers to its answer\'s end, by route class and status',
      labelNames: ['route', 'status'],
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
      registers,
    }),
    inFlight: new Gauge({ name: 'vlrerank_requests_in_flight', help: 'Requests being served', labelNames: ['route'], registers, collect }),
    upstreamLatency: new CheapHistogram({
      name: 'vlrerank_upstream_latency_seconds',
      help: 'Time from sending a request upstream to its response headers',
      labelNames: ['node'],
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
      registers,
    }),
    upstreamPool: new Gauge({ name: 'vlrerank_upstream_pool', help: 'Upstream connection pools per node and traffic (passthrough, own): connected, free, running, queued', labelNames: ['node', 'traffic', 'what'], registers }),
    upstreamErrors: new Counter({ name: 'vlrerank_upstream_errors_total', help: 'Upstream connection failures by code', labelNames: ['code'], registers }),
    openFilesExhausted: new Counter({ name: 'vlrerank_open_files_exhausted_total', help: 'Times the process ran out of file descriptors: open (a socket or file, answered 503 VLR_OPEN_FILES) or accept (a client connection closed at server.maxConnections)', labelNames: ['where'], registers }),
    connectionsShed: new Counter({ name: 'vlrerank_connections_shed_total', help: 'Client connections closed at server.maxConnections to let a new one in: no_request (no complete request head yet: 408), between_requests (an idle keep-alive), reserve (held past the cap without a request: 408)', labelNames: ['kind'], registers }),
    failures: new Counter({ name: 'vlrerank_failures_total', help: 'Errors answered to clients by vlrerank code', labelNames: ['code'], registers }),
    stageSeconds: new Histogram({
      name: 'vlrerank_stage_seconds',
      help: 'Per-stage time of rerank work (stage: queue, features, inference, fusion, total; a reranked search adds query_embedding, first_stage) by outcome (ok, degraded, cut, failed); a cut or failed rerank has the stages it finished, the one it was in, and total',
      labelNames: ['stage', 'outcome'],
      buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers,
    }),
    batchSize: new Histogram({ name: 'vlrerank_batch_size', help: 'Model batch sizes', labelNames: ['model'], buckets: [1, 2, 4, 8, 16, 32, 64], registers }),
    cacheEvents: new Counter({ name: 'vlrerank_feature_cache_events_total', help: 'Feature cache hits, misses and evictions', labelNames: ['event'], registers }),
    featureLookups: new Counter({ name: 'vlrerank_feature_lookups_total', help: 'Feature store lookups by tier (l1, disk, redis) and outcome (hit, miss, error)', labelNames: ['tier', 'outcome'], registers }),
    featureStoreUp: new Gauge({ name: 'vlrerank_feature_store_up', help: 'A configured feature store tier serving (1) or down/failed (0), at scrape time', labelNames: ['tier'], registers }),
    featureStoreErrors: new Counter({ name: 'vlrerank_feature_store_errors_total', help: 'Failures of a feature store tier (skipped, never an error to the client)', labelNames: ['tier'], registers }),
    rerankedSearches: new Counter({ name: 'vlrerank_reranked_searches_total', help: 'Reranked searches answered, by degraded: false, or the kind (overloaded, timeout, failed) of a first-stage-order answer', labelNames: ['degraded'], registers }),
    modelRuns: new Counter({ name: 'vlrerank_model_runs_total', help: 'Model runs (batches) by model', labelNames: ['model'], registers }),
    unhandledRejections: new Counter({ name: 'vlrerank_unhandled_rejections_total', help: 'Promise rejections no code awaited (logged; the process keeps serving)', registers }),
    featureRecords: new Counter({ name: 'vlrerank_feature_records_total', help: 'Feature-record parts handed to reranks: used, or rejected by reason and recomputed', labelNames: ['outcome', 'reason'], registers }),
    recordWriteBack: new Counter({ name: 'vlrerank_record_write_back_total', help: 'Feature records written back to the index by reranked searches, by outcome', labelNames: ['outcome'], registers }),
    pipelineReloads: new Counter({ name: 'vlrerank_pipeline_reloads_total', help: 'Reloads of the pipelines folder by outcome: reloaded (a new generation), unchanged (the folder says what the set serving says: kept), or invalid (the set serving stayed)', labelNames: ['outcome'], registers }),
    pipelinesGeneration: new Gauge({ name: 'vlrerank_pipelines_generation', help: 'Generation of the pipeline set serving: 1 at the start, one more per reload that took', registers }),
    writeCompletions: new Counter({ name: 'vlrerank_write_completions_total', help: 'Writes sent as received (their index refused these credentials lately) that the engine stored, completed with their vectors and record, by outcome', labelNames: ['outcome'], registers }),
  };
}

/**
 * Give a labelled counter its series at 0 for label sets known up front. A series appears at its
 * first increment, and `rate()`/`increase()` need two samples of a series: the first burst of 429s
 * for a reason, or the first Redis error after a start, moved no alert (held-out probe round 15d:
 * 24 sheds read as an increase of 0). Counters whose labels are open (error codes) are not covered.
 */
export function zeroSeries<T extends string>(counter: Counter<T>, labelSets: ReadonlyArray<Partial<Record<T, string>>>): void {
  for (const labels of labelSets) counter.inc(labels, 0);
}
