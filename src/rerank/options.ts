/**
 * How a Reranker is set up (`new Reranker(options)`) and what one `process()` call may add.
 * The local backend reads the model and media settings from here; the reranker the scoring ones.
 * Types only: plain data passed down, never read from the environment.
 */
import type { Admission, AdmissionLimits, ShedReason } from './admission.js';
import type { CalibrationTable } from './calibration.js';
import type { RerankerPorts } from './ports.js';
import type { BridgeSettings } from './signals/conse-bridge.js';
import type { VisualPassageSettings } from './signals/visual-passage.js';
import type { ChunkingSettings } from './chunking.js';
import type { FramePooling } from './signals/frame-pooling.js';
import type { ScoreFusion } from './fusion.js';
import { vlrError } from '../errors.js';
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
   * Keep features on local disk (the feature store's L2, shared by the processes of a host) so a
   * new process does not pay the models again for media seen before. Off unless a folder is given.
   */
  featureStore?: { diskPath: string; diskMaxBytes?: number };
  /**
   * Document sides kept across requests (prepared.ts), built by the composition root; false: none.
   * Unset: the reranker keeps its own (PREPARED_SIDES_MAX_BYTES).
   */
  preparedSides?: PreparedSides | false;
  /** Ready-made ports (the server passes the shared Models/FeatureExtractor through backends/local.ts). */
  ports?: RerankerPorts | (() => Promise<RerankerPorts>);
  /** Hook for metrics: stage durations (seconds) and cache events. */
  observe?: { stage?(stage: string, seconds: number): void; cache?(event: 'hit' | 'miss', n: number): void; shed?(reason: ShedReason): void };
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

/**
 * `process()`'s options checked before any work: a caller's `null`, a signal that is not an
 * AbortSignal or a deadline that is not a number was a raw TypeError from deep inside (held-out
 * probe round 4); now a VLR_BAD_REQUEST naming the option, as for a bad input.
 */
export function checkProcessOptions(options: unknown): ProcessOptions {
  if (options === undefined) return {};
  const bad = (key: string, rule: string): never => {
    throw vlrError('VLR_BAD_REQUEST', `[options${key ? `.${key}` : ''}] ${rule}`, { details: { field: `options${key ? `.${key}` : ''}` } });
  };
  if (options === null || typeof options !== 'object' || Array.isArray(options)) bad('', 'process() options must be an object (or left out)');
  const o = options as Record<string, unknown>;
  if (o.signal !== undefined && !(o.signal instanceof AbortSignal)) bad('signal', 'must be an AbortSignal');
  if (o.deadline !== undefined && (typeof o.deadline !== 'number' || Number.isNaN(o.deadline))) bad('deadline', 'must be a number (performance.now() clock)');
  if (o.budgetMs !== undefined && !(typeof o.budgetMs === 'number' && o.budgetMs > 0 && o.budgetMs <= MAX_BUDGET_MS)) bad('budgetMs', `must be a number of ms above 0, at most ${MAX_BUDGET_MS}`);
  for (const k of ['client', 'kind', 'recordOrigin'] as const) if (o[k] !== undefined && typeof o[k] !== 'string') bad(k, 'must be a string');
  if (o.records !== undefined && !Array.isArray(o.records)) bad('records', 'must be an array, one entry per document');
  if (o.recordStandIns !== undefined && !(Array.isArray(o.recordStandIns) && o.recordStandIns.every((x) => x === undefined || typeof x === 'boolean'))) bad('recordStandIns', 'must be an array of booleans, one entry per document');
  if (o.maxTokensPerDoc !== undefined && !(typeof o.maxTokensPerDoc === 'number' && Number.isInteger(o.maxTokensPerDoc) && o.maxTokensPerDoc >= 1)) bad('maxTokensPerDoc', 'must be a positive integer');
  return o as ProcessOptions;
}

/** Every option `new Reranker()` reads; another key is a typo (`modelDir`) that would be ignored silently. */
const RERANKER_OPTION_KEYS = [
  'modelsDir', 'device', 'precision', 'cacheDir', 'mediaRoots', 'mediaAllowHosts', 'maxDocuments', 'fps', 'maxFrames', 'weights', 'calibration', 'calibrationFile',
  'bridge', 'visualPassage', 'passageMix', 'ocr', 'chunking', 'framePooling', 'scoreFusion', 'mediaConcurrency', 'apiBudgetMs',
  'maxConcurrentRequests', 'admission', 'admissionControl', 'remoteUrls', 'remoteApiKey', 'remoteTimeoutMs', 'remoteModel', 'clipModel',
  'featureStore', 'preparedSides', 'ports', 'observe',
] as const satisfies ReadonlyArray<keyof RerankerOptions>;

/** The known key closest to a typo (edit distance ≤ 3, case ignored), for "did you mean". */
function closestKey(key: string): string | undefined {
  const d = (a: string, b: string): number => {
    const row = Array.from({ length: b.length + 1 }, (_, j) => j);
    for (let i = 1; i <= a.length; i++) {
      let prev = row[0]!;
      row[0] = i;
      for (let j = 1; j <= b.length; j++) {
        const cur = row[j]!;
        row[j] = Math.min(row[j]! + 1, row[j - 1]! + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
        prev = cur;
      }
    }
    return row[b.length]!;
  };
  let best: string | undefined;
  let bestD = 4;
  for (const k of RERANKER_OPTION_KEYS) {
    const x = d(key.toLowerCase(), k.toLowerCase());
    if (x < bestD) [best, bestD] = [k, x];
  }
  return best;
}

/**
 * `new Reranker(options)` checked at once, each mistake a VLR_BAD_REQUEST naming the option: a
 * `mediaRoots` string, a `device: 'gpu'` or a bad `precision` threw a raw ZodError naming config keys
 * (`media.roots`) at the first process(); a numeric `cacheDir` or a `featureStore` path string a
 * TypeError; a weight of `'x'` scored every document 0; `maxDocuments: -1` refused every request
 * later; a misspelt key (`modelDir`) was ignored (held-out probe round 11b). Objects the composition
 * root builds (ports, admission, prepared sides, hooks) are taken as given.
 */
export function checkRerankerOptions(o: Record<string, unknown>, signalNames: readonly string[]): void {
  const bad = (key: string, rule: string): never => {
    throw vlrError('VLR_BAD_REQUEST', `[options.${key}] ${rule}`, { details: { field: `options.${key}` } });
  };
  const known = new Set<string>(RERANKER_OPTION_KEYS);
  for (const k of Object.keys(o)) {
    if (known.has(k)) continue;
    const near = closestKey(k);
    bad(k, `unknown option${near ? `; did you mean ${near}?` : ''}`);
  }
  const isObj = (v: unknown) => v !== null && typeof v === 'object' && !Array.isArray(v);
  const num = (v: unknown) => typeof v === 'number' && Number.isFinite(v);
  for (const k of ['modelsDir', 'cacheDir', 'calibrationFile', 'clipModel', 'remoteApiKey', 'remoteModel'] as const) {
    if (o[k] !== undefined && !(typeof o[k] === 'string' && o[k] !== '')) bad(k, 'must be a non-empty string');
  }
  if (o.device !== undefined && !['auto', 'cpu', 'cuda'].includes(o.device as string)) bad('device', 'must be one of auto, cpu, cuda');
  if (o.precision !== undefined) {
    if (!isObj(o.precision)) bad('precision', 'must be an object: model id → fp32, fp16 or int8');
    for (const [id, p] of Object.entries(o.precision as object)) if (!['fp32', 'fp16', 'int8'].includes(p as string)) bad(`precision.${id}`, 'must be one of fp32, fp16, int8');
  }
  const listOf = { mediaRoots: 'folder paths', mediaAllowHosts: 'host names, addresses or CIDRs', remoteUrls: 'URLs' } as const;
  for (const [k, what] of Object.entries(listOf)) {
    if (o[k] !== undefined && !(Array.isArray(o[k]) && (o[k] as unknown[]).every((x) => typeof x === 'string' && x !== ''))) bad(k, `must be an array of ${what} (strings)`);
  }
  for (const k of ['maxDocuments', 'maxFrames', 'mediaConcurrency', 'maxConcurrentRequests'] as const) {
    if (o[k] !== undefined && !(Number.isInteger(o[k]) && (o[k] as number) >= 1)) bad(k, 'must be a positive integer');
  }
  for (const k of ['fps', 'remoteTimeoutMs'] as const) if (o[k] !== undefined && !(num(o[k]) && (o[k] as number) > 0)) bad(k, 'must be a number above 0');
  if (o.apiBudgetMs !== undefined && !(num(o.apiBudgetMs) && (o.apiBudgetMs as number) >= 0 && (o.apiBudgetMs as number) <= MAX_BUDGET_MS)) bad('apiBudgetMs', `must be a number of ms from 0 (none) to ${MAX_BUDGET_MS}`);
  if (o.passageMix !== undefined && !(num(o.passageMix) && (o.passageMix as number) >= 0 && (o.passageMix as number) <= 1)) bad('passageMix', 'must be a number from 0 to 1');
  if (o.ocr !== undefined && typeof o.ocr !== 'boolean') bad('ocr', 'must be a boolean');
  if (o.weights !== undefined) {
    if (!isObj(o.weights)) bad('weights', 'must be an object: signal name → weight');
    for (const [name, w] of Object.entries(o.weights as object)) {
      if (!signalNames.includes(name)) bad(`weights.${name}`, `unknown signal; one of ${signalNames.join(', ')}`);
      if (!(num(w) && (w as number) >= 0)) bad(`weights.${name}`, 'must be a number ≥ 0');
    }
  }
  for (const k of ['calibration', 'bridge', 'visualPassage', 'admission', 'scoreFusion'] as const) if (o[k] !== undefined && !isObj(o[k])) bad(k, 'must be an object');
  if (o.chunking !== undefined && o.chunking !== false && !isObj(o.chunking)) bad('chunking', 'must be an object or false');
  if (o.framePooling !== undefined && !(typeof o.framePooling === 'string' && /^(mean|max|top[1-9][0-9]?)$/.test(o.framePooling))) bad('framePooling', 'must be mean, max or topK (K 1–99)');
  if (o.featureStore !== undefined) {
    const fs = o.featureStore as { diskPath?: unknown; diskMaxBytes?: unknown };
    if (!isObj(fs) || typeof fs.diskPath !== 'string' || fs.diskPath === '') bad('featureStore', 'must be { diskPath: "<folder>", diskMaxBytes? }');
    if (fs.diskMaxBytes !== undefined && !(Number.isInteger(fs.diskMaxBytes) && (fs.diskMaxBytes as number) >= 1)) bad('featureStore.diskMaxBytes', 'must be a positive integer');
  }
  if (o.ports !== undefined && typeof o.ports !== 'function' && !isObj(o.ports)) bad('ports', 'must be the ports object or a function returning it');
}
