/**
 * The one configuration schema. Every setting has a default that works on a laptop; unknown keys
 * are refused (`strict`), and every message names the key and the rule. Each area owns one
 * section below; add settings to your own section only.
 *
 * Never read process.env outside config/: values come in through load.ts and are passed down.
 */
import { z } from 'zod';

const port = z.number().int().min(0).max(65535);
const positiveInt = z.number().int().positive();
const nonNegativeInt = z.number().int().nonnegative();
const url = z.string().url().refine((u) => /^https?:\/\//.test(u), 'must be an http:// or https:// URL');
/** An upstream URL's query string and fragment were never sent (only its path prefix is): refused, not dropped (a non-URL is the check before's). */
const noQueryOrFragment = (u: string): boolean => !URL.canParse(u) || (!new URL(u).search && !new URL(u).hash);

export const serverSchema = z.strictObject({
  /** Address the server listens on. */
  host: z.string().min(1).default('127.0.0.1'),
  /** Port the server listens on (0 picks a free one). */
  port: port.default(9280),
  /** Token required by the admin endpoints (model load/unload, pipelines reload). Unset → admin endpoints refuse. */
  adminToken: z.string().min(8).optional(),
  /** Largest JSON body the proxy parses itself (rerank requests, intercepted searches). Passthrough bodies are streamed and unbounded. */
  maxJsonBodyBytes: positiveInt.default(32 * 1024 * 1024),
  /** Serve the demo UI under /_vlrerank/ui/. */
  ui: z.boolean().default(true),
  /** Deepest JSON nesting accepted in a body vlrerank parses (deeper → 400 before anything walks it). */
  maxJsonDepth: positiveInt.default(1000),
  /** Answers vlrerank writes itself whose JSON is estimated at this many bytes or more (documents echoed) are written in the JSON worker thread, not on the event loop. */
  answerWorkerFromBytes: positiveInt.default(256 * 1024),
  /** Time a client has to send a request's headers (slowloris); past it Node answers 408 and closes. */
  headersTimeoutMs: positiveInt.default(30_000),
  /** Time a client has to send a whole request, headers and body (0: none). Passthrough uploads count too, so keep it generous. */
  requestTimeoutMs: nonNegativeInt.default(300_000),
  /**
   * Longest gap (ms) between two bytes of a request body while vlrerank would take more (nginx's
   * `client_body_timeout`): past it the request is answered 408 `VLR_BODY_TIMEOUT` in the API's
   * shape and its connection closed — a body that trickles or stops cannot hold a connection (and a
   * passthrough's upstream connection) for `requestTimeoutMs`. A body the engine is slow to take
   * (the socket paused) is never cut; a large body at any steady pace neither. 0: off.
   */
  bodyIdleTimeoutMs: nonNegativeInt.default(60_000),
  /** Idle time a keep-alive connection is kept open between requests. */
  keepAliveTimeoutMs: positiveInt.default(65_000),
  /**
   * Client connections held at once. A new one at the cap closes the connection waiting longest
   * without a complete request head (Node's 408, as at `headersTimeoutMs`), else the keep-alive idle
   * longest between requests (silently), never one whose request is being served (slowloris;
   * `vlrerank_connections_shed_total{kind}`). When every one is being served, a small reserve
   * (1/16 of it, 4 to 32) is answered 503 `es_rejected_execution_exception` with `Retry-After: 1`
   * and `Connection: close`, then closed (it closes its own longest-waiting socket, 408, to keep a
   * place free); a burst past the reserve within one turn is closed at the door, unanswered (both
   * counted in `vlrerank_open_files_exhausted_total{where="accept"}`, logged). Unset: sized from the
   * open files limit (`ulimit -n`) so the upstream pools, media reads and lmdb keep descriptors —
   * max(16, (limit − 128) / 2): 256 → 64, 1024 → 448. 0: no cap.
   */
  maxConnections: nonNegativeInt.optional(),
  /** How often Node checks connections for the headers and request time-outs (the time-outs are enforced to within this). */
  connectionsCheckingIntervalMs: positiveInt.default(2_000),
  /**
   * What this process serves: `proxy` (the drop-in proxy in front of the cluster, the rerank APIs,
   * the UI) or `worker` (the rerank APIs, health and metrics only: a scorer machine that other
   * vlrerank processes reach through their `remote` backend; no cluster needed).
   */
  role: z.enum(['proxy', 'worker']).default('proxy'),
  /** On SIGTERM: readiness turns 503 at once, and the server keeps accepting this long (ms) so balancers notice before connections are refused. */
  drainDelayMs: z.number().int().nonnegative().default(0),
  /** Then: stop accepting, let requests in flight finish for up to this long, then close its parts within as long again (a part that overruns is named in the log and left behind). */
  shutdownGraceMs: positiveInt.default(10_000),
});

export const upstreamSchema = z.strictObject({
  /** One or more cluster URLs; requests are spread across them. */
  urls: z.array(url.refine(noQueryOrFragment, 'takes a path prefix (http://host:9200/es) but no query string or fragment: they would not be sent')).min(1).default(['http://127.0.0.1:9200']),
  /** Time to open a connection to an upstream node; past it the node counts as unreachable (502, retried elsewhere). */
  connectTimeoutMs: positiveInt.default(5_000),
  /** Time to the response headers. Searches longer than this answer 504, unless the request names a longer `timeout` (query string, or a search body's; also `master_timeout`): then that and 5 s — a reranked search's first stage too. */
  headersTimeoutMs: positiveInt.default(60_000),
  /** Idle time between body chunks. */
  bodyTimeoutMs: positiveInt.default(300_000),
  /**
   * Most open connections to each upstream node, for each of its two pools: passthrough (the
   * clients' requests forwarded) and vlrerank's own (first stages, ingest), so rerank work never
   * queues passthrough behind it.
   */
  connectionsPerNode: positiveInt.default(64),
  /**
   * Idle time after which a kept-alive connection to a node is closed rather than reused. Keep it below the idle timeout of anything between vlrerank and the engine (nginx `keepalive_timeout`, HAProxy `timeout http-keep-alive`, a cloud balancer's idle timeout): a write sent on a connection the proxy is closing at that moment is lost as a 502 "other side closed" (writes are not retried). It was a fixed 30 s: behind nginx with `keepalive_timeout 1s`, 2 of 70 `_bulk` writes a second apart were 502s (held-out probe round 17c).
   */
  keepAliveTimeoutMs: positiveInt.default(4_000),
  /** Retry a connection failure on each other node in turn (any request whose connection was refused, an idempotent one whose connection broke). */
  retryIdempotent: z.boolean().default(true),
  tls: z
    .strictObject({
      /** PEM file of the CA that signed the cluster's certificate. */
      ca: z.string().optional(),
      /** PEM client certificate and key for mutual TLS. */
      cert: z.string().optional(),
      key: z.string().optional(),
      /** Refuse an upstream certificate that does not verify (turn off only for tests). */
      rejectUnauthorized: z.boolean().default(true),
    })
    .default({ rejectUnauthorized: true }),
});

export const logSchema = z.strictObject({
  /** Log level of the JSON logs on stdout. */
  level: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  /** One access-log line per request, written at `info`: a `level` above it (`warn`, `error`…) drops them too. */
  access: z.boolean().default(true),
  /**
   * With `access`: also a line for each successful health probe (`GET /_vlrerank/health`, `?ready`,
   * `?live` answered 2xx). `false` leaves them out of the access log — a readiness probe every second
   * is 86,400 lines a day per prober — while `vlrerank_requests_total{route="admin"}` still counts
   * them; a failing probe (503) is logged either way.
   */
  accessProbes: z.boolean().default(true),
});

export const modelsSchema = z.strictObject({
  /** Where model weights live (pulled into, loaded from). */
  dir: z.string().min(1).default('.models'),
  /** Local mirror folders tried first by `models pull`, in order. */
  mirrors: z.array(z.string().min(1)).default([]),
  /** Execution provider: auto tries CUDA (when its binaries exist) and falls back to CPU. */
  device: z.enum(['auto', 'cpu', 'cuda']).default('auto'),
  /** onnxruntime intra-op threads per session (0: onnxruntime's default, one per core of the machine — or, when a CPU affinity or a cgroup CPU quota leaves fewer, `serve` uses that many). */
  intraOpThreads: nonNegativeInt.default(0),
  /** onnxruntime inter-op threads per session. */
  interOpThreads: nonNegativeInt.default(1),
  /**
   * onnxruntime intra-op thread spinning. Off: on the 2-core machines `npm run bench:features` measured
   * EfficientNet 0.4–0.8× as fast with it on at batch 1–8, warm and cold (PITFALLS.md).
   */
  allowSpinning: z.boolean().default(false),
  /**
   * Where onnxruntime runs the models: `worker`, in worker threads (models.inferenceWorkers), so a model run never
   * blocks the proxy's event loop; `main`, on the event loop itself (the old behaviour, kept as the
   * baseline of `npm run bench:event-loop`).
   */
  inferenceThread: z.enum(['worker', 'main']).default('worker'),
  /**
   * Nice value (0–19) of the inference worker thread and the onnxruntime threads it starts, and of
   * the other threads and processes that do only rerank and ingest work — the image worker thread,
   * the libvips threads sharp starts, ffmpeg children: they yield the CPU to the event loop
   * (passthrough, health, 429s) when the machine is saturated, and take it all when it is idle. 0
   * keeps them at the process's priority. Linux sets it per thread; where the OS refuses, it is
   * ignored. The inference part is not applied with `inferenceThread: main`.
   */
  inferenceNice: z.number().int().min(0).max(19).default(10),
  /**
   * Inference worker threads the object detector (NanoDet, one run per photo) is spread over, each
   * worker holding its own copy at cores ÷ workers intra-op threads, a run going to the least busy
   * one: two photos run side by side on one core each instead of one photo on two cores that
   * sharp's decodes preempt (perf19). EfficientNet and the text models stay in the first worker. 0: one per usable
   * core (CPU affinity, cgroup quota), at most 2. 1: one worker, the behaviour before perf19.
   * Each further worker costs a copy of the detector's session (DEPLOYMENT.md).
   */
  inferenceWorkers: nonNegativeInt.default(0),
  /**
   * The lane ingest, record write-back and backfill queue their model work in: `background` (a
   * search's query and documents go ahead of it; it still gets one batch in 8 while searches wait),
   * or `foreground` (one queue with searches' documents, the old behaviour: ingest keeps its pace,
   * searches wait behind it).
   */
  ingestLane: z.enum(['background', 'foreground']).default('background'),
  /** Precision variant per model id (fp32 / fp16 / int8) where its manifest lists files; default the manifest's. */
  precision: z.record(z.string(), z.enum(['fp32', 'fp16', 'int8'])).default({}),
  batch: z
    .strictObject({
      /** Most inputs one model run takes (a manifest may set a lower cap for its model). */
      maxBatchSize: positiveInt.default(16),
      /** How long a batch waits for more callers before it runs. */
      maxWaitMs: nonNegativeInt.default(2),
      /** Inputs waiting per model, for searches and for ingest each (models.ingestLane); past it callers get VLR_OVERLOADED (429). */
      maxQueue: positiveInt.default(1024),
    })
    .default({ maxBatchSize: 16, maxWaitMs: 2, maxQueue: 1024 }),
});

/**
 * How videos are sampled when neither a request, a document nor a pipeline says (`media.fps`,
 * `media.maxFrames`): the one spelling of these defaults — the schema's, the decoder's, the
 * reranker's and admission's cost all read it (fix20a: it was written out in five places).
 */
export const VIDEO_SAMPLING: Readonly<{ fps: number; maxFrames: number }> = Object.freeze({ fps: 1, maxFrames: 32 });

export const mediaSchema = z.strictObject({
  /** Local folders media paths may be read from; none by default. */
  roots: z.array(z.string().min(1)).default([]),
  /** Hosts or CIDRs allowed even though private/loopback (e.g. an internal CDN). */
  allowHosts: z.array(z.string().min(1)).default([]),
  /**
   * Egress proxy for media URLs: one URL for both schemes (`http://user:password@proxy.corp:3128`; credentials are sent as Proxy-Authorization and never logged), or `{http, https}`. https:// media go through CONNECT (TLS end to end), http:// media as the proxy's absolute-form request. The SSRF guard resolves and checks each hop's host before the proxy is asked; the proxy's own address is not checked. Unset: `https_proxy`/`HTTPS_PROXY` for https media (else the http proxy) and `http_proxy`/`HTTP_PROXY` for http media, lower case first. Only media use it: the upstream cluster is reached directly.
   */
  proxy: z.union([url, z.strictObject({ http: url.optional(), https: url.optional() })]).optional(),
  /** Media hosts fetched directly although a proxy is set, as curl reads NO_PROXY: names (and their subdomains; a leading `.` or `*.` is dropped), IPs, CIDRs (against IP literals only), each with an optional `:port`; `*` for all. Unset: `no_proxy`/`NO_PROXY`. */
  noProxy: z.array(z.string().min(1)).optional(),
  /** Largest image or fetched media, in bytes. */
  maxBytes: positiveInt.default(32 * 1024 * 1024),
  /** Largest image in pixels, checked from the header before decoding (decompression bombs). */
  maxPixels: positiveInt.default(50_000_000),
  /** Time limit for fetching one media URL. */
  fetchTimeoutMs: positiveInt.default(10_000),
  /** Redirects followed when fetching media; each target is checked by the SSRF guard again. */
  maxRedirects: nonNegativeInt.default(3),
  /**
   * How long a media URL's bytes are kept after a fetch for the asks that follow (a search by photo's kNN vector then its rerank, a write's vectors then its record, requests queued behind one another): fetched once, not once per use. Answers marked no-store / no-cache, or already stale (an Expires past or invalid, an Age past max-age), are not kept; a shorter freshness left (max-age, or Expires − Date, less Age) is obeyed. 0: not kept.
   */
  keepFetchedMs: nonNegativeInt.default(10_000),
  /** Bytes of recently fetched media kept in all (a media larger than a quarter of it is not kept). */
  keepFetchedBytes: positiveInt.default(64 * 1024 * 1024),
  /**
   * How long a media URL whose fetch failed (an HTTP error, a time-out, a refused connection, an unknown host) is answered that failure without asking its host again: a hit whose photo is gone, or whose host does not answer, costs each search a round trip or the whole fetchTimeoutMs otherwise. A 429/503's Retry-After (seconds) is obeyed up to five minutes. 0: asked again every time.
   */
  keepFailedMs: nonNegativeInt.default(10_000),
  /** ffmpeg binary used to sample video frames. */
  ffmpegPath: z.string().min(1).default('ffmpeg'),
  /** ffprobe binary used to read a video's duration and size. */
  ffprobePath: z.string().min(1).default('ffprobe'),
  /** Longest video accepted, in seconds. */
  maxVideoSeconds: z.number().positive().default(600),
  /** Largest video accepted, in bytes. */
  maxVideoBytes: positiveInt.default(256 * 1024 * 1024),
  /** ffmpeg is killed past this time for one video. */
  videoTimeoutMs: positiveInt.default(60_000),
  /** Frames sampled per second of video, unless a request says otherwise. */
  fps: z.number().positive().default(VIDEO_SAMPLING.fps),
  /** Most frames per video; beyond it frames are spread uniformly over the whole video. */
  maxFrames: positiveInt.default(VIDEO_SAMPLING.maxFrames),
});

export const cacheSchema = z.strictObject({
  /** Byte bound of the in-memory feature cache. Unset: 256 MiB, or under a cgroup memory limit min(256 MiB, max(16 MiB, (limit − 768 MiB) / 2)) so that the models and the cache fit (cache-budget.ts); a setting that cannot fit is warned at start. */
  maxBytes: positiveInt.optional(),
});

/**
 * Redis URL: redis:// or rediss:// (TLS), its path a database number or nothing. ioredis sends
 * `SELECT NaN` for `/abc` and nothing awaits it: the process ended at start (held-out probe round 9).
 */
const redisUrl = z
  .string()
  .url()
  .refine((u) => /^rediss?:\/\//.test(u), 'must be a redis:// or rediss:// URL')
  .refine((u) => /^\/?(\d{1,5})?$/.test(new URL(u).pathname), 'the path must be a database number (redis://host:6379/0) or nothing');

/** host:port of a sentinel ([::1]:26379 for IPv6). */
const hostPort = z.string().regex(/^(\[[0-9a-fA-F:.]+\]|[^\s:\[\]/]+):\d{1,5}$/, 'must be host:port (e.g. 10.0.0.5:26379)');

export const storeSchema = z.strictObject({
  disk: z
    .strictObject({
      /**
       * Folder of the persistent feature store (L2, LMDB), shared by the processes of one host.
       * Unset: no disk tier, except under `vlrerank serve` and `npm start`, which use
       * `<rerank.cacheDir>/features`; `off` turns it off there too.
       */
      path: z.string().min(1).optional(),
      /** Byte budget of the disk tier, its file included (kept within 1.25× of it); past it the least recently used entries are evicted in batches. */
      maxBytes: positiveInt.default(2 * 1024 * 1024 * 1024),
    })
    .default({ maxBytes: 2 * 1024 * 1024 * 1024 }),
  redis: z
    .strictObject({
      /** Redis shared by replicas (L3), e.g. redis://127.0.0.1:6379/0. Unset: no Redis tier. */
      url: redisUrl.optional(),
      /** Time to live of every stored feature (lets a `maxmemory` policy evict them; stale media ages out). */
      ttlSeconds: positiveInt.default(7 * 24 * 3600),
      /** Values larger than this are not written to Redis (a long video's frames stay in L1/L2). */
      maxValueBytes: positiveInt.default(2 * 1024 * 1024),
      /** How long one replica holds the lock on a media it computes; the others wait at most this long for its value, then compute anyway. */
      lockMs: positiveInt.default(5_000),
      /** Time-out of one Redis command: Redis slow or down costs a request at most about this. */
      commandTimeoutMs: positiveInt.default(50),
      /**
       * Prefix of every key vlrerank writes (`<prefix>f:` values, `<prefix>l:` locks). Deployments
       * with other models never read each other's values (keys name the models); give each its own
       * prefix to tell them apart in Redis, or to fit an ACL user's key pattern (`~vlr:*`).
       */
      keyPrefix: z.string().default('vlrerank:'),
      /**
       * Redis Sentinel: the sentinels as host:port; the URL's host is then the name of the monitored
       * primary (redis://:password@mymaster/0), the URL's user, password, database and TLS apply to
       * the primary found. Empty: the URL is the server itself.
       */
      sentinels: z.array(hostPort).default([]),
      /** Password of the sentinels themselves (their `requirepass`, as Helm charts set by default), when they have one. */
      sentinelPassword: z.string().min(1).optional(),
      /** ACL user of the sentinels (with `sentinelPassword`), when they have one for clients. */
      sentinelUsername: z.string().min(1).optional(),
      /** The sentinels listen with TLS (their `tls-port`); the primary's TLS is the URL's (`rediss://`). */
      sentinelTls: z.boolean().default(false),
      /** PEM file of the CA that signed the Redis servers' (and TLS sentinels') certificates, for a private CA (else the system's CAs and NODE_EXTRA_CA_CERTS). */
      ca: z.string().min(1).optional(),
      /** Redis Cluster: the URL is one node of the cluster (its others are learnt from it); database 0 only. */
      cluster: z.boolean().default(false),
    })
    .default({ ttlSeconds: 7 * 24 * 3600, maxValueBytes: 2 * 1024 * 1024, lockMs: 5_000, commandTimeoutMs: 50, keyPrefix: 'vlrerank:', sentinels: [], sentinelTls: false, cluster: false })
    .refine((r) => !(r.cluster && r.sentinels.length > 0), { message: 'sentinels and cluster are exclusive: a Redis Cluster fails over by itself', path: ['cluster'] })
    .refine((r) => !(r.sentinelPassword && r.sentinels.length === 0), { message: 'sentinelPassword without sentinels: the URL carries the server\'s own password', path: ['sentinelPassword'] })
    .refine((r) => !(r.sentinelUsername && !r.sentinelPassword), { message: 'sentinelUsername without sentinelPassword: an ACL user logs in with its password', path: ['sentinelUsername'] })
    .refine((r) => !(r.sentinelTls && r.sentinels.length === 0), { message: 'sentinelTls without sentinels: a server\'s own TLS is the URL\'s (rediss://)', path: ['sentinelTls'] })
    .refine((r) => !(r.cluster && r.url && !/^\/?0?$/.test(new URL(r.url).pathname)), { message: 'a Redis Cluster has database 0 only: leave the URL without a path', path: ['url'] }),
});

export const rerankSchema = z.strictObject({
  /** Most documents in one rerank request. */
  maxDocuments: positiveInt.default(1000),
  /** Where derived data is kept between runs (concept-label embeddings of the ConSE bridge). */
  cacheDir: z.string().min(1).default('.cache/vlrerank'),
  /** Fusion weights by signal name, over the defaults (src/rerank/fusion.ts). */
  weights: z.record(z.string(), z.number().nonnegative()).default({}),
  /** Run OCR on document images for the ocr_text signal unless a request says otherwise (slow); not for a pipeline that weighs `ocr_text` 0. Without the OCR model's files the server serves without it, health yellow naming it. */
  ocr: z.boolean().default(false),
  /**
   * Document texts longer than the text model's window (bge-small: 512 tokens) scored in
   * overlapping chunks, the document by its best chunk (src/rerank/chunking.ts); `false`: cut at
   * the window. Pipelines override it (`scorer.chunking`).
   */
  chunking: z
    .union([
      z.literal(false),
      z.strictObject({
        maxTokens: z.number().int().min(16).optional(),
        overlap: nonNegativeInt.default(128),
        aggregate: z.enum(['max', 'mean', 'max_mean']).default('max'),
        /** Chunks of one text read at most (each one model run); the text past the last is not read. */
        maxChunks: z.number().int().min(1).max(256).optional(),
      }),
    ])
    .default(false),
  /**
   * Time budget of one rerank API call (`/v1/rerank`, `/v2/rerank`, `/rerank`, `/v1/score`, `/score`,
   * `/_vlrerank/rerank`), queue included; a call may set its own with the `x-vlrerank-budget-ms`
   * header. Media not arrived by 80 % of it (at least 1 s before its end) are given up (their documents scored on the rest and
   * named in `meta.warnings`); past it the call answers 504. 0: no budget. 30 s answers before the
   * 60 s idle time-outs of common load balancers (nginx, AWS ALB) and leaves room for one fetch of
   * `media.fetchTimeoutMs`; searches keep their pipeline's `budget_ms`.
   */
  apiBudgetMs: z.number().int().min(0).max(3_600_000).default(30_000),
  /** Rerank requests processed at once; more wait in a queue (x-vlrerank-queue-ms). */
  maxConcurrentRequests: positiveInt.default(4),
  /**
   * Admission control: bounds on rerank work queued behind the running requests; past them a
   * request is refused at once with 429 and Retry-After (a reranked search follows its pipeline's
   * failure policy). Unset bounds are sized from the usable cores (os.availableParallelism(), lowered by a cgroup CPU quota).
   */
  admission: z
    .strictObject({
      /** Rerank requests waiting for a slot (default 8 per core). */
      maxQueued: positiveInt.optional(),
      /** Documents of work running at once; an image or video frame counts 6 (default 256 per core). */
      maxInFlightDocuments: positiveInt.optional(),
      /** Documents of work waiting (default 1024 per core). */
      maxQueuedDocuments: positiveInt.optional(),
      /** Longest wait in the queue; a request estimated to wait longer is refused before it waits. */
      maxQueueWaitMs: positiveInt.default(10_000),
      /** Share of the queue one client (x-vlrerank-client header, else remote address) may hold; 1 turns fairness off. */
      clientShare: z.number().positive().max(1).default(0.5),
      /**
       * Latency target (experimental, off by default): admit a request only while its predicted
       * finish (the idle-server time of the work ahead of it, then its own) stays within this many
       * times its own idle-server time; beyond it 429 at once. 3 lets a burst of about 5 equal
       * requests run. 0 (default) turns it off: requests queue up to maxQueueWaitMs.
       */
      latencyFactor: z.number().min(0).max(1000).default(0),
    })
    .default({ maxQueueWaitMs: 10_000, clientShare: 0.5, latencyFactor: 0 }),
  /** Load the models in the background when the server starts with pipelines (searches arriving meanwhile wait for it outside their budget); false: load on first use. */
  warmup: z.boolean().default(true),
  /** A trained CLIP-family model id (manifest in models/) for the `clip` text→image signal; none by default. */
  clipModel: z.string().min(1).optional(),
  /** Remote scorer workers (`/v1/rerank` servers). */
  remote: z
    .strictObject({
      /** `/v1/rerank` servers (vLLM, SGLang, Xinference, another vlrerank); tried in turn. */
      urls: z.array(url).default([]),
      /** Model name sent to the remote servers. */
      model: z.string().optional(),
      /** Bearer token for the remote servers. */
      apiKey: z.string().optional(),
      /** Time limit of one remote rerank call (a search's rerank budget bounds it further). */
      timeoutMs: positiveInt.default(30_000),
      /** Failures in a row that take a worker out (circuit breaker). */
      breakerThreshold: positiveInt.default(3),
      /** How long a worker stays out before one trial call (doubles while it keeps failing, up to 60 s). */
      breakerCooldownMs: positiveInt.default(5_000),
      /** Send a slow call to a second worker after this many ms; unset: after the 95th percentile of recent calls; 0: never. */
      hedgeAfterMs: z.number().int().nonnegative().optional(),
      /** Largest local file or upload sent to a worker (as a data: URI). */
      maxMediaBytes: positiveInt.default(8 * 1024 * 1024),
      /** Longest image side sent to a worker (images are shrunk to it, JPEG). */
      maxImageSide: positiveInt.default(1024),
      /** https workers: PEM files of the CA that signed their certificates, a client certificate and key (mutual TLS). */
      tls: z
        .strictObject({
          /** PEM file of the CA that signed the workers' certificates. */
          ca: z.string().optional(),
          /** PEM client certificate and key for mutual TLS. */
          cert: z.string().optional(),
          key: z.string().optional(),
          /** Refuse a worker certificate that does not verify (turn off only for tests). */
          rejectUnauthorized: z.boolean().default(true),
        })
        .default({ rejectUnauthorized: true }),
    })
    .default({ urls: [], timeoutMs: 30_000, breakerThreshold: 3, breakerCooldownMs: 5_000, maxMediaBytes: 8 * 1024 * 1024, maxImageSide: 1024, tls: { rejectUnauthorized: true } }),
});

export const pipelinesSchema = z.strictObject({
  /** Folder of pipeline YAML files. */
  dir: z.string().min(1).default('pipelines'),
  /**
   * How long (ms) what an alias or a wildcard no pipeline pattern covers names (its indices, its
   * write index) is kept before the engine is asked again; a moved alias is seen after at most this
   * by writes, and at once by a search (or an `_msearch` item) that gets hits of an index of another pipeline (asked again,
   * once). 0: asked at every search or write that depends on it. Also how long an index's
   * `default_pipeline` and `final_pipeline` (the engine ingest pipelines its writes run unnamed,
   * simulated before vectors are computed) are kept; a settings, template, alias or index write
   * through vlrerank has them read again at the next write. And how long what an OpenSearch cluster
   * search pipeline's name stands for (a rerank processor naming a vlrerank pipeline, or none) is kept;
   * a search pipeline write through vlrerank has it read again.
   */
  aliasCacheMs: z.number().int().min(0).max(3_600_000).default(10_000),
  /**
   * How long (ms) a concrete index's mapping read for a single-document write (`_doc`, `_create`,
   * `_update`: does it map the vectors, the record field?) is kept for the next ones; an index
   * deleted and created again is seen when the engine's answer says so, else after at most this.
   * 0: read at every write. A `_bulk` reads it at every request.
   */
  mappingCacheMs: z.number().int().min(0).max(60_000).default(1_000),
  /**
   * How long (ms) an index's `index.max_result_window`, learnt from the engine's refusal of a
   * reranked search's window, is kept: later searches on it ask within it at once instead of being
   * refused first. A setting raised (or the index created again with a larger one) is used after at
   * most this; one lowered is learnt again from the next refusal. 0: not kept.
   */
  resultWindowCacheMs: z.number().int().min(0).max(3_600_000).default(60_000),
  /**
   * Time (ms) a `_bulk` into a pipeline's index has for adding vectors and feature records, from its
   * arrival: documents not embedded by then are not stored — each gets the engine's own per-item
   * **429** (`es_rejected_execution_exception`), which the official bulk helpers retry (held-out probe
   * round 21b: with none, a 2 MB `helpers.bulk` flush took minutes, past the clients' 30 s (JS) and
   * 10 s (Python) request time-outs: the helper threw, its documents stored without records, unsaid).
   * Work under way then finishes in the background, so the retry finds it done: a body's first documents
   * (as many as it embeds at once) always start their work, and a document sent again once its work has
   * ended is stored at once (each try stores what earlier tries finished and begins more; a body led by a
   * long video answers at the budget, not when the video is done — fix23v). Keep it below the clients'
   * request time-out. 0: no budget.
   * Not applied to the Go clients (go-elasticsearch, opensearch-go: their BulkIndexers never retry a 429
   * item, held-out probe round 22b): their `_bulk` waits for its documents.
   */
  bulkBudgetMs: z.number().int().min(0).max(3_600_000).default(8_000),
  /**
   * Watch the pipelines folder and reload it when it changes (the same validated path as
   * `POST /_vlrerank/pipelines/_reload`: an invalid set keeps the one serving): fs.watch, debounced,
   * plus a check of the folder's digest every `watchIntervalMs` (fs.watch misses some changes: a
   * Kubernetes ConfigMap's `..data` swap on some mounts, a folder reached through a symlink that is
   * repointed). Each replica watches its own folder.
   */
  watch: z.boolean().default(false),
  /** With `watch`: how often (ms) the folder's digest is checked whatever fs.watch says. */
  watchIntervalMs: z.number().int().min(200).max(3_600_000).default(10_000),
  /**
   * With the Redis tier (`store.redis.url`): how long (ms) `POST /_vlrerank/pipelines/_reload` waits
   * for the other replicas to say they reloaded (each re-reads its own folder when told over Redis
   * pub/sub). 0: do not tell them.
   */
  reloadAckMs: z.number().int().min(0).max(60_000).default(2_000),
  /**
   * With the Redis tier: how often (ms) a replica reads the last reload told over Redis (a key beside
   * the channel, one GET) and reloads its own folder if it missed it — pub/sub keeps nothing, so a
   * replica whose connection was down when the reload was published learns of it at its
   * resubscription, or at this check. 0: at resubscription only.
   */
  peerCheckMs: z.number().int().min(0).max(3_600_000).default(30_000),
});

export const demoSchema = z.strictObject({
  /** Folder holding the demo data sets (../shared/data layout). */
  dataDir: z.string().min(1).default('../shared/data'),
});

export const configSchema = z.strictObject({
  server: serverSchema.default(serverSchema.parse({})),
  upstream: upstreamSchema.default(upstreamSchema.parse({})),
  log: logSchema.default(logSchema.parse({})),
  models: modelsSchema.default(modelsSchema.parse({})),
  media: mediaSchema.default(mediaSchema.parse({})),
  cache: cacheSchema.default(cacheSchema.parse({})),
  store: storeSchema.default(storeSchema.parse({})),
  rerank: rerankSchema.default(rerankSchema.parse({})),
  pipelines: pipelinesSchema.default(pipelinesSchema.parse({})),
  demo: demoSchema.default(demoSchema.parse({})),
}).superRefine((c, ctx) => {
  // one request's documents wait in the text model's queue together: more than it holds is
  // refused "overloaded, retry later" every time (held-out probe round 11b) — say so at the start
  if (c.rerank.maxDocuments > c.models.batch.maxQueue) {
    ctx.addIssue({
      code: 'custom',
      path: ['rerank', 'maxDocuments'],
      message: `${c.rerank.maxDocuments} is more than models.batch.maxQueue (${c.models.batch.maxQueue}), the inputs a model's queue holds: a request of that many documents could never be queued — raise models.batch.maxQueue with it`,
    });
  }
});

export type Config = z.infer<typeof configSchema>;
export type ConfigInput = z.input<typeof configSchema>;
/** The `store` section as written (defaults unfilled): what `new Reranker({ store })` takes too. */
export type StoreInput = z.input<typeof storeSchema>;

/** Dotted paths of settings that are secrets: redacted by `vlrerank config` and in logs. */
export const SECRET_PATHS = ['server.adminToken', 'rerank.remote.apiKey', 'upstream.tls.key', 'rerank.remote.tls.key', 'store.redis.url', 'store.redis.sentinelPassword'] as const;
