/**
 * The Reranker: `process({query, documents, …})` → documents ordered by a calibrated, fused score in
 * [0, 1], with the input-order scores, usage, timings and (optionally) an explanation per document.
 *
 * Flow of one request (data flows one way):
 *   validate → features of the query and every document's media (concurrently, so the model
 *   batching queues and the feature cache see them together) → every text that needs a vector in
 *   two batched calls (query-side, passage-side; cached by hash) → per-pair signals, calibration,
 *   fusion (score.ts) → sort.
 * A document whose media cannot be read scores 0 with an `error` in its explanation, unless the
 * request is `strict`. Knows nothing about HTTP or Elasticsearch.
 */
import { vlrError, isVlrerankError, toVlrerankError, type VlrerankError } from '../errors.js';
import type { Calibrator, CalibrationTable } from './calibration.js';
import { buildCalibrator } from './calibration.js';
import { resolveWeights } from './fusion.js';
import type { DualEncoderPort, MediaPort, RemoteScorerPort, TextEncoderPort, VisualFeatures } from './ports.js';
import { scorePair, type PairScore, type PreparedSide } from './score.js';
import { bridgeVector, DEFAULT_BRIDGE, type BridgeSettings } from './signals/conse-bridge.js';
import { loadConceptBank, type ConceptBank } from './signals/concept-bank.js';
import { TextVectorCache } from './signals/text-text.js';
import { visualVector } from './signals/text-image.js';
import { DEFAULT_VISUAL_PASSAGE, visualPassage, type VisualPassageSettings } from './signals/visual-passage.js';
import {
  modalitiesOf,
  validateRerankInput,
  type Explanation,
  type NormalizedDocument,
  type NormalizedInput,
  type RerankInput,
  type RerankOutput,
  type RerankResult,
  type RerankTimings,
} from './types.js';
import { fuse } from './fusion.js';
import { Semaphore } from '../util/semaphore.js';
import { fanOutSignal } from '../util/abort.js';
import { Warmup, type WarmupStatus } from './warmup.js';

/** A 64×64 grey PNG: the image the warm-up runs through the image models (decode, classify, detect). */
const WARMUP_IMAGE =
  'data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAEAAAABACAIAAAAlC+aJAAAACXBIWXMAAAPoAAAD6AG1e1JrAAAAS0lEQVRo3u3PMQ0AAAwDoEqv9ErYvQQckD4XAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAYHLAB8+AWkItYjrAAAAAElFTkSuQmCC';

export interface WarmupOptions {
  /** Also run the image models (the pipelines have image or video fields). Default true. */
  media?: boolean;
  /** Stops the warm-up between its steps (server shutdown). */
  signal?: AbortSignal;
}

export interface RerankerPorts {
  text: TextEncoderPort;
  media: MediaPort;
  clip?: DualEncoderPort;
  remote?: RemoteScorerPort;
  /** Model batches run so far, by model (monotonic counters; usage reports the difference). */
  modelCalls?: () => Record<string, number>;
  close?: () => Promise<void> | void;
}

export interface RerankerOptions {
  /** Models directory (weights in `<dir>/<model-id>/…`, or a mirror such as ../shared/models). */
  modelsDir?: string;
  device?: 'auto' | 'cpu' | 'cuda';
  /** Where the concept-label embeddings are kept between runs (default `.cache/vlrerank`). */
  cacheDir?: string;
  /** Local folders media paths may be read from. */
  mediaRoots?: string[];
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
  /** How many documents' media are fetched/decoded at once per request. */
  mediaConcurrency?: number;
  /** Requests processed at once; more wait (reported as queue time). */
  maxConcurrentRequests?: number;
  /** Remote `/v1/rerank` workers (backend: remote | both). */
  remoteUrls?: string[];
  remoteApiKey?: string;
  remoteTimeoutMs?: number;
  remoteModel?: string;
  /** A trained CLIP-family model id for the `clip` signal (fixtures are refused). */
  clipModel?: string;
  /** Ready-made ports (the server passes the shared Models/FeatureExtractor through adapters). */
  ports?: RerankerPorts | (() => Promise<RerankerPorts>);
  /** Hook for metrics: stage durations (seconds) and cache events. */
  observe?: { stage?(stage: string, seconds: number): void; cache?(event: 'hit' | 'miss', n: number): void };
}

export interface ProcessOptions {
  signal?: AbortSignal;
}

interface DocPrep {
  side: PreparedSide;
  videoSide?: PreparedSide;
  error?: VlrerankError;
  cacheHits: number;
  cacheMisses: number;
  featuresMs: number;
  truncated: string[];
}

const now = () => performance.now();
const ms = (x: number) => Math.round(x * 100) / 100;

export class Reranker {
  readonly options: RerankerOptions;
  readonly calibrator: Calibrator;
  #ports: Promise<RerankerPorts> | undefined;
  #textCache: TextVectorCache | undefined;
  #bank: ConceptBank | undefined;
  readonly #bridge: BridgeSettings;
  readonly #vp: VisualPassageSettings;
  readonly #sem: Semaphore;
  /** The background warm-up (startWarmup); process() waits for it before its own work. */
  readonly warm = new Warmup();
  readonly #visualMemo = new WeakMap<Float32Array, { bank: string; detections: unknown; passage: string; bridge: Float32Array; concepts: string[] }>();

  constructor(options: RerankerOptions = {}) {
    this.options = options;
    this.calibrator = buildCalibrator({ file: options.calibrationFile, overrides: options.calibration });
    this.#bridge = { ...DEFAULT_BRIDGE, ...(options.bridge ?? {}) };
    this.#vp = { ...DEFAULT_VISUAL_PASSAGE, ...(options.visualPassage ?? {}) };
    this.#sem = new Semaphore(options.maxConcurrentRequests ?? 4);
  }

  /** Build (once) the model ports; models themselves load lazily on first use. */
  ports(): Promise<RerankerPorts> {
    if (!this.#ports) {
      const p = this.options.ports;
      this.#ports = (async () => {
        if (typeof p === 'function') return p();
        if (p) return p;
        const { createLocalPorts } = await import('./adapters.js');
        return createLocalPorts(this.options);
      })();
      this.#ports.catch(() => (this.#ports = undefined));
    }
    return this.#ports;
  }

  async #text(): Promise<TextVectorCache> {
    const ports = await this.ports();
    this.#textCache ??= new TextVectorCache(ports.text);
    return this.#textCache;
  }

  /** The ImageNet concept embeddings (computed once, cached on disk). */
  async conceptBank(): Promise<ConceptBank> {
    if (this.#bank) return this.#bank;
    const ports = await this.ports();
    const text = ports.text;
    this.#bank = await loadConceptBank(
      ports.media.classNames,
      { id: `${ports.media.classifierId}+${text.id}`, embedPassages: (t) => text.embed(t, 'passage') },
      { cacheDir: this.options.cacheDir ?? '.cache/vlrerank' },
    );
    return this.#bank;
  }

  /**
   * Visual passage text and ConSE vector of one image's features, memoised per features object
   * (the feature cache hands out the same object for the same image), so a photo seen in many
   * requests costs its softmax/top-k work once.
   */
  #visualOf(f: VisualFeatures, bank: ConceptBank, classNames: string[]): { passage: string; bridge: Float32Array; concepts: string[] } {
    // keyed by the logits array: the feature cache hands out the same arrays for the same image,
    // even when it wraps them in a new features object per call
    const hit = this.#visualMemo.get(f.logits);
    if (hit && hit.bank === bank.key && hit.detections === f.detections) return hit;
    const passage = visualPassage(f.detections, f.logits, classNames, this.#vp);
    const b = bridgeVector(f.logits, bank.vectors, this.#bridge);
    const v = { bank: bank.key, detections: f.detections, passage, bridge: b.vector, concepts: b.top.slice(0, 5).map((t) => shortLabel(classNames[t.classId]!)) };
    this.#visualMemo.set(f.logits, v);
    return v;
  }

  /**
   * Load the models now instead of on first use (server warm-up, benchmarks): the text embedder,
   * the concept bank (read from the cache dir, or computed once), and with `media` the image
   * models, by running one small image through the real path (decode, classify, detect).
   */
  async warmup(options: WarmupOptions = {}): Promise<void> {
    const signal = options.signal;
    const ports = await this.ports();
    signal?.throwIfAborted();
    await ports.text.embed(['warm-up'], 'query');
    signal?.throwIfAborted();
    await this.conceptBank();
    signal?.throwIfAborted();
    if (options.media ?? true) await ports.media.image(WARMUP_IMAGE, { detect: true, ocr: false, signal });
  }

  /**
   * Start warmup() in the background (once); requests arriving meanwhile wait for it. The outcome
   * (never thrown) goes to `onDone` and `warm.status()`.
   */
  startWarmup(options: WarmupOptions = {}, onDone?: (s: WarmupStatus) => void): Promise<void> {
    const what = ['text-embedder', 'concept-bank', ...((options.media ?? true) ? ['image-classifier', 'object-detector'] : [])];
    return this.warm.start(() => this.warmup(options), what, onDone);
  }

  /**
   * The text-space vector of one image's visual features (visual passage ⊕ ConSE): what the
   * search engineer stores as the "bridge" vector at ingest, so kNN over it matches this scorer.
   */
  async visualTextVector(features: VisualFeatures): Promise<{ vector: Float32Array; passage: string; concepts: string[] }> {
    const ports = await this.ports();
    const bank = await this.conceptBank();
    const cache = await this.#text();
    const passage = visualPassage(features.detections, features.logits, ports.media.classNames, this.#vp);
    const [pv] = (await cache.vectors([passage], 'passage')).vectors;
    const b = bridgeVector(features.logits, bank.vectors, this.#bridge);
    return { vector: visualVector(pv!, b.vector, { passage: this.options.passageMix ?? 0.5 }), passage, concepts: b.top.slice(0, 5).map((t) => shortLabel(ports.media.classNames[t.classId]!)) };
  }

  async process(input: RerankInput | unknown, options: ProcessOptions = {}): Promise<RerankOutput> {
    const t0 = now();
    const req = validateRerankInput(input, { maxDocuments: this.options.maxDocuments ?? 1000 });
    // a warm-up under way loads the very models this request needs: wait for it (counted as queue time)
    await this.warm.wait(options.signal);
    const release = await this.#sem.acquire(options.signal);
    const tQueue = now();
    // every queued item and cache waiter of this request listens to this one signal
    const fan = fanOutSignal(options.signal);
    try {
      return await this.#process(req, t0, tQueue, { ...options, signal: fan.signal });
    } finally {
      fan.dispose();
      release();
    }
  }

  async #process(req: NormalizedInput, t0: number, tQueue: number, opts: ProcessOptions): Promise<RerankOutput> {
    const ports = await this.ports();
    const callsBefore = ports.modelCalls?.() ?? {};
    const weights = resolveWeights(this.options.weights, req.weights);
    const useLocal = req.backend !== 'remote';
    const useRemote = req.backend !== 'local';
    if (useRemote && !ports.remote) {
      throw vlrError('VLR_BAD_REQUEST', `[backend] "${req.backend}" needs remote workers (rerank.remote.urls); none are configured`, { details: { field: 'backend' } });
    }
    const q = req.query;
    const qHasText = q.text !== undefined;
    const qHasVisual = q.image !== undefined || q.video !== undefined;
    const anyDocText = req.documents.some((d) => d.text !== undefined);
    const ocr = Boolean((req.ocr ?? this.options.ocr ?? false) && ports.media.ocrAvailable && qHasText);
    const fps = req.fps ?? this.options.fps ?? 1;
    const maxFrames = req.maxFrames ?? this.options.maxFrames ?? 32;
    const clip = ports.clip;
    if (clip && !clip.forRanking) {
      throw vlrError('VLR_MODEL_NOT_ALLOWED', `model ${clip.id} has random weights (a test fixture) and is refused for ranking`);
    }

    // --- remote scores (run alongside the local work) ---
    const remoteP = useRemote
      ? ports.remote!.score({ query: q, documents: req.documents.map(({ text, image, video }) => ({ text, image, video })), instruction: req.instruction, signal: opts.signal })
      : undefined;
    remoteP?.catch(() => undefined);

    // --- features: query media, then every document's media concurrently ---
    const tFeat = now();
    const needBank = useLocal && ((qHasText && req.documents.some((d) => d.image || d.video)) || (qHasVisual && anyDocText));
    const bankP = needBank ? this.conceptBank() : undefined;
    const qSide: PreparedSide = {};
    let qFeatures: VisualFeatures[] | undefined;
    let qCacheHits = 0;
    if (useLocal && qHasVisual) {
      const detect = anyDocText;
      try {
        if (q.image !== undefined) {
          const r = await ports.media.image(q.image, { detect, ocr: false, signal: opts.signal });
          qFeatures = [r.features];
          qCacheHits += r.cacheHit ? 1 : 0;
        } else {
          const r = await ports.media.video(q.video!, { detect, ocr: false, fps, maxFrames, signal: opts.signal });
          qFeatures = r.frames;
          qSide.isVideo = true;
          qSide.frameTimes = r.times;
          qCacheHits += r.cacheHit ? 1 : 0;
        }
      } catch (e) {
        throw prefixError(e, 'query');
      }
      qSide.visualEmb = qFeatures.map((f) => f.embedding);
    }

    const docFeat: Array<{ image?: VisualFeatures; video?: { frames: VisualFeatures[]; times: number[] }; error?: VlrerankError; hits: number; misses: number; ms: number }> = [];
    if (useLocal) {
      const detect = qHasText;
      const limit = new Semaphore(this.options.mediaConcurrency ?? 16);
      await Promise.all(
        req.documents.map(async (d, i) => {
          const entry: (typeof docFeat)[number] = { hits: 0, misses: 0, ms: 0 };
          docFeat[i] = entry;
          if (d.image === undefined && d.video === undefined) return;
          const rel = await limit.acquire(opts.signal);
          const t = now();
          try {
            if (d.image !== undefined) {
              const r = await ports.media.image(d.image, { detect, ocr, signal: opts.signal });
              entry.image = r.features;
              entry[r.cacheHit ? 'hits' : 'misses']++;
            }
            if (d.video !== undefined) {
              const r = await ports.media.video(d.video, { detect, ocr: false, fps: d.fps ?? fps, maxFrames: d.max_frames ?? maxFrames, signal: opts.signal });
              entry.video = { frames: r.frames, times: r.times };
              entry[r.cacheHit ? 'hits' : 'misses']++;
            }
          } catch (e) {
            entry.error = toVlrerankError(e);
            if (req.strict || opts.signal?.aborted) throw prefixError(e, `documents[${i}]`);
          } finally {
            entry.ms = now() - t;
            rel();
          }
        }),
      );
    }
    const featuresMs = now() - tFeat;
    opts.signal?.throwIfAborted();

    // --- texts: every vector this request needs, in two batched calls ---
    const tInf = now();
    const bank = bankP ? await bankP : undefined;
    const cache = await this.#text();
    const queryTexts: string[] = [];
    const passageTexts: string[] = [];
    const qi = (t: string) => queryTexts.push(t) - 1;
    const pi = (t: string) => passageTexts.push(t) - 1;
    const classNames = ports.media.classNames;
    const mix = { passage: this.options.passageMix ?? 0.5 };
    const qTextIdx = useLocal && qHasText ? qi(q.text!) : -1;
    const visualPlan = (frames: VisualFeatures[]) =>
      frames.map((f) => {
        const v = this.#visualOf(f, bank!, classNames);
        return { idx: pi(v.passage), ...v };
      });
    const qVisualPlan = useLocal && qFeatures && anyDocText && bank ? visualPlan(qFeatures) : undefined;
    const docPlans = req.documents.map((d, i) => {
      const f = docFeat[i];
      // a document whose image or video could not be read is still scored on its text
      if (!useLocal) return {};
      return {
        textP: qHasText && d.text !== undefined ? pi(d.text) : -1,
        textQ: qHasVisual && d.text !== undefined ? qi(d.text) : -1,
        image: qHasText && f?.image && bank ? visualPlan([f.image]) : undefined,
        video: qHasText && f?.video && bank ? visualPlan(f.video.frames) : undefined,
        ocr: ocr && f?.image?.ocr && f.image.ocr.length > 0 ? pi(f.image.ocr.join('\n')) : -1,
      };
    });
    const [qv, pv] = await Promise.all([
      queryTexts.length ? cache.vectors(queryTexts, 'query', opts.signal) : Promise.resolve(undefined),
      passageTexts.length ? cache.vectors(passageTexts, 'passage', opts.signal) : Promise.resolve(undefined),
    ]);
    // truncation is reported in explanations only: tokenising every cached text again is not free
    const tokenCheck = req.explain ? ports.text.countTokens?.bind(ports.text) : undefined;
    const truncatedOf = (t: string | undefined, what: string) => (t !== undefined && tokenCheck && tokenCheck(t) > ports.text.maxTokens ? [what] : []);

    // --- prepared sides ---
    if (qTextIdx >= 0) qSide.textQueryVec = qv!.vectors[qTextIdx];
    if (qVisualPlan) qSide.visualText = qVisualPlan.map((p) => visualVector(pv!.vectors[p.idx]!, p.bridge, mix));
    if (clip && qHasText && useLocal) qSide.clipText = (await clip.embedTexts([q.text!]))[0];

    const preps: DocPrep[] = req.documents.map((d, i) => {
      const f = docFeat[i] ?? { hits: 0, misses: 0, ms: 0 };
      const plan = docPlans[i]!;
      const side: PreparedSide = {};
      let hits = f.hits;
      let misses = f.misses;
      const countText = (idx: number | undefined, res: typeof qv) => {
        if (idx === undefined || idx < 0 || !res) return undefined;
        if (res.hit[idx]) hits++;
        else misses++;
        return res.vectors[idx];
      };
      if (plan.textP !== undefined) side.textPassageVec = countText(plan.textP, pv);
      if (plan.textQ !== undefined) side.textQueryVec = countText(plan.textQ, qv);
      if (plan.ocr !== undefined) side.ocrVec = countText(plan.ocr, pv);
      const visualOf = (plans: NonNullable<typeof plan.image>) => ({
        visualText: plans.map((p) => visualVector(countText(p.idx, pv)!, p.bridge, mix)),
        visualParts: plans.map((p) => ({ passage: pv!.vectors[p.idx]!, bridge: p.bridge, passageText: p.passage, concepts: p.concepts })),
      });
      if (f.image) {
        side.visualEmb = [f.image.embedding];
        if (plan.image) Object.assign(side, visualOf(plan.image));
      }
      let videoSide: PreparedSide | undefined;
      if (f.video) {
        videoSide = { isVideo: true, frameTimes: f.video.times, visualEmb: f.video.frames.map((x) => x.embedding) };
        if (plan.video) Object.assign(videoSide, visualOf(plan.video));
        if (!f.image) {
          Object.assign(side, videoSide);
          videoSide = undefined;
        }
      }
      return { side, videoSide, error: f.error, cacheHits: hits, cacheMisses: misses, featuresMs: f.ms, truncated: truncatedOf(d.text, 'document.text') };
    });
    if (clip && qSide.clipText) {
      const withImage = req.documents.map((d, i) => (d.image !== undefined && !preps[i]!.error ? i : -1)).filter((i) => i >= 0);
      if (withImage.length) {
        const vecs = await clip.embedImages(withImage.map((i) => req.documents[i]!.image!), opts.signal);
        withImage.forEach((i, j) => (preps[i]!.side.clipImage = vecs[j]));
      }
    }

    // --- remote ---
    let remoteScores: number[] | undefined;
    let remoteError: VlrerankError | undefined;
    let remoteInfo: { model?: string; worker: string } | undefined;
    if (remoteP) {
      try {
        const r = await remoteP;
        remoteScores = r.scores;
        remoteInfo = { model: r.model, worker: r.worker };
      } catch (e) {
        remoteError = toVlrerankError(e);
        if (!useLocal) throw remoteError;
      }
    }
    const inferenceMs = now() - tInf;

    // --- signals, calibration, fusion ---
    const tFuse = now();
    const settings = { calibrator: this.calibrator, weights, passageMix: mix.passage, clipLogitScale: clip?.logitScale };
    const qMods = modalitiesOf(q);
    const instructionUsed = remoteScores !== undefined && req.instruction !== undefined;
    const results: RerankResult[] = req.documents.map((d, i) => {
      const prep = preps[i]!;
      let pair = scorePair(qSide, prep.side, settings, remoteScores?.[i]);
      if (prep.videoSide) {
        const v = scorePair({ ...qSide }, prep.videoSide, settings);
        pair = { score: fuse([...pair.signals, ...v.signals]), signals: [...pair.signals, ...v.signals], bestFrame: v.bestFrame ?? pair.bestFrame };
        pair.score = Math.round(pair.score * 1e6) / 1e6;
      }
      const result: RerankResult = { index: i, score: pair.score, document: req.original[i]! };
      if (req.explain) result.explanation = explain(req, d, prep, pair, qMods, qCacheHits, remoteError, remoteInfo, instructionUsed);
      return result;
    });
    const scores = results.map((r) => r.score);
    const sorted = [...results].sort((a, b) => b.score - a.score || a.index - b.index);
    const top = req.topN !== undefined ? sorted.slice(0, req.topN) : sorted;
    const fusionMs = now() - tFuse;

    const callsAfter = ports.modelCalls?.() ?? {};
    const modelCalls: Record<string, number> = {};
    for (const [k, v] of Object.entries(callsAfter)) if (v - (callsBefore[k] ?? 0) > 0) modelCalls[k] = v - (callsBefore[k] ?? 0);
    const hits = preps.reduce((s, p) => s + p.cacheHits, qCacheHits);
    const misses = preps.reduce((s, p) => s + p.cacheMisses, 0);
    const timings: RerankTimings = {
      queue_ms: ms(tQueue - t0),
      features_ms: ms(featuresMs),
      inference_ms: ms(inferenceMs),
      fusion_ms: ms(fusionMs),
      total_ms: ms(now() - t0),
    };
    const obs = this.options.observe;
    if (obs?.stage) {
      obs.stage('queue', timings.queue_ms / 1000);
      obs.stage('features', timings.features_ms / 1000);
      obs.stage('inference', timings.inference_ms / 1000);
      obs.stage('fusion', timings.fusion_ms / 1000);
      obs.stage('total', timings.total_ms / 1000);
    }
    if (obs?.cache) {
      obs.cache('hit', hits);
      obs.cache('miss', misses);
    }
    const errors = preps.flatMap((p, index) => (p.error ? [{ index, ...mediaError(p.error) }] : []));
    const out = Object.assign(top, {
      scores,
      errors,
      usage: {
        documents: req.documents.length,
        images: docFeat.filter((f) => f?.image).length,
        video_frames: docFeat.reduce((s, f) => s + (f?.video?.frames.length ?? 0), 0),
        texts: queryTexts.length + passageTexts.length,
        model_calls: modelCalls,
        cache_hits: hits,
        cache_misses: misses,
      },
      timings,
      instruction: {
        given: req.instruction !== undefined,
        used: instructionUsed,
        by: instructionUsed ? ['remote'] : [],
        ...(req.instruction !== undefined && !instructionUsed
          ? { note: 'unused: the local signals are bi-encoders and classifiers that take no instruction; only the remote backend does' }
          : {}),
      },
    });
    return out as RerankOutput;
  }

  async close(): Promise<void> {
    if (!this.#ports) return;
    const p = await this.#ports.catch(() => undefined);
    await p?.close?.();
    this.#ports = undefined;
  }
}

function shortLabel(className: string): string {
  return className.split(',')[0]!.trim();
}

/** A document's media error as the output reports it (its explanation, and `errors`). */
function mediaError(e: VlrerankError): { type: string; reason: string; code: string } {
  return { type: e.type, reason: e.message, code: e.code };
}

function prefixError(e: unknown, where: string): VlrerankError {
  const err = toVlrerankError(e);
  if (!isVlrerankError(e)) return err;
  return vlrError(err.code, `[${where}] ${err.message}`, { cause: err.cause, details: { ...err.details, field: where }, status: err.status });
}

function explain(
  req: NormalizedInput,
  d: NormalizedDocument,
  prep: DocPrep,
  pair: PairScore,
  qMods: ReturnType<typeof modalitiesOf>,
  qCacheHits: number,
  remoteError: VlrerankError | undefined,
  remoteInfo: { model?: string; worker: string } | undefined,
  instructionUsed: boolean,
): Explanation {
  const e: Explanation = {
    modalities: { query: qMods, document: modalitiesOf(d) },
    signals: pair.signals,
    cache: { hits: prep.cacheHits + qCacheHits, misses: prep.cacheMisses },
    timings_ms: { features: ms(prep.featuresMs) },
  };
  if (pair.bestFrame) e.best_frame = pair.bestFrame;
  if (prep.error) e.error = mediaError(prep.error);
  if (prep.truncated.length) e.truncated = prep.truncated;
  if (req.instruction !== undefined) {
    e.instruction = instructionUsed ? { used: true, by: ['remote'] } : { used: false, note: 'no signal of this request takes an instruction' };
  }
  if (remoteError) {
    const s = pair.signals;
    s.push({ name: 'remote', compared: 'query↔document (remote scorer)', raw: NaN, calibrated: NaN, weight: 0, detail: { error: remoteError.message } });
  }
  if (remoteInfo) {
    const r = pair.signals.find((x) => x.name === 'remote');
    if (r) r.detail = { ...(r.detail ?? {}), worker: remoteInfo.worker, ...(remoteInfo.model ? { model: remoteInfo.model } : {}) };
  }
  return e;
}
