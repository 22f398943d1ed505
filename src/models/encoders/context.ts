/**
 * What every encoder needs from the Models facade: the registry (manifests, files, sessions),
 * the batching settings, the image input pool, and a hook for batch-size metrics; and the steps every encoder's
 * create() shares (the manifest of the right task, the class names).
 */
import { vlrError } from '../../errors.js';
import { Batcher } from '../batcher.js';
import type { InputPool } from '../input-pool.js';
import type { Manifest, Precision } from '../manifest.js';
import type { ModelRegistry } from '../registry.js';

export interface BatchSettings {
  maxBatchSize: number;
  maxWaitMs: number;
  maxQueue: number;
}

export interface EncoderContext {
  registry: ModelRegistry;
  batch: BatchSettings;
  precision?: Precision;
  /** The pool of shared buffers the image models' inputs are written into: the Models' one (its encoders share it); an image encoder made without one has its own. */
  inputs?: InputPool;
  onBatch?: (model: string, size: number) => void;
}

/**
 * A batcher for one model, with the model's own batch limit (fixed-batch exports say 1), running
 * up to `concurrency` batches at once (the session's `parallelRuns`: one per inference worker holding a copy).
 */
export function makeBatcher<I, O>(ctx: EncoderContext, name: string, maxModelBatch: number | undefined, run: (items: I[]) => Promise<O[]>, concurrency = 1): Batcher<I, O> {
  return new Batcher(run, {
    name,
    concurrency,
    maxBatchSize: Math.min(ctx.batch.maxBatchSize, maxModelBatch ?? Infinity),
    maxWaitMs: ctx.batch.maxWaitMs,
    maxQueue: ctx.batch.maxQueue,
    onBatch: ctx.onBatch ? (n) => ctx.onBatch!(name, n) : undefined,
  });
}

/** The manifest of model `id`, refused (400) unless it is for `task`; `what` names the task in the message ("an object-detector"). */
export function manifestFor(ctx: EncoderContext, id: string, task: Manifest['task'], what: string): Manifest {
  const m = ctx.registry.manifest(id);
  if (m.task !== task) throw vlrError('VLR_BAD_REQUEST', `model ${id} is a ${m.task}, not ${what}`);
  return m;
}

/** A model's class names (its `classes` file); none when it ships none. */
export async function classNames(ctx: EncoderContext, m: Manifest): Promise<string[]> {
  return m.files.some((f) => f.role === 'classes') ? await ctx.registry.readJson<string[]>(m.id, 'classes') : [];
}
