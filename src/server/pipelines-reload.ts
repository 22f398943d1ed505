/**
 * Reading the pipelines folder into a set the server can serve — at the start (services.ts) and
 * again while it serves (`POST /_vlrerank/pipelines/_reload`, closing held-out probe round 18b's
 * leftover: a tenant's new pipeline file needed every replica rolled).
 *
 * A reload validates the new set whole, with the start's checks (schema, the same default pattern
 * twice, duplicate names, weights naming no signal): an invalid set leaves the one serving in place,
 * is logged, counted (`vlrerank_pipeline_reloads_total{outcome="invalid"}`) and answered as an
 * ES-shaped 400 naming the file and the key. A valid one first warms the models it needs that the
 * set serving did not (image models for a first pipeline with photos, OCR for a first
 * `image_ocr_text` weight), so its first searches do not spend their budget loading them, then
 * replaces the set (LivePipelines): searches under way finish on the set they started with.
 * Reloads run one at a time.
 */
import type { Config } from '../config/schema.js';
import { vlrError, toVlrerankError } from '../errors.js';
import type { Logger } from '../observability/logger.js';
import type { Metrics } from '../observability/metrics.js';
import { loadPipelines, missingPipelinesFolder, PipelineRegistry, unreadPipelineFiles, type LivePipelines, type Pipeline } from '../pipelines/index.js';
import { unknownSignalReason, unknownSignals } from '../rerank/fusion.js';
import type { Reranker } from '../rerank/reranker.js';
import { warmNeeds } from './warmup.js';

/** Outcomes of a reload, each a series from the start. */
export const RELOAD_OUTCOMES = ['reloaded', 'unchanged', 'invalid'] as const;

/**
 * What asked for a reload: `api` (`POST /_vlrerank/pipelines/_reload` on this replica), `watch`
 * (`pipelines.watch` saw the folder change), `peer` (another replica's `_reload`, told over Redis).
 */
export type ReloadTrigger = 'api' | 'watch' | 'peer';

/** The last reload's outcome, for health: an invalid set found by the watch or a peer is said there (no one got its 400). */
export interface LastReload {
  outcome: (typeof RELOAD_OUTCOMES)[number];
  trigger: ReloadTrigger;
  at: string;
  generation: number;
  reason?: string;
}

/** Read and validate the pipelines folder (throws VLR_PIPELINE_INVALID naming each file and key). */
export function readPipelineSet(config: Config): PipelineRegistry {
  const registry = new PipelineRegistry(loadPipelines(config.pipelines.dir));
  // a weight naming no signal would never be read: refused like any other key (pipelines/ cannot see rerank/'s signals)
  const typos = registry.pipelines.flatMap((p) => unknownSignals(p.scorer.weights).map((n) => `${p.source}: scorer.weights: ${unknownSignalReason(n)}`));
  if (typos.length) throw vlrError('VLR_PIPELINE_INVALID', typos.join('; '), { status: 500 });
  return registry;
}

export interface ReloadDeps {
  config: Config;
  logger: Logger;
  metrics: Metrics;
  live: LivePipelines;
  reranker: Pick<Reranker, 'warmup'>;
}

export interface ReloadResult {
  acknowledged: true;
  /**
   * `noop`: the folder says what the set serving says (its digest): that set, its generation and
   * `loaded_at` are kept — Elasticsearch's word for an update that changes nothing. `reloaded`: a
   * new generation serves.
   */
  result: 'reloaded' | 'noop';
  generation: number;
  loaded_at: string;
  /** What the set says (pipelines/live.ts): equal on replicas serving the same pipelines. */
  digest: string;
  pipelines: number;
  added: string[];
  removed: string[];
  /** Files whose names look meant as pipelines but are not read (`a.json`, `a.yaml.txt`, `a.yaml~`): only with some. */
  not_read?: string[];
  changed: string[];
  /** The models the new set needed warmed first: what was warmed, in how long, or why it failed (its searches then load them, as after a start). */
  warmup?: { state: 'ready' | 'failed'; media: boolean; ocr: boolean; ms: number; code?: string; reason?: string };
}

/** What makes a pipeline another one (its source file aside: a renamed file with the same content is the same pipeline). */
const specOf = (p: Pipeline) => JSON.stringify({ ...p, source: undefined });

export class PipelineReloader {
  #chain: Promise<unknown> = Promise.resolve();
  #last: LastReload | undefined;

  constructor(private readonly deps: ReloadDeps) {}

  /** Reload the folder (after any reload under way); rejects with a 400 VLR_PIPELINE_INVALID when the new set is invalid. */
  reload(trigger: ReloadTrigger = 'api'): Promise<ReloadResult> {
    const run = this.#chain.then(() => this.#reload(trigger));
    this.#chain = run.catch(() => undefined);
    return run;
  }

  /** The last reload since the start (none: undefined). */
  get last(): LastReload | undefined {
    return this.#last;
  }

  async #reload(trigger: ReloadTrigger): Promise<ReloadResult> {
    const { config, logger, metrics, live } = this.deps;
    let next: PipelineRegistry;
    try {
      // a missing folder is "no pipelines" at the start (a warning); at a reload it was taken as
      // every pipeline removed, acknowledged 200 — a folder moved away, replaced or not yet mounted
      // during a deploy dropped every tenant's reranking (held-out probe round 19c). An empty folder
      // still removes them: that one says so.
      const missing = missingPipelinesFolder(config.pipelines.dir);
      if (missing) throw vlrError('VLR_PIPELINE_INVALID', `${missing}: a reload would remove every pipeline (to serve none, leave the folder empty)`, { status: 500 });
      next = readPipelineSet(config);
    } catch (e) {
      const err = toVlrerankError(e);
      metrics.pipelineReloads.inc({ outcome: 'invalid' });
      this.#last = { outcome: 'invalid', trigger, at: new Date().toISOString(), generation: live.generation.generation, reason: err.message };
      logger.error({ dir: config.pipelines.dir, trigger, generation: live.generation.generation, reason: err.message }, 'pipelines reload refused: the set serving stays');
      throw err.code === 'VLR_PIPELINE_INVALID' ? vlrError('VLR_PIPELINE_INVALID', `pipelines reload refused, the set serving (generation ${live.generation.generation}) stays: ${err.message}`) : err;
    }
    const old = live.current;
    const warmup = await this.#warm(old.pipelines, next.pipelines);
    const before = new Map(old.pipelines.map((p) => [p.name, specOf(p)]));
    const added = next.pipelines.filter((p) => !before.has(p.name)).map((p) => p.name);
    const changed = next.pipelines.filter((p) => before.has(p.name) && before.get(p.name) !== specOf(p)).map((p) => p.name);
    const kept = new Set(next.pipelines.map((p) => p.name));
    const removed = old.pipelines.filter((p) => !kept.has(p.name)).map((p) => p.name);
    const was = live.generation;
    const g = live.replace(next);
    const result = g === was ? 'noop' : 'reloaded';
    metrics.pipelineReloads.inc({ outcome: result === 'noop' ? 'unchanged' : 'reloaded' });
    metrics.pipelinesGeneration.set(g.generation);
    this.#last = { outcome: result === 'noop' ? 'unchanged' : 'reloaded', trigger, at: g.loadedAt, generation: g.generation };
    logger.info({ trigger, generation: g.generation, digest: g.digest, pipelines: next.pipelines.length, result, added, removed, changed, ...(warmup ? { warmup } : {}) }, result === 'noop' ? 'rerank pipelines reloaded: nothing changed, the set serving stays' : 'rerank pipelines reloaded');
    const unread = unreadPipelineFiles(config.pipelines.dir);
    return { acknowledged: true, result, generation: g.generation, loaded_at: g.loadedAt, digest: g.digest, pipelines: next.pipelines.length, added, removed, changed, ...(unread.length ? { not_read: unread } : {}), ...(warmup ? { warmup } : {}) };
  }

  /** Warm what the new set needs and the old one did not, before the new one serves. */
  async #warm(old: readonly Pipeline[], next: readonly Pipeline[]): Promise<ReloadResult['warmup']> {
    const had = warmNeeds(old, this.deps.config);
    const needs = warmNeeds(next, this.deps.config);
    if (!needs || (had && (had.media || !needs.media) && (had.ocr || !needs.ocr))) return undefined;
    const t0 = performance.now();
    try {
      await this.deps.reranker.warmup(needs);
      return { state: 'ready', ...needs, ms: Math.round(performance.now() - t0) };
    } catch (e) {
      const err = toVlrerankError(e);
      this.deps.logger.warn({ code: err.code, reason: err.message }, 'pipelines reload: warming the models the new set needs failed; its searches load them on first use and follow their failure policy');
      return { state: 'failed', ...needs, ms: Math.round(performance.now() - t0), code: err.code, reason: err.message };
    }
  }
}
