/**
 * The `rerank` section: documents, signals, budgets, admission control and remote scorers.
 *
 * One of the sections of the one configuration schema (schema.ts, which assembles and re-exports them; import
 * from there). The doc comment above each key is its description in README.md's generated
 * configuration reference (scripts/config-reference.ts).
 */
import { z } from 'zod';
import { nonNegativeInt, positiveInt, url } from './schema-parts.js';

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
