/**
 * How a Reranker is set up (`new Reranker(options)`) and what one `process()` call may add.
 * The local backend reads the model and media settings from here; the reranker the scoring ones.
 * Types only: plain data passed down, never read from the environment. Checked by options-check.ts.
 */
import { VIDEO_SAMPLING, type StoreInput } from '../config/schema.js';
import type { Admission, AdmissionLimits, ShedReason } from './admission.js';
import type { CalibrationTable } from './calibration.js';
import type { RerankerPorts } from './ports.js';
import type { BridgeSettings } from './signals/conse-bridge.js';
import type { VisualPassageSettings } from './signals/visual-passage.js';
import type { ChunkingSettings } from './chunking.js';
import type { FramePooling } from './signals/frame-pooling.js';
import type { ScoreFusion } from './fusion.js';
import type { PreparedSides } from './prepared.js';

export interface RerankerOptions {
  /** Models directory (weights in `<dir>/<model-id>/…`, or a mirror such as ../shared/models). */
  modelsDir?: string;
  device?: 'auto' | 'cpu' | 'cuda';
  /** Precision variant per model id (`models.precision`), checked when the models are first set up. */
  precision?: Record<string, 'fp32' | 'fp16' | 'int8'>;
  /** Where the concept-label embeddings are kept between runs (default `.cache/vlrerank`). */
  cacheDir?: string;
  /** Local folders media paths may be read from. */
  mediaRoots?: string[];
  /**
   * Hosts or CIDRs whose media URLs may be fetched although private or loopback (the server's
   * `media.allowHosts`: an internal CDN, a MinIO on 10.0.0.5); others are refused by the SSRF guard.
   */
  mediaAllowHosts?: string[];
  /**
   * Egress proxy for media URLs (the server's `media.proxy`): one URL for both schemes, or
   * `{http, https}`. The library reads no environment variable: pass `process.env.HTTPS_PROXY` to use it.
   */
  mediaProxy?: string | { http?: string; https?: string };
  /** Media hosts fetched directly although `mediaProxy` is set (the server's `media.noProxy`, NO_PROXY's rules). */
  mediaNoProxy?: string[];
  maxDocuments?: number;
  /** Default video sampling. */
  fps?: number;
  maxFrames?: number;
  /** Signal weights (signal name → weight), over the defaults in fusion.ts. */
  weights?: Record<string, number>;
  /** Calibration constants over models/calibration/signals.json and the manifests. */
  calibration?: CalibrationTable;
  calibrationFile?: string;
  bridge?: Partial<BridgeSettings>;
  visualPassage?: Partial<VisualPassageSettings>;
  /** Weight of the visual passage in the text↔image raw value; ConSE gets the rest (measured 0.5). */
  passageMix?: number;
  /** OCR images for the ocr_text signal by default (slow; per request `ocr: true`). */
  ocr?: boolean;
  /**
   * Document texts longer than the text model's window scored in overlapping chunks (chunking.ts);
   * false or unset: cut at the window. A pipeline may override it per search.
   */
  chunking?: ChunkingSettings | false;
  /** How a video's frames' values become its value: `mean` (default), `max`, `topK` (signals/frame-pooling.ts). */
  framePooling?: FramePooling;
  /** Log-odds (default), calibrated or raw-cosine fusion of the signals (fusion.ts). */
  scoreFusion?: ScoreFusion;
  /** How many documents' media are fetched/decoded at once per request. */
  mediaConcurrency?: number;
  /** Default budget of the rerank API calls in ms (`rerank.apiBudgetMs`; the APIs pass it as `budgetMs`); 0 or unset: none. */
  apiBudgetMs?: number;
  /** Requests processed at once; more wait (reported as queue time) within the admission bounds. */
  maxConcurrentRequests?: number;
  /** Queue bounds beyond which process() refuses with VLR_OVERLOADED (default: sized from the cores). */
  admission?: Partial<Omit<AdmissionLimits, 'maxInFlight'>>;
  /** A ready-made admission controller (shared by several rerankers); overrides the two above. */
  admissionControl?: Admission;
  /** Remote `/v1/rerank` workers (backend: remote | both). */
  remoteUrls?: string[];
  remoteApiKey?: string;
  remoteTimeoutMs?: number;
  remoteModel?: string;
  /** A trained CLIP-family model id for the `clip` signal (fixtures are refused). */
  clipModel?: string;
  /**
   * The feature store's persistent tiers, as the configuration's `store` section (the same keys,
   * defaults and checks): `disk: { path, maxBytes }` keeps features on local disk (L2, shared by the
   * processes of a host), `redis: { url, ttlSeconds, keyPrefix, … }` in Redis (L3, shared by
   * machines), so a new process does not pay the models again for media seen before. Off unless a
   * folder (not `off`) or a URL is given. `vlrerank rerank` and `eval --api` pass their configuration's.
   */
  store?: StoreInput;
  /** The older spelling of `store.disk` (`{ path: diskPath, maxBytes: diskMaxBytes }`); not both. */
  featureStore?: { diskPath: string; diskMaxBytes?: number };
  /**
   * Document sides kept across requests (prepared.ts), built by the composition root; false: none.
   * Unset: the reranker keeps its own (PREPARED_SIDES_MAX_BYTES).
   */
  preparedSides?: PreparedSides | false;
  /** Ready-made ports (the server passes the shared Models/FeatureExtractor through backends/local.ts). */
  ports?: RerankerPorts | (() => Promise<RerankerPorts>);
  /** Hook for metrics: stage durations (seconds) and cache events. */
  observe?: {
    /**
     * A request's time by stage (`queue`, `features`, `inference`, `fusion`, `total`) and how it
     * ended (`RerankOutcome`): a request cut short or failed is told the stages it finished, the one
     * it was in (the rest of its time) and `total` — before fix20b only finished requests were told,
     * so a search that ran out of budget left no trace of where it spent it.
     */
    stage?(stage: string, seconds: number, outcome: RerankOutcome): void;
    cache?(event: 'hit' | 'miss', n: number): void;
    shed?(reason: ShedReason): void;
    /** Feature-record parts handed in: used, or rejected (and recomputed) with the reason's class (records/use.ts `RejectReason`). */
    records?(outcome: 'used' | 'rejected', reason: string | undefined, n: number): void;
    /** A document's media failed for a reason vlrerank did not foresee (VLR_INTERNAL): its answer says only "internal error", so the cause goes to the operator's log. */
    internalError?(err: unknown, where: string): void;
  };
}

export interface ProcessOptions {
  signal?: AbortSignal;
  /** Absolute deadline (performance.now() clock): a request that cannot start before it is shed at once. */
  deadline?: number;
  /**
   * The request's own time budget in ms (budget.ts), from after any warm-up wait, queue included:
   * media not arrived by 80 % of what is left when it starts running (at least 1 s before the end)
   * are cut off (their documents scored on the rest and named in `errors`); past the budget the
   * request fails with VLR_TIMEOUT (the query's own media cut off: VLR_MEDIA_TIMEOUT, also 504).
   */
  budgetMs?: number;
  /** Who asks (remote address or a client header), for the per-client share of the queue. */
  client?: string;
  /** The kind of work, for admission's service times and latency target: `search:<pipeline>`, `api` (default: `library`). */
  kind?: string;
  /**
   * Feature records of the documents, input order (`undefined` for a document without one): as
   * `Reranker.records()` makes them, or as kept in an index. A document's usable parts (key and
   * content identity match, see records/use.ts) need no media read and no model run; the rest is
   * computed as without records.
   */
  records?: ReadonlyArray<unknown>;
  /**
   * `recordStandIns[i]`: document i stands in for content kept only in its record (an index whose
   * `_source` leaves the fields out): made by `Reranker.recordStandIn`, its record's parts are used
   * without the content check, and a part the record cannot give is a 400, never computed.
   */
  recordStandIns?: ReadonlyArray<boolean>;
  /** What explanations call features taken from `records` (default `record`; the search flow says `index`). */
  recordOrigin?: string;
  /** Chunking of long document texts for this call (a pipeline's), over the reranker's `chunking`. */
  chunking?: ChunkingSettings | false;
  /** How a video's frames' values become its value: `mean` (default), `max`, `topK` (signals/frame-pooling.ts). */
  framePooling?: FramePooling;
  /** Log-odds (default), calibrated or raw-cosine fusion of the signals (fusion.ts). */
  scoreFusion?: ScoreFusion;
  /**
   * Each document's text is read to this many tokens at most (Cohere's `max_tokens_per_doc`): cut
   * at a word boundary before it is embedded or chunked. At or above the text model's window it
   * changes nothing (the model cuts there).
   */
  maxTokensPerDoc?: number;
  /**
   * Told as each stage of the request ends, with its time in ms: `queue` (the wait for a place in
   * the queue, from the call), `features` (media, feature store, model features), `inference` (the
   * scoring models). A request cut short (its budget, its signal) is told the stages it finished:
   * the one it was in is the first not told (held-out probe round 19a: a search whose rerank ran out
   * of budget could not say whether it had waited in the queue or computed features).
   */
  onStage?: (stage: RerankStage, ms: number) => void;
}

/** The stages `ProcessOptions.onStage` is told of, in order. */
export const RERANK_STAGES = ['queue', 'features', 'inference'] as const;
export type RerankStage = (typeof RERANK_STAGES)[number];

/**
 * How a request (`process()`) ended, for the stage metrics: `ok`; `degraded` (finished, scored
 * without part of what it asked: the remote backend failed under `backend: both`, or a document's
 * media failed on vlrerank's side — the budget's media cut-off, the image models unavailable — not
 * a media host's own failure); `cut` (stopped by a limit before it finished: its budget or deadline,
 * the queue's bounds, its caller leaving); `failed` (an error).
 */
export type RerankOutcome = 'ok' | 'degraded' | 'cut' | 'failed';

/**
 * The stages a request cut short finished (their ms) and the one it was in, given the rest of
 * `totalMs`; the stages after it are absent.
 */
export function cutStages(done: Partial<Record<RerankStage, number>>, totalMs: number): Partial<Record<RerankStage, number>> {
  const out: Partial<Record<RerankStage, number>> = {};
  let left = totalMs;
  for (const stage of RERANK_STAGES) {
    const t = done[stage];
    out[stage] = t ?? Math.max(0, left);
    if (t === undefined) break;
    left -= t;
  }
  return out;
}

/** Longest request budget taken (1 hour): beyond it a timer would overflow, and no client waits so long. */
export const MAX_BUDGET_MS = 3_600_000;

/**
 * The queue of a Reranker given no `admission` (a script's, the CLI's): its own calls wait their turn
 * (`maxConcurrentRequests` at a time) without being shed. The server's bounds (sized from the cores,
 * half the queue per client, 10 s of waiting) refused 8 of a script's 20 concurrent process() calls
 * as VLR_OVERLOADED "this client already has 8 rerank requests queued" (held-out probe round 11b);
 * the composition root always passes `rerank.admission`.
 */
export const LIBRARY_QUEUE = Object.freeze({ maxQueued: Infinity, maxQueuedDocuments: Infinity, maxQueueWaitMs: MAX_BUDGET_MS, clientShare: 1 });

/** How a request's videos are sampled: as it asks, else as the reranker is set (`media.*`, a pipeline's `scorer`), else the media defaults. */
export function videoSamplingOf(req: { fps?: number; maxFrames?: number }, options: Pick<RerankerOptions, 'fps' | 'maxFrames'>): { fps: number; maxFrames: number } {
  return { fps: req.fps ?? options.fps ?? VIDEO_SAMPLING.fps, maxFrames: req.maxFrames ?? options.maxFrames ?? VIDEO_SAMPLING.maxFrames };
}
