/**
 * `vlrerank index setup <index>`: create the index (or add the missing fields) with the mapping
 * its pipeline needs on the engine behind (vectors, and the feature-record field when the pipeline
 * keeps records in the index). `vlrerank index backfill <index>`: add the pipeline's
 * vectors to documents already in the index (resumable, with a progress bar).
 */
import type { Command } from 'commander';
import cliProgress from 'cli-progress';
import { addConfigFlags, configFromFlags, runAction, type ConfigFlags } from './common.js';
import { vlrError } from '../errors.js';
import { loadPipelines, PipelineRegistry, type Pipeline } from '../pipelines/index.js';
import { EngineClient } from '../engine/client.js';
import { setupIndex } from '../engine/mapping.js';
import { UpstreamPool } from '../proxy/pool.js';
import { RerankerEmbedder } from '../rerank/embedder.js';
import { createRerankService } from '../rerank/service.js';
import { backfill } from '../ingest/backfill.js';
import { createLogger } from '../observability/logger.js';
import { createMetrics } from '../observability/metrics.js';
import type { Config } from '../config/schema.js';

interface IndexFlags extends ConfigFlags {
  pipeline?: string;
  batch?: string;
}

function pipelineFor(config: Config, index: string, name?: string): Pipeline {
  const reg = new PipelineRegistry(loadPipelines(config.pipelines.dir));
  const p = name ? reg.get(name) : reg.forIndex(index);
  if (!p) throw vlrError('VLR_NOT_FOUND', name ? `no pipeline named "${name}" in ${config.pipelines.dir}` : `no pipeline in ${config.pipelines.dir} covers index "${index}" (use --pipeline)`);
  return p;
}

export function registerIndex(program: Command): void {
  const cmd = program.command('index').description('prepare indices for reranking: mappings and vectors');
  addConfigFlags(cmd.command('setup <index>').description('create the index (or add missing fields) with the vector mapping of its pipeline'))
    .option('--pipeline <name>', 'pipeline to use (default: the one whose index_patterns match)')
    .action((index: string, flags: IndexFlags) =>
      runAction(async () => {
        const config = configFromFlags(flags);
        const pool = new UpstreamPool(config.upstream);
        try {
          const r = await setupIndex(new EngineClient(pool), pipelineFor(config, index, flags.pipeline), index);
          process.stdout.write(`${r.action} ${r.index} on ${r.dialect}\n${JSON.stringify(r.mapping, null, 2)}\n`);
          for (const n of r.notes ?? []) process.stderr.write(`note: ${n}\n`);
        } finally {
          await pool.close();
        }
      }),
    );
  addConfigFlags(cmd.command('backfill <index>').description("add the pipeline's vectors to documents already in the index (resumable)"))
    .option('--pipeline <name>', 'pipeline to use (default: the one whose index_patterns match)')
    .option('--batch <n>', 'documents per page and bulk request', '32')
    .action((index: string, flags: IndexFlags) =>
      runAction(async () => {
        const config = configFromFlags(flags);
        const pipeline = pipelineFor(config, index, flags.pipeline);
        const pool = new UpstreamPool(config.upstream);
        const logger = createLogger(config.log.level === 'info' ? 'warn' : config.log.level);
        const svc = await createRerankService(config, { logger, metrics: createMetrics() });
        const bar = new cliProgress.SingleBar({ format: `${index} [{bar}] {value}/{total} docs | {eta_formatted} left | failed {failed}`, hideCursor: true }, cliProgress.Presets.shades_classic);
        let started = false;
        try {
          const r = await backfill(new EngineClient(pool), pipeline, index, new RerankerEmbedder(svc.reranker, { fps: pipeline.scorer.fps ?? config.media.fps, maxFrames: pipeline.scorer.max_frames ?? config.media.maxFrames }), {
            batch: Number(flags.batch) || 32,
            onProgress: (p) => {
              if (!started) {
                bar.start(p.total, 0, { failed: 0 });
                started = true;
              }
              bar.update(p.done, { failed: p.failed });
            },
          });
          bar.stop();
          process.stdout.write(`${index}: ${r.vectorized} documents got vectors, ${r.failed} could not (media unreadable; rerun to retry)\n`);
        } finally {
          if (started) bar.stop();
          await svc.close();
          await pool.close();
        }
      }),
    );
}
