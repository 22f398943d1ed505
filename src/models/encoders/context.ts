/**
 * What every encoder needs from the Models facade: the registry (manifests, files, sessions),
 * the batching settings, and a hook for batch-size metrics.
 */
import { Batcher } from '../batcher.js';
import type { Precision } from '../manifest.js';
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
  onBatch?: (model: string, size: number) => void;
}

/** A batcher for one model, with the model's own batch limit (fixed-batch exports say 1). */
export function makeBatcher<I, O>(ctx: EncoderContext, name: string, maxModelBatch: number | undefined, run: (items: I[]) => Promise<O[]>): Batcher<I, O> {
  return new Batcher(run, {
    name,
    maxBatchSize: Math.min(ctx.batch.maxBatchSize, maxModelBatch ?? Infinity),
    maxWaitMs: ctx.batch.maxWaitMs,
    maxQueue: ctx.batch.maxQueue,
    onBatch: ctx.onBatch ? (n) => ctx.onBatch!(name, n) : undefined,
  });
}
