/**
 * Dynamic batching per model: callers submit single items; the batcher groups up to
 * `maxBatchSize` items that arrive within `maxWaitMs` of the first waiting one into one model
 * run, and gives each caller its own result (or the batch's error). The queue is bounded: when
 * `maxQueue` items wait, `submit` rejects at once with VLR_OVERLOADED (never an unbounded backlog).
 *
 * One batch runs at a time per batcher, or up to `concurrency` when the model's session has that
 * many copies in an inference pool (session-worker.ts): a batch goes out as soon as a copy is free,
 * and items arriving meanwhile gather into the next. Knows nothing about models: `runBatch` does the work.
 *
 * An item submitted with an AbortSignal leaves the queue when that signal aborts (its caller gets
 * the abort reason at once), so a request past its budget stops costing model runs: a batch is
 * only ever made of items someone still waits for. A batch already running is not interrupted
 * (onnxruntime cannot cancel a run). Items shared by several requests must be submitted with a
 * signal that aborts only when all of them gave up (util/abort.ts).
 *
 * Items wait in priority lanes (util/lanes.ts): an item submitted `first` (a search's query) is
 * the `query` class, other items take the lane their signal is marked with — `foreground` (a
 * search's or a rerank call's documents) unless it is `background` (ingest, backfill, record
 * write-back). A batch is made of query and foreground items while any waits;
 * background items run when none does, and take one batch in every `backgroundEvery` while they
 * are passed over (no starvation). Each class has its own `maxQueue` places: ingest filling its
 * queue never gets a search refused as overloaded (held-out probe round 10b: ingest starved searches).
 */
import { vlrError } from '../errors.js';
import { fanOutSignal } from '../util/abort.js';
import { LaneQueue, laneOf, type Lane } from '../util/lanes.js';
import { countRun, currentMeter, type WorkMeter } from '../util/work-meter.js';

export interface BatcherOptions {
  /** Name in errors and metrics (the model id). */
  name: string;
  maxBatchSize: number;
  maxWaitMs: number;
  maxQueue: number;
  /** Batches running at once (default 1). */
  concurrency?: number;
  /** Called with the size of each batch run (metrics hook). */
  onBatch?: (size: number) => void;
  /** One background batch in every this many while foreground items wait (default util/lanes.ts BACKGROUND_EVERY). */
  backgroundEvery?: number;
}

interface Pending<I, O> {
  item: I;
  resolve: (o: O) => void;
  reject: (e: unknown) => void;
  signal?: AbortSignal;
  onAbort?: () => void;
  /** The meter of the request that submitted it (util/work-meter.ts): its batch counts there. */
  meter?: readonly WorkMeter[];
}

export class Batcher<I, O> {
  readonly options: BatcherOptions;
  readonly #run: (items: I[]) => Promise<O[]>;
  readonly #queue: LaneQueue<Pending<I, O>>;
  #timer: NodeJS.Timeout | undefined;
  /** Batches running now. */
  #running = 0;
  #closed = false;
  #dropped = 0;

  constructor(runBatch: (items: I[]) => Promise<O[]>, options: BatcherOptions) {
    if (options.maxBatchSize < 1) throw vlrError('VLR_CONFIG_INVALID', `batcher ${options.name}: maxBatchSize must be ≥ 1`);
    this.#run = runBatch;
    this.options = options;
    this.#queue = new LaneQueue(options.backgroundEvery);
  }

  /** Items waiting (not yet in a running batch). */
  get pending(): number {
    return this.#queue.length;
  }

  /** Items waiting per lane, and how many were taken from each with the ms they waited in all. */
  lanes(): Record<Lane, { pending: number; taken: number; waitedMs: number }> {
    const w = this.#queue.waited();
    const of = (l: Lane) => ({ pending: this.#queue.depth(l), taken: w[l].count, waitedMs: Math.round(w[l].ms) });
    return { query: of('query'), foreground: of('foreground'), background: of('background') };
  }

  /** Whether a batch is running now. */
  get running(): boolean {
    return this.#running > 0;
  }

  /** All the batches allowed at once are running. */
  get #busy(): boolean {
    return this.#running >= (this.options.concurrency ?? 1);
  }

  /** Items taken out of the queue, or never let in, because their signal aborted (monotonic). */
  get dropped(): number {
    return this.#dropped;
  }

  /** Queue one item; `signal` aborting before its batch starts removes it and rejects with the reason. */
  submit(item: I, signal?: AbortSignal, first = false): Promise<O> {
    if (signal?.aborted) {
      this.#dropped++; // tokenised, but its caller gave up before it was queued
      return Promise.reject(signal.reason);
    }
    if (this.#closed) return Promise.reject(vlrError('VLR_MODEL_RUNTIME', `model ${this.options.name} is closed`));
    const { lane, first: ahead } = laneOf(first, signal);
    // each class has its own places: a backlog of ingest never refuses a search
    const queued = lane === 'background' ? this.#queue.depth('background') : this.#queue.depth('query') + this.#queue.depth('foreground');
    if (queued >= this.options.maxQueue) {
      return Promise.reject(
        vlrError('VLR_OVERLOADED', `model ${this.options.name} is overloaded: ${queued} inputs already queued (max ${this.options.maxQueue}); retry later`),
      );
    }
    return new Promise<O>((resolve, reject) => {
      const p: Pending<I, O> = { item, resolve, reject, meter: currentMeter() };
      if (signal) {
        p.signal = signal;
        p.onAbort = () => this.#drop(p);
        signal.addEventListener('abort', p.onAbort, { once: true });
      }
      this.#queue.push(p, lane, ahead);
      this.#schedule();
    });
  }

  /** Submit several items (one signal for all, or one per item); resolves in the same order. */
  submitAll(items: I[], signal?: AbortSignal | ReadonlyArray<AbortSignal | undefined>, first = false): Promise<O[]> {
    if (signal && !isSignalList(signal) && items.length > 1) {
      // one listener per item: give them a child signal without Node's 10-listener warning
      const fan = fanOutSignal(signal);
      const all = Promise.all(items.map((i) => this.submit(i, fan.signal, first)));
      all.then(fan.dispose, fan.dispose);
      return all;
    }
    return Promise.all(items.map((i, k) => this.submit(i, isSignalList(signal) ? signal[k] : signal, first)));
  }

  /** An aborted item still in the queue leaves it now (one in a running batch runs to the end). */
  #drop(p: Pending<I, O>): void {
    if (!this.#queue.remove(p)) return;
    this.#dropped++;
    if (this.#queue.length === 0) this.#clearTimer();
    p.reject(p.signal!.reason);
  }

  #settle(p: Pending<I, O>): void {
    if (p.onAbort) p.signal!.removeEventListener('abort', p.onAbort);
  }

  #schedule(): void {
    if (this.#busy) return;
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
    if (this.#busy || this.#queue.length === 0) return;
    // with several runs free (an inference pool), what waits is shared out evenly among them: 16
    // items queued at once go as two runs of 8 side by side, not one of 16 while the other copy idles
    const free = (this.options.concurrency ?? 1) - this.#running;
    this.#running++;
    const batch = this.#queue.take(Math.min(this.options.maxBatchSize, Math.ceil(this.#queue.length / free)));
    for (const p of batch) this.#settle(p);
    // the share of another free run goes now; items beyond every free run wait for one to finish
    if (this.#queue.length && !this.#busy) queueMicrotask(() => void this.#drain());
    try {
      this.options.onBatch?.(batch.length);
      countRun(this.options.name, batch.map((p) => p.meter));
      const out = await this.#run(batch.map((p) => p.item));
      if (out.length !== batch.length) throw vlrError('VLR_INTERNAL', `batcher ${this.options.name}: ${out.length} results for ${batch.length} inputs`);
      batch.forEach((p, i) => p.resolve(out[i]!));
    } catch (e) {
      for (const p of batch) p.reject(e);
    } finally {
      this.#running--;
      if (this.#queue.length) this.#schedule();
    }
  }

  /** Reject everything still queued and refuse new work. */
  close(): void {
    this.#closed = true;
    this.#clearTimer();
    for (const p of this.#queue.drainAll()) {
      this.#settle(p);
      p.reject(vlrError('VLR_MODEL_RUNTIME', `model ${this.options.name} was closed`));
    }
  }
}

function isSignalList(s: AbortSignal | ReadonlyArray<AbortSignal | undefined> | undefined): s is ReadonlyArray<AbortSignal | undefined> {
  return Array.isArray(s);
}
