/**
 * The inference worker: onnxruntime-node sessions living in a worker thread, so that a model run
 * (EfficientNet batch ~1 s, a 2048-token text batch) no longer blocks the main event loop.
 * onnxruntime-node 1.30 runs a session synchronously on the calling thread (its backend only
 * defers the native Run with setImmediate); on the main thread that stalled every passthrough
 * request and every abort/budget timer for the length of the run.
 *
 * Internal to session.ts (the one choke point for onnxruntime): ModelSession picks this or the
 * main-thread path (`models.inferenceThread`), and maps every error raised here (`mapOrtError`).
 * This module must never be imported by anything else, and must never keep the process alive:
 * the worker is ref'd only while a request is pending and terminated once no session is loaded.
 *
 * Design:
 * - **A pool of workers for the object detector** (`InferencePool`, `models.inferenceWorkers`,
 *   default one per usable core, at most 2); every other model lives in the first worker only.
 *   Until perf19 there was one worker, each session at 2 intra-op threads (one per core): a
 *   parallel-for waits for its slower thread, and sharp's decodes and resizes (libvips threads, the
 *   main thread) ran on the same 2 cores at the same time, so any preempted onnxruntime thread
 *   stalled the whole op — NanoDet 21.8 ms a photo against 14.4 in Python's onnxruntime, which
 *   never overlaps. Now NanoDet (one run per photo, fixed batch 1, which gains little from a second
 *   thread) is loaded once in each worker at cores ÷ workers intra-op threads (1 on 2 cores), and
 *   each run goes to the worker with the fewest requests pending, so two photos' detections proceed
 *   side by side, each on its own core. The pool is generic (registry.ts POOLED_TASKS says which
 *   tasks use it): EfficientNet was pooled too at first and lost — it gains much from its second
 *   thread, and at 1 thread cost bench:features ~10 % and a lone photo ~30 %. The text models stay
 *   at the configured threads: a query is one short run whose latency the warm path waits for.
 *   onnxruntime-node has a history of crashes with sessions in several workers at once
 *   (microsoft/onnxruntime#24486: a Node abort at exit when several workers each created sessions);
 *   test/model/inference-pool.test.ts loads, runs, crashes and unloads sessions in two workers
 *   at once and exits cleanly.
 * - **A crash of one pool worker** rejects only the runs it held; its copy of each session is
 *   loaded again in a new worker on the next run sent there, while the other worker's copies keep
 *   answering. Only when every copy of a session is gone is the session told it was lost.
 * - **Inputs are copied, then the copy is transferred**: the caller keeps a usable tensor (it may
 *   reuse its buffer), and exactly the view's bytes cross, never the whole backing ArrayBuffer of a
 *   view. A caller that built a tensor for one run only (the image encoders' stacked batches)
 *   hands it over instead: its buffer is transferred without the copy, or, over shared memory
 *   (input-pool.ts), shared as it is and copied by the worker into a staging array it reuses. Outputs come back
 *   transferred and are rebuilt as ort.Tensor here.
 * - **Never terminate while a request is pending.** Terminating a worker (or process.exit() on the
 *   main thread) while its native Run is in progress aborts the whole process ("terminate called
 *   after throwing an instance of 'Napi::Error'", exit 134; measured with 1.30 on Node 20): the
 *   run cannot be interrupted and its output conversion throws into a terminating isolate. So the
 *   worker is terminated only when idle, and `inferenceIdle()` lets an exiting CLI wait first.
 * - **A crash** (uncaught error, process.exit() inside the worker, out of memory) rejects every
 *   pending request with the reason, tells each session it lost its native session (so its next
 *   run loads again), and the next request starts a new worker.
 */
import { Worker } from 'node:worker_threads';
import { createRequire } from 'node:module';
import '../config/ort-telemetry.js'; // before onnxruntime-node: its telemetry reads the environment at load
import * as ort from 'onnxruntime-node';
import { registerInferenceIdle } from './inference-idle.js';
import type { RowSelect } from './row-select.js';
import { INFERENCE_WORKER_SOURCE } from './session-worker-source.js';

export { INFERENCE_WORKER_SOURCE };

/** A tensor on the wire between the threads: its data, or (a `StackedFeed`) its parts in order. */
export interface WireTensor {
  type: ort.Tensor.Type;
  dims: readonly number[];
  data?: ort.Tensor.DataType;
  parts?: readonly Float32Array[];
}

/**
 * A float32 input given as its parts in order (a batch's images, each a view of shared memory:
 * input-pool.ts) rather than one array: the inference worker copies the parts straight into its
 * staging array, so the batch is never stacked into a buffer of its own on the main thread first.
 * The parts must stay untouched until the run answers (the caller gave them up to it).
 */
export interface StackedFeed {
  readonly type: 'float32';
  readonly dims: readonly number[];
  readonly parts: readonly Float32Array[];
}

/** A model input: a tensor, or a float32 batch given as its parts. */
export type FeedTensor = ort.Tensor | StackedFeed;

export function isStacked(t: FeedTensor): t is StackedFeed {
  return !(t instanceof ort.Tensor) && Array.isArray((t as StackedFeed).parts);
}

/** What ModelSession needs from a native session, wherever it lives. */
export interface NativeSession {
  readonly inputNames: readonly string[];
  readonly outputNames: readonly string[];
  /**
   * `handOver`: the caller gives up the feeds' buffers (tensors it built for this run alone): in
   * the worker they are transferred as they are instead of copied first, and are detached after.
   * `select`: only the rows the caller reads come back (row-select.ts), selected where the run was.
   */
  run(feeds: Record<string, FeedTensor>, outputs?: readonly string[], handOver?: boolean, select?: RowSelect): Promise<Record<string, ort.Tensor>>;
  release(): Promise<void>;
}

interface Pending {
  resolve: (v: unknown) => void;
  reject: (e: Error) => void;
  /** Bookkeeping done synchronously on a successful answer, before the idle check runs. */
  onOk?: (v: unknown) => void;
}

type Reply = { seq: number; ok: true; value: unknown } | { seq: number; ok: false; message: string; name?: string; code?: string };

export interface InferenceWorkerOptions {
  /** Worker code (default: the real one). Fault tests wrap it to play a crash. */
  source?: string;
}

/** Where a ModelSession's native session is created: one worker, or a pool of them (session.ts). */
export interface NativeSessionHost {
  /** Runs of one session that can proceed at once (the workers holding a copy of it). */
  readonly size: number;
  /**
   * Load a model. `onLost` is called when the native session is gone with its worker(s): its next
   * run must load again. `onPartLost` (a pool): one worker's copy died, the others still answer.
   */
  create(path: string, options: ort.InferenceSession.SessionOptions, onLost: (e: Error) => void, nice?: number, onPartLost?: (e: Error) => void): Promise<NativeSession>;
}

const ORT_PATH = createRequire(import.meta.url).resolve('onnxruntime-node');

/** The caller's typed array copied into a buffer of its own (transferable without detaching theirs). */
function ownCopy(data: ort.Tensor.DataType): ort.Tensor.DataType {
  return ArrayBuffer.isView(data) ? (data as Float32Array).slice() : Array.from(data as readonly string[]);
}

/**
 * What crosses to the worker: a handed-over typed array that spans its whole buffer goes as it is
 * (no copy: a batch of 32 EfficientNet inputs is 26 MB); anything else, a copy of its own. A view
 * into a larger buffer is always copied, so only its bytes cross, never the rest of the buffer.
 */
function wireData(data: ort.Tensor.DataType, handOver: boolean): ort.Tensor.DataType {
  // a handed-over view of shared memory (input-pool.ts) crosses as a view of the same memory: the
  // caller does not touch it until the run answers; the worker copies it into its own staging array
  if (handOver && ArrayBuffer.isView(data) && data.buffer instanceof SharedArrayBuffer) return data;
  if (handOver && ArrayBuffer.isView(data) && data.byteOffset === 0 && data.byteLength === data.buffer.byteLength && data.buffer instanceof ArrayBuffer) return data;
  return ownCopy(data);
}

export class InferenceWorker implements NativeSessionHost {
  readonly #source: string;
  #worker: Worker | undefined;
  /** Requests sent and not answered yet, by seq (they keep the worker ref'd). */
  readonly #pending = new Map<number, Pending>();
  /** Sessions loaded in the current worker, with what to call if the worker dies under them. */
  readonly #sessions = new Map<number, (e: Error) => void>();
  #seq = 0;
  /** Why the current worker failed (its 'error' event comes before 'exit'). */
  #error: Error | undefined;
  /** Workers started so far (a crash or an idle stop makes the next request start another). */
  #started = 0;
  readonly #idle = new Set<() => void>();

  constructor(options: InferenceWorkerOptions = {}) {
    this.#source = options.source ?? INFERENCE_WORKER_SOURCE;
  }

  /** One worker runs one session's runs one after another. */
  get size(): number {
    return 1;
  }

  /** Workers started so far, and whether one is running now. */
  stats(): { started: number; running: boolean; pending: number; sessions: number } {
    return { started: this.#started, running: this.#worker !== undefined, pending: this.#pending.size, sessions: this.#sessions.size };
  }

  /** The worker's thread id while one runs (tests use it to tell one worker from the next). */
  get threadId(): number | undefined {
    return this.#worker?.threadId;
  }

  #spawn(): Worker {
    this.#started++;
    // generation: which worker of this InferenceWorker it is (1, 2, … after crashes); fault fakes key on it
    // execArgv []: the worker is plain CommonJS and needs none of the parent's flags; inherited ones
    // can break it (`--input-type=module` makes the eval'd source ESM, without require) or slow its
    // start (a parent's `--import tsx` would load the TS loader in the worker too)
    const w = new Worker(this.#source, {
      eval: true,
      execArgv: [],
      name: 'vlrerank-inference',
      workerData: { ortPath: ORT_PATH, generation: this.#started },
    });
    this.#error = undefined;
    w.on('message', (m: Reply) => this.#answer(m));
    w.on('error', (e) => {
      if (w === this.#worker) this.#error = e;
    });
    w.on('exit', (code) => {
      if (w === this.#worker) this.#lost(w, code);
    });
    w.unref();
    return w;
  }

  #answer(m: Reply): void {
    const p = this.#pending.get(m.seq);
    if (!p) return;
    this.#pending.delete(m.seq);
    if (m.ok) {
      p.onOk?.(m.value);
      p.resolve(m.value);
    } else {
      const e: NodeJS.ErrnoException = new Error(m.message);
      if (m.name) e.name = m.name;
      // the errno code (EMFILE…) crosses too: mapOrtError names the fault by it (fix19b)
      if (m.code) e.code = m.code;
      p.reject(e);
    }
    this.#settled();
  }

  /** The worker exited without being asked: fail what it held, forget it; the next request starts another. */
  #lost(w: Worker, code: number): void {
    this.#worker = undefined;
    const why = new Error(`the inference worker thread stopped (exit code ${code}${this.#error ? `: ${this.#error.message}` : ''}) before answering`, { cause: this.#error });
    const pending = [...this.#pending.values()];
    const sessions = [...this.#sessions.values()];
    this.#pending.clear();
    this.#sessions.clear();
    w.unref();
    for (const s of sessions) s(why);
    for (const p of pending) p.reject(why);
    this.#settled();
  }

  /** After an answer: unref an idle worker, stop one that holds no session, wake idle waiters. */
  #settled(): void {
    if (this.#pending.size > 0) return;
    const w = this.#worker;
    if (w) {
      w.unref();
      if (this.#sessions.size === 0) {
        // idle (nothing pending, so no native call in progress): safe to terminate
        this.#worker = undefined;
        void w.terminate();
      }
    }
    if (this.#idle.size > 0) setImmediate(() => this.#wakeIdle());
  }

  /** After the callers' own continuations of the last answers have run, unless new work came meanwhile. */
  #wakeIdle(): void {
    if (this.#pending.size > 0) return;
    const waiting = [...this.#idle];
    this.#idle.clear();
    for (const f of waiting) f();
  }

  #request<T>(msg: Record<string, unknown>, transfer: ArrayBuffer[] = [], onOk?: (v: T) => void): Promise<T> {
    const w = (this.#worker ??= this.#spawn());
    const seq = ++this.#seq;
    return new Promise<T>((resolve, reject) => {
      this.#pending.set(seq, { resolve: resolve as (v: unknown) => void, reject, onOk: onOk as ((v: unknown) => void) | undefined });
      w.ref(); // a pending answer keeps the process alive, as the main-thread run did
      try {
        w.postMessage({ ...msg, seq }, transfer);
      } catch (e) {
        this.#pending.delete(seq);
        this.#settled();
        reject(e as Error);
      }
    });
  }

  /**
   * Load a model in the worker. `onLost` is called if the worker dies while the session is loaded
   * (its native session is gone with it).
   */
  async create(path: string, options: ort.InferenceSession.SessionOptions, onLost: (e: Error) => void, nice?: number): Promise<NativeSession> {
    let worker: Worker | undefined;
    // registered as the answer arrives: the idle check that follows must see the session
    const v = await this.#request<{ sid: number; inputNames: string[]; outputNames: string[] }>({ op: 'load', path, options, ...(nice ? { nice } : {}) }, [], (a) => {
      worker = this.#worker;
      this.#sessions.set(a.sid, onLost);
    });
    let released = false;
    return {
      inputNames: Object.freeze(v.inputNames),
      outputNames: Object.freeze(v.outputNames),
      run: async (feeds, outputs, handOver = false, select) => {
        if (released || this.#worker !== worker) throw new Error('the native session is gone (released, or its inference worker stopped)');
        const wire: Record<string, WireTensor> = {};
        const transfer: ArrayBuffer[] = [];
        for (const [name, t] of Object.entries(feeds)) {
          if (isStacked(t)) {
            // views of shared memory cross as they are; the worker copies them into its staging array
            wire[name] = { type: t.type, dims: t.dims, parts: t.parts };
            continue;
          }
          const data = wireData(t.data, handOver);
          wire[name] = { type: t.type, dims: t.dims, data };
          if (ArrayBuffer.isView(data) && data.buffer instanceof ArrayBuffer) transfer.push(data.buffer);
        }
        const out = await this.#request<Record<string, WireTensor>>({ op: 'run', sid: v.sid, feeds: wire, ...(outputs ? { outputs } : {}), ...(select ? { select } : {}) }, transfer);
        const res: Record<string, ort.Tensor> = {};
        for (const [name, t] of Object.entries(out)) res[name] = new ort.Tensor(t.type, t.data as Float32Array, t.dims);
        return res;
      },
      release: async () => {
        if (released) return;
        released = true;
        if (this.#worker !== worker || !this.#sessions.delete(v.sid)) return; // died with its worker
        await this.#request({ op: 'release', sid: v.sid });
      },
    };
  }

  /** Resolves once no request is pending (at once if none is): a worker may then be stopped safely. */
  idle(): Promise<void> {
    if (this.#pending.size === 0) return Promise.resolve();
    return new Promise((resolve) => this.#idle.add(resolve));
  }
}


/** One worker's copy of a pooled session: loaded, loading, or gone with its worker. */
interface Copy {
  worker: InferenceWorker;
  session?: NativeSession;
  loading?: Promise<NativeSession>;
}

/**
 * Several inference workers, each holding its own copy of a pooled session (see the design note
 * above): a run goes to the worker with the fewest requests pending, loading its copy again first
 * when that worker died since. A session loads in every worker at once, so `load()` means loaded
 * everywhere and a bad model file fails the load, not a later run.
 */
export class InferencePool implements NativeSessionHost {
  readonly workers: readonly InferenceWorker[];

  constructor(workers: readonly InferenceWorker[]) {
    if (workers.length < 1) throw new Error('an inference pool needs at least one worker');
    this.workers = Object.freeze([...workers]);
  }

  get size(): number {
    return this.workers.length;
  }

  /** Each worker's stats, in order. */
  stats(): ReturnType<InferenceWorker['stats']>[] {
    return this.workers.map((w) => w.stats());
  }

  /** Resolves once no worker of the pool has a request pending. */
  async idle(): Promise<void> {
    await Promise.all(this.workers.map((w) => w.idle()));
  }

  async create(path: string, options: ort.InferenceSession.SessionOptions, onLost: (e: Error) => void, nice?: number, onPartLost?: (e: Error) => void): Promise<NativeSession> {
    if (this.workers.length === 1) return this.workers[0]!.create(path, options, onLost, nice);
    let released = false;
    let gone = false;
    const copies: Copy[] = this.workers.map((worker) => ({ worker }));
    const lostOne = (c: Copy, s: NativeSession) => (e: Error) => {
      if (c.session !== s) return;
      c.session = undefined;
      if (released || gone) return;
      if (copies.some((x) => x.session || x.loading)) onPartLost?.(e);
      else {
        gone = true; // every copy died: the session is lost as a whole (ModelSession loads it again)
        onLost(e);
      }
    };
    const load = (c: Copy): Promise<NativeSession> =>
      (c.loading ??= (async () => {
        const holder: { s?: NativeSession } = {};
        try {
          holder.s = await c.worker.create(path, options, (e) => lostOne(c, holder.s!)(e), nice);
          c.session = holder.s;
          return holder.s;
        } finally {
          c.loading = undefined;
        }
      })());
    const loaded = await Promise.allSettled(copies.map(load));
    const failed = loaded.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed) {
      released = true;
      await Promise.all(copies.map((c) => c.session?.release()));
      throw failed.reason;
    }
    const first = copies[0]!.session!;
    return {
      inputNames: first.inputNames,
      outputNames: first.outputNames,
      run: async (feeds, outputs, handOver, select) => {
        if (released || gone) throw new Error('the native session is gone (released, or its inference workers stopped)');
        // the worker with the fewest requests pending (its other sessions' included); the first on a tie
        let c = copies[0]!;
        for (const x of copies) if (x.worker.stats().pending < c.worker.stats().pending) c = x;
        const s = c.session ?? (await load(c));
        return s.run(feeds, outputs, handOver, select);
      },
      release: async () => {
        if (released) return;
        released = true;
        await Promise.all(copies.map(async (c) => (c.session ?? (await c.loading?.catch(() => undefined)))?.release()));
      },
    };
  }
}

let shared: InferenceWorker | undefined;

/** The process-wide inference worker every session uses by default (its thread starts on first request). */
export function sharedInferenceWorker(): InferenceWorker {
  if (!shared) {
    const w = (shared = new InferenceWorker());
    registerInferenceIdle(() => w.idle());
  }
  return shared;
}

const pools = new Map<number, InferencePool>();

/**
 * The process-wide pool of `size` inference workers: the shared worker first (the text models live
 * there), then workers of its own. One pool per size (a process normally asks one size).
 */
export function sharedInferencePool(size: number): InferencePool {
  const n = Math.max(1, Math.floor(size));
  let p = pools.get(n);
  if (!p) {
    const workers = [sharedInferenceWorker()];
    for (let i = 1; i < n; i++) {
      const w = new InferenceWorker();
      registerInferenceIdle(() => w.idle());
      workers.push(w);
    }
    pools.set(n, (p = new InferencePool(workers)));
  }
  return p;
}
