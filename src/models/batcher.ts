/**
 * Dynamic batching per model: callers submit single items; the batcher groups up to
 * `maxBatchSize` items that arrive within `maxWaitMs` of the first waiting one into one model
 * run, and gives each caller its own result (or the batch's error). The queue is bounded: when
 * `maxQueue` items wait, `submit` rejects at once with VLR_OVERLOADED (never an unbounded backlog).
 *
 * One batch runs at a time per batcher: the model is the bottleneck, and onnxruntime already
 * uses the intra-op threads for a single run. Knows nothing about models: `runBatch` does the work.
 */
import { vlrError } from '../errors.js';

export interface BatcherOptions {
  /** Name in errors and metrics (the model id). */
  name: string;
  maxBatchSize: number;
  maxWaitMs: number;
  maxQueue: number;
  /** Called with the size of each batch run (metrics hook). */
  onBatch?: (size: number) => void;
}

interface Pending<I, O> {
  item: I;
  resolve: (o: O) => void;
  reject: (e: unknown) => void;
}

export class Batcher<I, O> {
  readonly options: BatcherOptions;
  readonly #run: (items: I[]) => Promise<O[]>;
  #queue: Pending<I, O>[] = [];
  #timer: NodeJS.Timeout | undefined;
  #running = false;
  #closed = false;

  constructor(runBatch: (items: I[]) => Promise<O[]>, options: BatcherOptions) {
    if (options.maxBatchSize < 1) throw vlrError('VLR_CONFIG_INVALID', `batcher ${options.name}: maxBatchSize must be ≥ 1`);
    this.#run = runBatch;
    this.options = options;
  }

  /** Items waiting (not yet in a running batch). */
  get pending(): number {
    return this.#queue.length;
  }

  submit(item: I): Promise<O> {
    if (this.#closed) return Promise.reject(vlrError('VLR_MODEL_RUNTIME', `model ${this.options.name} is closed`));
    if (this.#queue.length >= this.options.maxQueue) {
      return Promise.reject(
        vlrError('VLR_OVERLOADED', `model ${this.options.name} is overloaded: ${this.#queue.length} inputs already queued (max ${this.options.maxQueue}); retry later`),
      );
    }
    return new Promise<O>((resolve, reject) => {
      this.#queue.push({ item, resolve, reject });
      this.#schedule();
    });
  }

  /** Submit several items; resolves in the same order. */
  submitAll(items: I[]): Promise<O[]> {
    return Promise.all(items.map((i) => this.submit(i)));
  }

  #schedule(): void {
    if (this.#running) return;
    if (this.#queue.length >= this.options.maxBatchSize || this.options.maxWaitMs === 0) {
      this.#clearTimer();
      // run on the next microtask turn so that synchronous submits of one caller join the batch
      queueMicrotask(() => void this.#drain());
      return;
    }
    if (!this.#timer) this.#timer = setTimeout(() => void this.#drain(), this.options.maxWaitMs);
  }

  #clearTimer(): void {
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  async #drain(): Promise<void> {
    this.#clearTimer();
    if (this.#running || this.#queue.length === 0) return;
    this.#running = true;
    const batch = this.#queue.splice(0, this.options.maxBatchSize);
    try {
      this.options.onBatch?.(batch.length);
      const out = await this.#run(batch.map((p) => p.item));
      if (out.length !== batch.length) throw vlrError('VLR_INTERNAL', `batcher ${this.options.name}: ${out.length} results for ${batch.length} inputs`);
      batch.forEach((p, i) => p.resolve(out[i]!));
    } catch (e) {
      for (const p of batch) p.reject(e);
    } finally {
      this.#running = false;
      if (this.#queue.length) this.#schedule();
    }
  }

  /** Reject everything still queued and refuse new work. */
  close(): void {
    this.#closed = true;
    this.#clearTimer();
    const q = this.#queue;
    this.#queue = [];
    for (const p of q) p.reject(vlrError('VLR_MODEL_RUNTIME', `model ${this.options.name} was closed`));
  }
}
