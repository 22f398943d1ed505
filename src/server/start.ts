/**
 * Start and stop a vlrerank server: build the services (services.ts), hand each room its share —
 * the search and ingest handlers their pool, engine, pipelines, scorer and embedder; the admin
 * endpoints their engine, models and reranker; the UI its media roots — build the HTTP handler,
 * listen, and on shutdown drain (stop accepting, readiness 503, requests in flight finish within
 * server.shutdownGraceMs), stop the warm-up, then close every service in reverse order of building.
 */
import { createServer, type Server, type ServerOptions } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mediaFiles } from '../api/media.js';
import { unreachableNodes } from '../api/health.js';
import type { Config } from '../config/schema.js';
import { resolveUnderRoots } from '../features/media/local.js';
import { VideoDecoder, videoLimits } from '../features/media/video.js';
import type { HttpDeps } from '../http/app.js';
import { clientErrorHandler } from '../http/access-log.js';
import { buildHandler, continueHandler } from '../http/handler.js';
import type { SearchHandlerDeps } from '../search/handle.js';
import { DEGRADED_KINDS } from '../search/execute.js';
import { zeroSeries } from '../observability/metrics.js';
import { buildServices, type ServiceOptions, type Services } from './services.js';
import { AliasPipelines } from '../ingest/alias.js';
import { RefusedWrites } from '../ingest/refused-writes.js';
import { IndexTargets } from '../engine/targets.js';
import { SearchPipelineAliases } from '../engine/search-pipelines.js';
import { SearchDefaults } from '../search/search-defaults.js';
import { ResultWindows } from '../engine/result-window.js';
import { WriteMappings } from '../engine/write-mapping.js';
import { IndexPipelines } from '../ingest/index-pipelines.js';
import { startWarmup } from './warmup.js';
import { CorsTable } from '../search/cors.js';
import { ConnectionCap, connectionReserve, SHED_KINDS } from '../http/connection-cap.js';
import { connectionsForFiles, onOutOfFiles, openFilesLimit, reportOutOfFiles } from '../util/process-limits.js';

export interface RunningServer {
  services: Services;
  server: Server;
  url: string;
  close(): Promise<void>;
  /** Where a close() under way is: `open` before it, then `draining`, `warm-up`, `services`, `closed` (a shutdown that hangs says where). */
  closePhase(): string;
}

/** Each room's share of the services. `draining` says when shutdown has begun (readiness turns 503). */
export function httpDeps(s: Services, draining: () => boolean = () => false): HttpDeps {
  const { config, logger, metrics } = s;
  // what this server learnt of its engine's CORS answers: its own, not another server's in the same process (fix15)
  const cors = new CorsTable();
  const errors = { logger, metrics, cors };
  // one resolver of aliases and wildcards, one bounded cache, for searches and writes alike
  const targets = new IndexTargets(config.pipelines.aliasCacheMs);
  // a series for each outcome from the start (zeroSeries): the first degraded answer moves rate()
  zeroSeries(metrics.rerankedSearches, ['false', ...DEGRADED_KINDS].map((degraded) => ({ degraded })));
  // the set serving now, taken once per request by http/ (http/pinned.ts): a reload replaces it for
  // the requests that come after, never under one that began (pipelines/live.ts)
  const live = s.livePipelines;
  const search: SearchHandlerDeps = {
    get pipelines() {
      return live.current;
    },
    targets,
    pool: s.pool,
    engine: s.engine,
    scorer: s.scorer,
    embedder: s.embedder,
    writeBack: s.writeBack,
    // a large first-stage answer is parsed off the main thread (search/first-stage-answer.ts)
    jsonWorker: s.jsonWorker,
    cors,
    // what this server learnt of its indices' max_result_window (fix16: one refused first stage per search)
    resultWindows: new ResultWindows(config.pipelines.resultWindowCacheMs),
    maxJsonDepth: config.server.maxJsonDepth,
    // indices whose `index.search.default_pipeline` names a vlrerank pipeline, learnt from the engine's refusal (round 33a)
    searchDefaults: new SearchDefaults(config.pipelines.aliasCacheMs),
    // cluster search pipelines whose rerank processor names a vlrerank pipeline, learnt lazily (round 34b)
    searchPipelines: new SearchPipelineAliases(config.pipelines.aliasCacheMs),
    onDegraded: (_reason, code) => metrics.failures.inc({ code: `degraded:${code}` }),
    onReranked: (degraded) => metrics.rerankedSearches.inc({ degraded: String(degraded) }),
    onStage: (stage, seconds, outcome) => metrics.stageSeconds.observe({ stage, outcome }, seconds),
    onDocumentErrors: (count, first, ids) => {
      metrics.failures.inc({ code: `document:${first.code}` }, count);
      logger.warn({ count, code: first.code, reason: first.reason, ...ids }, 'hits whose media could not be read were reranked on their text alone');
    },
  };
  // a `_bulk` whose client left: its documents not yet transformed were stored as the engine would
  // store them sent directly, without vectors or records (`vlrerank index backfill` adds them)
  const onAsReceived = (documents: number) => {
    metrics.failures.inc({ code: 'ingest:client_gone' }, documents);
    logger.info({ documents }, 'a _bulk client left before its answer: documents not yet embedded were stored as received, without vectors or records (backfill adds them)');
  };
  const startedAt = performance.now(); // uptime is a duration: monotonic, whatever the wall clock does
  return {
    errors,
    access: { metrics, access: config.log.access, probes: config.log.accessProbes, logger: s.accessLogger, write: s.accessWrite },
    pool: s.pool,
    search,
    ingest: {
      get pipelines() {
        return live.current;
      },
      pool: s.pool,
      embedder: s.ingestEmbedder,
      maxJsonDepth: config.server.maxJsonDepth,
      jsonWorker: s.ingestJsonWorker,
      aliases: new AliasPipelines(targets),
      mappings: new WriteMappings(config.pipelines.mappingCacheMs),
      // indices' default and final ingest pipelines, kept as the other index look-ups (fix23p)
      indexPipelines: new IndexPipelines(config.pipelines.aliasCacheMs),
      refusedWrites: new RefusedWrites(),
      onAsReceived,
      bulkBudgetMs: config.pipelines.bulkBudgetMs,
      onDeferred: (documents) => {
        metrics.failures.inc({ code: 'ingest:bulk_budget' }, documents);
        logger.info({ documents, bulkBudgetMs: config.pipelines.bulkBudgetMs }, 'a _bulk ran past its time budget: documents not embedded by then were answered 429 (not stored) for the client to retry');
      },
      onCompletion: (outcome) => metrics.writeCompletions.inc({ outcome }),
    },
    reranker: s.reranker,
    admin: {
      health: {
        engine: config.server.role === 'worker' ? undefined : s.engine,
        warmup: () => s.reranker.warm.status(),
        admission: () => s.reranker.admission.snapshot(),
        startedAt,
        probeTimeoutMs: Math.min(2_000, config.upstream.headersTimeoutMs),
        draining,
        role: config.server.role,
        featureStore: () => s.featureStoreHealth(),
        remoteWorkers: s.remoteWorkers,
        pipelines: () => ({ ...live.generation, ...s.pipelinesHealth() }),
      },
      pipelines: { live, reloader: { reload: () => s.reloadPipelines() }, dir: config.pipelines.dir },
      models: { models: s.models, reranker: s.reranker, device: config.models.device },
      metrics,
      adminToken: config.server.adminToken,
    },
    ui: config.server.ui ? { mediaRoots: config.media.roots, mediaFile: uiMediaFiles(config) } : undefined,
    maxJsonBodyBytes: config.server.maxJsonBodyBytes,
    role: config.server.role,
    maxJsonDepth: config.server.maxJsonDepth,
    jsonWorker: s.jsonWorker,
    upstreamProduct: () => s.engine.known()?.productHeaders,
    bodyIdleTimeoutMs: config.server.bodyIdleTimeoutMs,
  };
}

/** The UI's thumbnails: the media source's roots check and the video decoder's frame strips (90 px high, as the page shows them). */
function uiMediaFiles(config: Config) {
  const decoder = new VideoDecoder(videoLimits(config.media));
  return mediaFiles({ media: config.media, resolveUnderRoots, strip: (file, frames) => decoder.strip({ path: file }, { frames, height: 90 }) });
}

/**
 * Node's own time-outs bound what a client can hold open (slowloris, issue 13): headers within
 * server.headersTimeoutMs, the whole request within server.requestTimeoutMs, checked every
 * server.connectionsCheckingIntervalMs. Node refuses a headers time-out longer than the request
 * time-out, so the shorter wins.
 */
export function serverOptions(config: Config): ServerOptions {
  const s = config.server;
  return {
    keepAliveTimeout: s.keepAliveTimeoutMs,
    requestTimeout: s.requestTimeoutMs,
    headersTimeout: s.requestTimeoutMs > 0 ? Math.min(s.headersTimeoutMs, s.requestTimeoutMs) : s.headersTimeoutMs,
    connectionsCheckingInterval: s.connectionsCheckingIntervalMs,
  };
}

/**
 * Out of file descriptors (held-out probe round 18a): under `ulimit -n 256` and 300 clients every
 * accepted client's upstream connect failed with EMFILE (502s), photos could not be opened, and
 * the log said nothing — libuv closes connections it cannot accept without a word. Now the client
 * connections are capped from the limit (`server.maxConnections`), so those admitted keep
 * descriptors for their upstream connection and media; those past it are answered 503 from a small
 * reserve, and past that closed at the door (http/connection-cap.ts, fix19b); each is counted and
 * warned (at most every 10 s) naming the limit to raise. Returns the cap (undefined: none) and the
 * removal of the warning.
 */
function watchOpenFiles(config: Config, services: Services): { cap: ConnectionCap | undefined; stop: () => void } {
  const limit = openFilesLimit();
  const set = config.server.maxConnections;
  const max = set === undefined ? connectionsForFiles(limit) : set || undefined;
  if (set === undefined && max !== undefined && limit <= 65_536) services.logger.info({ openFilesLimit: limit, maxConnections: max }, `open files limit (ulimit -n) ${limit}: at most ${max} client connections at once (server.maxConnections)`);
  const warn = warnAtMostEvery(10_000, services.logger);
  const stop = onOutOfFiles((where, reason) => {
    services.metrics.openFilesExhausted.inc({ where });
    warn({ where, openFilesLimit: Number.isFinite(limit) ? limit : undefined, maxConnections: max }, reason);
  });
  const sized = set === undefined ? `, sized from the open files limit ulimit -n ${limit}` : '';
  if (max === undefined) return { cap: undefined, stop };
  zeroSeries(services.metrics.connectionsShed, SHED_KINDS.map((kind) => ({ kind })));
  const shedWarn = warnAtMostEvery(10_000, services.logger);
  const cap = new ConnectionCap(max, {
    over: (how) =>
      reportOutOfFiles('accept', how === 'answered' ? `a client connection was answered 503 and closed: ${max} are open (server.maxConnections${sized}), each serving a request; raise the limit (systemd LimitNOFILE=, docker --ulimit nofile=) or add replicas` : `a client connection was closed at once, unanswered: ${max} are open (server.maxConnections${sized}) and the ${connectionReserve(max)} kept to answer those past it are busy; raise the limit (systemd LimitNOFILE=, docker --ulimit nofile=) or add replicas`),
    // slowloris (fix20a): the connection waiting longest without a request closed for a new one
    shed: (kind, waitedMs) => {
      services.metrics.connectionsShed.inc({ kind });
      shedWarn({ kind, waitedMs, maxConnections: max }, `client connections at server.maxConnections (${max}${sized}): ${kind === 'between_requests' ? 'an idle keep-alive connection was closed' : 'a connection with no complete request head was answered 408 and closed'} to let a new one in (vlrerank_connections_shed_total); many of these mean clients that hold connections without sending (slowloris) or a limit too low for the load`);
    },
  });
  return { cap, stop };
}

/** A warning written at most once per `ms` (the lines in between counted in the next one's `sinceLastWarning`). */
function warnAtMostEvery(ms: number, logger: Services['logger']): (fields: Record<string, unknown>, msg: string) => void {
  let last = -Infinity;
  let unsaid = 0;
  return (fields, msg) => {
    const now = performance.now();
    if (now - last < ms) return void unsaid++;
    logger.warn({ ...fields, sinceLastWarning: unsaid }, msg);
    last = now;
    unsaid = 0;
  };
}

export async function startServer(config: Config, options: ServiceOptions = {}): Promise<RunningServer> {
  const services = await buildServices(config, options);
  const stopWarmup = startWarmup(services.reranker, services.pipelines.pipelines, config, services.logger);
  let draining = false;
  const files = watchOpenFiles(config, services);
  const deps: HttpDeps = { ...httpDeps(services, () => draining), connections: files.cap };
  const inner = buildHandler(deps);
  // while draining, answer what still arrives on open connections, and close them after it
  const handler: typeof inner = (req, res) => {
    if (draining) res.setHeader('connection', 'close');
    inner(req, res);
  };
  const server = createServer(serverOptions(config), handler);
  files.cap?.attach(server);
  server.on('checkContinue', continueHandler(deps, handler));
  // requests Node's parser refuses: Node's own answer, now logged and counted (route `unparsed`)
  server.on('clientError', clientErrorHandler(deps.access));
  let closing: Promise<void> | undefined;
  let phase = 'open';
  const close = () =>
    (closing ??= (async () => {
      phase = 'draining';
      // graceful: stop accepting, close idle keep-alive connections, let requests in flight finish
      // for up to server.shutdownGraceMs, then cut what is left
      draining = true;
      // keep accepting while the balancer's health checks notice readiness 503 (Kubernetes preStop style)
      if (config.server.drainDelayMs > 0) await new Promise((r) => setTimeout(r, config.server.drainDelayMs));
      await new Promise<void>((resolve) => {
        const cut = setTimeout(() => server.closeAllConnections(), config.server.shutdownGraceMs);
        // a keep-alive connection whose request ends during the drain turns idle: close it then
        const sweep = setInterval(() => server.closeIdleConnections(), 50);
        server.close(() => {
          clearTimeout(cut);
          clearInterval(sweep);
          resolve();
        });
        server.closeIdleConnections();
      });
      phase = 'warm-up';
      await stopWarmup?.();
      phase = 'services';
      await services.close();
      files.stop();
      phase = 'closed';
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
  // learn the engine early (not awaited): errors vlrerank answers on search paths name the product the ES client expects
  void services.engine.info().catch(() => undefined);
  // say at once when no upstream node answers (a wrong upstream.tls.ca, a typo in the URL): the
  // server still starts — the cluster may come later, readiness says 503 meanwhile — but the log
  // showed only "listening" while every search answered 502 (held-out probe round 12b)
  if (config.server.role !== 'worker') {
    void services.engine
      .probe(Math.min(2_000, config.upstream.headersTimeoutMs))
      .then((nodes) => {
        if (nodes.length && nodes.every((n) => !n.reachable)) {
          services.logger.warn({ nodes: unreachableNodes(nodes) }, 'no upstream node answers: readiness is 503 and searches answer 502 until one does');
        }
      })
      .catch(() => undefined);
  }
  const addr = server.address() as AddressInfo;
  const host = addr.family === 'IPv6' ? `[${addr.address}]` : addr.address;
  const url = `http://${host}:${addr.port}`;
  services.logger.info({ url, upstream: config.upstream.urls.map((u) => u.replace(/\/\/[^@/]+@/, '//[redacted]@')) }, 'vlrerank listening');
  return { services, server, url, close, closePhase: () => (phase === 'services' ? `services:${services.closing() ?? ''}` : phase) };
}
