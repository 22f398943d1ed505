/**
 * The `server`, `upstream` and `log` sections: how vlrerank listens, reaches the cluster and logs.
 *
 * One of the sections of the one configuration schema (schema.ts, which assembles and re-exports them; import
 * from there). The doc comment above each key is its description in README.md's generated
 * configuration reference (scripts/config-reference.ts).
 */
import { z } from 'zod';
import { nonNegativeInt, noQueryOrFragment, port, positiveInt, url } from './schema-parts.js';

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
