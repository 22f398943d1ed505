/**
 * One ONNX Runtime session per model file: created lazily on first `run()` (or by `load()`),
 * released by `unload()` (session.release() frees the native memory), with the execution
 * provider chosen once (device auto → CUDA if it loads, else CPU) and logged.
 *
 * This is the only module that talks to onnxruntime-node (session-worker.ts is its private helper,
 * which no other source module imports): its errors become VLR_MODEL_RUNTIME / VLR_MODEL_MISSING
 * here (`mapOrtError`), nowhere else, those raised in the inference worker included. It feeds
 * exactly `session.inputNames` (onnxruntime-node silently ignores undeclared feeds, Python rejects
 * them; see PITFALLS.md).
 *
 * The native session lives in the shared inference worker thread by default
 * (`models.inferenceThread: worker`), or — for the photo models — in each worker of the inference
 * pool (`models.inferenceWorkers`, session-worker.ts): onnxruntime-node runs synchronously on the
 * calling thread, and on the main thread a run stalls the whole proxy. `main` keeps the old in-thread path (the
 * baseline of `npm run bench:event-loop`).
 */
import { existsSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import '../config/ort-telemetry.js'; // before onnxruntime-node: its telemetry reads the environment at load
import * as ort from 'onnxruntime-node';
import { vlrError, isVlrerankError, type VlrerankError } from '../errors.js';
import { silentLogger, type Logger } from '../observability/logger.js';
import { isOutOfFiles, openFilesError } from '../util/process-limits.js';
import { selectRows, type RowSelect } from './row-select.js';
import { isStacked, sharedInferenceWorker, type FeedTensor, type NativeSession, type NativeSessionHost, type StackedFeed } from './session-worker.js';

export type SessionState = 'unloaded' | 'loading' | 'loaded' | 'error';
export type Device = 'auto' | 'cpu' | 'cuda';
export type Provider = 'cpu' | 'cuda';
/** Where the native session runs: the shared inference worker thread, or the calling (main) thread. */
export type InferenceThread = 'worker' | 'main';

export interface SessionOptions {
  /** Name used in logs and errors, e.g. `efficientnet-lite2-imagenet/model`. */
  name: string;
  /** Model id, for the "run vlrerank models pull <id>" hint. */
  modelId: string;
  device?: Device;
  /** 0 = let onnxruntime choose. */
  intraOpThreads?: number;
  interOpThreads?: number;
  allowSpinning?: boolean;
  logger?: Logger;
  /** Called before the session is created (e.g. sha256/size check of the file). */
  beforeLoad?: () => Promise<void>;
  /** Default `worker`: runs leave the main event loop free. */
  thread?: InferenceThread;
  /** Nice value asked of the inference worker thread before it creates this session's threads. */
  nice?: number;
  /**
   * The worker, or pool of workers (session-worker.ts `InferencePool`), to use with `thread: worker`
   * (default: the process-wide worker; the registry passes the pool for the photo models; fault tests pass their own).
   */
  worker?: NativeSessionHost;
  /** onnxruntime's CPU memory arena (default on, onnxruntime's own default). */
  cpuMemArena?: boolean;
  /** onnxruntime's memory pattern planning (default on, onnxruntime's own default). */
  memPattern?: boolean;
}

/** Model inputs by name: tensors, or float32 batches given as their parts (`StackedFeed`, session-worker.ts). */
export type Feeds = Record<string, FeedTensor>;
export type { StackedFeed };
export type Outputs = Record<string, ort.Tensor>;
export { ort };

/** Providers tried, in order, for a device setting (frozen, as transformers.js does). */
const PROVIDERS: Readonly<Record<Device, readonly Provider[]>> = Object.freeze({
  auto: Object.freeze(['cuda', 'cpu'] as const),
  cpu: Object.freeze(['cpu'] as const),
  cuda: Object.freeze(['cuda'] as const),
});

let cudaCache: boolean | undefined;
/**
 * Whether onnxruntime-node has its CUDA provider libraries (they are downloaded by its postinstall,
 * which `ONNXRUNTIME_NODE_INSTALL=skip` skips). Checked so that `device: auto` does not make the
 * native library print a load failure on every CPU-only machine.
 */
export function cudaProviderInstalled(): boolean {
  if (cudaCache === undefined) {
    try {
      const root = dirname(createRequire(import.meta.url).resolve('onnxruntime-node/package.json'));
      const bin = join(root, 'bin', 'napi-v6', process.platform, process.arch);
      cudaCache = existsSync(join(bin, 'libonnxruntime_providers_cuda.so')) || existsSync(join(bin, 'onnxruntime_providers_cuda.dll'));
    } catch {
      cudaCache = false;
    }
  }
  return cudaCache;
}

/**
 * Out of file descriptors, however it reached here (fix19b; held-out probe round 18a saw it as the
 * 500 `inference_exception` "loading failed for nanodet-g-coco: EMFILE …"): an errno code on the
 * error or a cause (Node's fs on this thread, or carried across the inference worker by its reply),
 * onnxruntime's own "system error number 24" (23: ENFILE), or the worker that could not start
 * ("Worker initialization failure: EMFILE"). Returns the error with its code, or undefined.
 */
function outOfFiles(e: unknown, msg: string): unknown {
  if (isOutOfFiles(e)) return e;
  const m = /\b(EMFILE|ENFILE)\b|system error number (2[34])\b/.exec(msg);
  if (!m) return undefined;
  return Object.assign(new Error(msg, { cause: e }), { code: m[1] ?? (m[2] === '24' ? 'EMFILE' : 'ENFILE') });
}

/**
 * The one place onnxruntime failures become vlrerank errors. Out of descriptors is `VLR_OPEN_FILES`
 * (503, retry; counted and warned, naming the limit); the session is not kept failed: the next use
 * loads it again.
 */
export function mapOrtError(e: unknown, what: string, modelId: string, path?: string): VlrerankError {
  if (isVlrerankError(e)) return e;
  const msg = e instanceof Error ? e.message : String(e);
  const files = outOfFiles(e, msg);
  if (files) return openFilesError(`${what} model ${modelId}`, files, { model: modelId });
  if (path && !existsSync(path)) {
    return vlrError('VLR_MODEL_MISSING', `model file ${path} is missing; run: vlrerank models pull ${modelId}`, { cause: e });
  }
  if (/protobuf parsing failed|failed to load model|invalid model|ModelProto|model_load_utils/i.test(msg)) {
    return vlrError('VLR_MODEL_CORRUPT', `model file ${path ?? modelId} cannot be parsed by onnxruntime (${msg.slice(0, 200)}); run: vlrerank models pull ${modelId}`, { cause: e });
  }
  return vlrError('VLR_MODEL_RUNTIME', `${what} failed for ${modelId}: ${msg.slice(0, 300)}`, { cause: e });
}

/** A batch given as its parts, copied into one array of its own (the main-thread path). */
function stackParts(t: StackedFeed): Float32Array {
  const out = new Float32Array(t.dims.reduce((x, y) => x * y, 1));
  let o = 0;
  for (const p of t.parts) {
    if (o + p.length > out.length) throw new Error(`stacked input parts exceed dims [${t.dims.join(', ')}]`);
    out.set(p, o);
    o += p.length;
  }
  if (o !== out.length) throw new Error(`stacked input parts hold ${o} values, dims [${t.dims.join(', ')}] need ${out.length}`);
  return out;
}

/**
 * The process's resident set, or NaN when it cannot be read: libuv reads /proc/self/stat, which
 * takes a descriptor, and with none left (EMFILE) a session created fine failed its load on this
 * measure alone — and the native session it had created was never released (fix19b).
 */
function residentBytes(): number {
  try {
    return process.memoryUsage.rss();
  } catch {
    return NaN;
  }
}

export class ModelSession {
  readonly path: string;
  readonly options: SessionOptions;
  #session: NativeSession | undefined;
  #loading: Promise<NativeSession> | undefined;
  #state: SessionState = 'unloaded';
  #provider: Provider | undefined;
  #error: VlrerankError | undefined;
  #rssDelta = 0;
  /** Bytes of the loaded model file times its copies (one per inference worker of a pool): the weights onnxruntime holds (measured, unlike an RSS delta that other threads' allocations blur). */
  #fileBytes = 0;
  #loadMs = 0;
  /** Runs of the current native session (reset by unload). */
  #runs = 0;
  /** Runs in progress on the native session (unload waits for them). */
  readonly #inflight = new Set<Promise<void>>();
  /** Native sessions created so far. */
  #loads = 0;

  constructor(path: string, options: SessionOptions) {
    this.path = path;
    this.options = options;
  }

  get state(): SessionState {
    return this.#state;
  }
  /** Provider actually in use (after load). */
  get provider(): Provider | undefined {
    return this.#provider;
  }
  /** Runs that can proceed at once: the inference workers holding a copy of this session (1 on the main thread). */
  get parallelRuns(): number {
    return (this.options.thread ?? 'worker') === 'main' ? 1 : (this.options.worker?.size ?? 1);
  }
  get lastError(): VlrerankError | undefined {
    return this.#error;
  }
  get inputNames(): readonly string[] {
    return this.#session?.inputNames ?? [];
  }
  get outputNames(): readonly string[] {
    return this.#session?.outputNames ?? [];
  }
  info(): { name: string; state: SessionState; provider?: Provider; weightBytes: number; rssDeltaBytes: number; loadMs: number; runs: number; loads: number; error?: string } {
    return {
      name: this.options.name,
      state: this.#state,
      provider: this.#provider,
      weightBytes: this.#fileBytes,
      rssDeltaBytes: this.#rssDelta,
      loadMs: this.#loadMs,
      runs: this.#runs,
      loads: this.#loads,
      ...(this.#error ? { error: this.#error.message } : {}),
    };
  }

  /** Create the session now (idempotent; concurrent callers share one creation). */
  async load(): Promise<void> {
    await this.#get();
  }

  #get(): Promise<NativeSession> {
    if (this.#session) return Promise.resolve(this.#session);
    if (!this.#loading) {
      this.#state = 'loading';
      this.#loading = this.#create().then(
        (s) => {
          this.#session = s;
          this.#state = 'loaded';
          this.#error = undefined;
          this.#loading = undefined;
          return s;
        },
        (e: unknown) => {
          this.#state = 'error';
          this.#error = mapOrtError(e, 'loading', this.options.modelId, this.path);
          this.#loading = undefined;
          throw this.#error;
        },
      );
    }
    return this.#loading;
  }

  #sessionOptions(provider: Provider): ort.InferenceSession.SessionOptions {
    const o = this.options;
    const opts: ort.InferenceSession.SessionOptions = {
      executionProviders: [provider],
      graphOptimizationLevel: 'all',
      interOpNumThreads: o.interOpThreads ?? 1,
      extra: { session: { intra_op: { allow_spinning: o.allowSpinning ? '1' : '0' }, inter_op: { allow_spinning: o.allowSpinning ? '1' : '0' } } },
    };
    if (o.intraOpThreads) opts.intraOpNumThreads = o.intraOpThreads;
    if (o.cpuMemArena === false) opts.enableCpuMemArena = false;
    if (o.memPattern === false) opts.enableMemPattern = false;
    return opts;
  }

  /** The native session, in the inference worker or on this thread. */
  async #open(opts: ort.InferenceSession.SessionOptions): Promise<NativeSession> {
    if ((this.options.thread ?? 'worker') === 'main') {
      const s = await ort.InferenceSession.create(this.path, opts);
      return {
        inputNames: s.inputNames,
        outputNames: s.outputNames,
        run: async (feeds, outputs, _handOver, select) => {
          // onnxruntime-node refuses inputs over shared memory (input-pool.ts): those are copied here,
          // and a batch given as its parts is stacked here
          const own: Record<string, ort.Tensor> = {};
          for (const [n, t] of Object.entries(feeds)) {
            if (isStacked(t)) own[n] = new ort.Tensor('float32', stackParts(t), t.dims);
            else own[n] = t.data instanceof Float32Array && t.data.buffer instanceof SharedArrayBuffer ? new ort.Tensor('float32', t.data.slice(), t.dims) : t;
          }
          const out = (await (outputs ? s.run(own, outputs as string[]) : s.run(own))) as Outputs;
          return select ? selectRows<ort.Tensor>(out, select, (_type, data, dims) => (data instanceof Int32Array ? new ort.Tensor('int32', data, dims) : new ort.Tensor('float32', data, dims))) : out;
        },
        release: () => s.release(),
      };
    }
    const holder: { s?: NativeSession } = {};
    const warn = (e: Error) =>
      (this.options.logger ?? silentLogger).warn({ model: this.options.name, err: e.message }, 'an inference worker of the pool stopped; its copy of the model loads again on its next run there');
    holder.s = await (this.options.worker ?? sharedInferenceWorker()).create(this.path, opts, (e) => this.#lost(holder.s, e), this.options.nice, warn);
    return holder.s;
  }

  /** The inference worker died with this session loaded: the next run loads it again (in a new worker). */
  #lost(s: NativeSession | undefined, e: Error): void {
    if (!s || this.#session !== s) return;
    this.#session = undefined;
    this.#state = 'error';
    this.#provider = undefined;
    this.#rssDelta = 0;
    this.#fileBytes = 0;
    this.#error = mapOrtError(e, 'inference', this.options.modelId, this.path);
    (this.options.logger ?? silentLogger).warn({ model: this.options.name, err: e.message }, 'inference worker stopped; the model loads again on its next run');
  }

  async #create(): Promise<NativeSession> {
    const log = this.options.logger ?? silentLogger;
    if (!existsSync(this.path)) {
      throw vlrError('VLR_MODEL_MISSING', `model file ${this.path} is missing; run: vlrerank models pull ${this.options.modelId}`);
    }
    // a directory (or a FIFO…) where the file should be is a broken install, not an onnxruntime fault (which would be a 500)
    if (!statSync(this.path).isFile()) {
      throw vlrError('VLR_MODEL_CORRUPT', `model file ${this.path} is not a regular file; run: vlrerank models pull ${this.options.modelId}`);
    }
    await this.options.beforeLoad?.();
    const t0 = performance.now();
    const rss0 = residentBytes();
    const device = this.options.device ?? 'auto';
    const providers = PROVIDERS[device].filter((p) => p !== 'cuda' || device === 'cuda' || cudaProviderInstalled());
    let lastErr: unknown;
    for (const p of providers) {
      try {
        const s = await this.#open(this.#sessionOptions(p));
        this.#provider = p;
        this.#loads++;
        this.#loadMs = performance.now() - t0;
        this.#rssDelta = Math.max(0, residentBytes() - rss0) || 0;
        this.#fileBytes = statSync(this.path).size * this.parallelRuns;
        log.info(
          { model: this.options.name, provider: p, device: this.options.device ?? 'auto', thread: this.options.thread ?? 'worker', loadMs: Math.round(this.#loadMs) },
          'model session loaded',
        );
        return s;
      } catch (e) {
        lastErr = e;
        if (p !== providers[providers.length - 1]) log.warn({ model: this.options.name, provider: p, err: (e as Error).message }, 'execution provider unavailable, trying the next');
      }
    }
    if (providers.length === 0 || (providers[providers.length - 1] === 'cuda' && lastErr !== undefined)) {
      throw vlrError(
        'VLR_MODEL_RUNTIME',
        `${this.options.name}: the CUDA execution provider is not available (${cudaProviderInstalled() ? 'it failed to load: ' + String((lastErr as Error)?.message ?? lastErr).slice(0, 200) : 'onnxruntime-node was installed without its CUDA binaries'}); use device auto or cpu`,
        { cause: lastErr },
      );
    }
    throw lastErr;
  }

  /**
   * Run the model. Only the declared inputs are fed; a declared input missing from `feeds` is an
   * error (never a silent default). Returns the requested outputs (all by default).
   * `handOver`: the feeds were built for this run alone; in the inference worker their buffers are
   * transferred without a copy and are unusable afterwards (no effect on the main-thread path).
   * `select`: only the rows the caller reads are returned (row-select.ts; selected in the worker).
   */
  async run(feeds: Feeds, outputs?: readonly string[], opts: { handOver?: boolean; select?: RowSelect } = {}): Promise<Outputs> {
    // From taking the session to registering the run there is no await, so an unload() cannot
    // release the session in between; a session unloaded while we waited for a load is not used.
    let s = this.#session;
    while (!s) {
      const got = await this.#get();
      if (this.#session === got) s = got;
    }
    const used: Feeds = {};
    for (const n of s.inputNames) {
      const t = feeds[n];
      if (!t) throw vlrError('VLR_MODEL_RUNTIME', `${this.options.name}: input "${n}" was not provided (model inputs: ${s.inputNames.join(', ')})`);
      used[n] = t;
    }
    const run = s.run(used, outputs, opts.handOver, opts.select);
    const tracked = run.then(
      () => undefined,
      () => undefined,
    );
    this.#inflight.add(tracked);
    try {
      const out = await run;
      this.#runs++;
      return out;
    } catch (e) {
      throw mapOrtError(e, 'inference', this.options.modelId, this.path);
    } finally {
      this.#inflight.delete(tracked);
    }
  }

  /** Release the native session; the next run() loads it again. */
  async unload(): Promise<void> {
    if (this.#loading) await this.#loading.catch(() => undefined);
    const s = this.#session;
    this.#session = undefined; // runs from now on load a fresh session
    this.#state = 'unloaded';
    this.#provider = undefined;
    this.#rssDelta = 0;
    this.#fileBytes = 0;
    this.#runs = 0;
    // never release under a run still using the native session
    await Promise.all([...this.#inflight]);
    if (s) await s.release();
  }
}
