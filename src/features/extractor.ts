/**
 * FeatureExtractor: media reference → model features, cache first. For an image: EfficientNet
 * embedding + ImageNet logits/probabilities/top concepts, NanoDet detections, OCR lines (each on
 * request); for a video: the same per sampled frame, plus the mean embedding; for text: the text
 * embedder's vectors under their own cache. It satisfies the reranker's `MediaPort`.
 *
 * Each result part is cached on its own key (content hash + model@revision + every parameter), so
 * asking for detections later does not recompute the embedding, and an image is decoded once per
 * miss, whatever parts are missing. Concurrent requests for one part share one computation.
 * Model calls go through each model's batching queue: images of one request that are decoded
 * while a batch runs join the next batch (one model run for many images).
 * A request's AbortSignal reaches the queues: a part whose every waiting request has aborted
 * leaves the queue before its model run (the cache's shared signal, see cache/feature-cache.ts);
 * a part another request still waits for goes on.
 *
 * Knows nothing about HTTP or engines; gets its Models, config and metrics hook from its creator.
 */
import { stat } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import { Gauge, type Registry } from 'prom-client';
import type { Config } from '../config/schema.js';
import { vlrError } from '../errors.js';
import type { Logger } from '../observability/logger.js';
import { DEFAULT_MODELS, type Models, type ImageClassifier, type ObjectDetector, type TextEmbedder, type ClassScore, type Detection, type ImageFeatures } from '../models/index.js';
import { softmax, unitMean } from '../util/vector.js';
import { OcrEngine, type OcrLine, type OcrOptions } from '../models/encoders/ocr.js';
import type { ImagePreprocess, PreprocessedImage } from '../models/preprocess.js';
import { FeatureCache, featureKey, stableStringify, type CacheEvent, type CacheStats } from './cache/feature-cache.js';
import { decodeImage, preprocessImage, type DecodedImage, type ImageLimits } from './media/image.js';
import { LRUCache } from 'lru-cache';
import { MediaSource, classifyRef, sha256Hex, type MediaBytes } from './media/source.js';
import { VideoDecoder } from './media/video.js';
import { Semaphore } from '../util/semaphore.js';
import { fanOutSignal } from '../util/abort.js';

/** Everything the signals need from one image or video frame. */
export interface VisualFeatures {
  /** Image embedding (EfficientNet, unit length). */
  embedding: Float32Array;
  /** Class logits (softmax not applied). */
  logits: Float32Array;
  /** softmax(logits). */
  probs: Float32Array;
  /** The most probable classes. */
  topConcepts: ClassScore[];
  /** Detected objects (empty unless asked for). */
  detections: Detection[];
  /** OCR text lines (only when asked for). */
  ocr?: string[];
  ocrLines?: OcrLine[];
}

export interface FeatureRequest {
  /** Run the object detector (default true). */
  detect?: boolean;
  /** Run OCR (default false: ~0.2–1 s per image). */
  ocr?: boolean;
  signal?: AbortSignal;
}

export interface ImageResult {
  features: VisualFeatures;
  /** Every requested part came from the cache (or a computation already under way). */
  cacheHit: boolean;
  contentHash: string;
}

export interface VideoRequest extends FeatureRequest {
  fps?: number;
  maxFrames?: number;
}

export interface VideoResult {
  frames: VisualFeatures[];
  /** Time of each frame in seconds. */
  times: number[];
  /** Mean of the frame embeddings, unit length (per-frame vectors stay in `frames` for max-sim). */
  embedding: Float32Array;
  cacheHit: boolean;
  contentHash: string;
  duration?: number;
}

export interface FeatureExtractorOptions {
  /** `config.media` (limits, roots, fps defaults, ffmpeg). */
  media: Config['media'];
  /** Byte bound of the feature cache (`config.cache.maxBytes`). */
  cacheMaxBytes: number;
  /** Share the server's media source (SSRF guard, agent); built from `media` when absent. */
  source?: MediaSource;
  /** Metrics hook for cache events (`metrics.cacheEvents.inc({event})`). */
  onCacheEvent?: (event: CacheEvent) => void;
  /**
   * A Prometheus registry (the server's `metrics.registry`): adds the gauges
   * `vlrerank_feature_cache_bytes` / `_entries` / `_max_bytes`, read at scrape time (the UI shows them).
   */
  registry?: Registry;
  logger?: Logger;
  classifierId?: string;
  detectorId?: string;
  /** OCR model id; `null` disables OCR. */
  ocrId?: string | null;
  textEmbedderId?: string;
  /** How many top concepts to keep (default 5). */
  topK?: number;
  /** Detector score threshold (default: the model's). */
  detectScoreThreshold?: number;
  ocrOptions?: OcrOptions;
  /** Media fetched + decoded at once (memory bound for big requests; default 8). */
  maxConcurrentMedia?: number;
  /** Decodes / resizes running at once (default: the number of CPUs). More only oversubscribes the cores the model needs. */
  maxConcurrentDecodes?: number;
  /** Sampled video frames are scaled to this shorter side before preprocessing (default 448). */
  videoShortestSide?: number;
}

type Part = { kind: 'classify'; value: { embedding: Float32Array; logits: Float32Array; probs: Float32Array; topConcepts: ClassScore[] } }
  | { kind: 'detect'; value: Detection[] }
  | { kind: 'ocr'; value: OcrLine[] }
  | { kind: 'video'; value: Omit<VideoResult, 'cacheHit' | 'contentHash'> }
  | { kind: 'text'; value: Float32Array };

function sizeOfPart(p: Part): number {
  switch (p.kind) {
    case 'classify':
      return p.value.embedding.byteLength + p.value.logits.byteLength + p.value.probs.byteLength + 64 * p.value.topConcepts.length;
    case 'detect':
      return 96 * p.value.length + 16;
    case 'ocr':
      return p.value.reduce((a, l) => a + 2 * l.text.length + 128, 16);
    case 'video':
      return p.value.embedding.byteLength + 8 * p.value.times.length + p.value.frames.reduce((a, f) => a + visualBytes(f), 0);
    case 'text':
      return p.value.byteLength;
  }
}

function visualBytes(f: VisualFeatures): number {
  return f.embedding.byteLength + f.logits.byteLength + f.probs.byteLength + 64 * f.topConcepts.length + 96 * f.detections.length + (f.ocrLines ?? []).reduce((a, l) => a + 2 * l.text.length + 128, 0);
}

/** Scrape-time gauges of the cache size (first extractor on a registry wins; a second one would clash). */
function registerCacheGauges(registry: Registry, cache: FeatureCache<Part>): void {
  const gauges: Array<[string, string, () => number]> = [
    ['vlrerank_feature_cache_bytes', 'Bytes held by the feature cache', () => cache.stats().bytes],
    ['vlrerank_feature_cache_entries', 'Entries in the feature cache', () => cache.stats().entries],
    ['vlrerank_feature_cache_max_bytes', 'Byte bound of the feature cache', () => cache.maxBytes],
  ];
  for (const [name, help, read] of gauges) {
    if (registry.getSingleMetric(name)) continue;
    new Gauge({ name, help, registers: [registry], collect() { this.set(read()); } });
  }
}

const rev = (m: { id: string; manifest: { revision: string } }) => `${m.id}@${m.manifest.revision}`;

export class FeatureExtractor {
  readonly classifier: ImageClassifier;
  readonly detector: ObjectDetector;
  readonly ocrEngine: OcrEngine | undefined;
  readonly source: MediaSource;
  readonly videoDecoder: VideoDecoder;
  readonly cache: FeatureCache<Part>;
  readonly #models: Models;
  readonly #options: FeatureExtractorOptions;
  readonly #ownsSource: boolean;
  readonly #limits: ImageLimits;
  readonly #media: Semaphore;
  readonly #cpu: Semaphore;
  /** URL → validators and content hash of the copy whose features are cached (for conditional re-fetch). */
  readonly #paths = new LRUCache<string, { location: string; size: number; mtimeMs: number; contentHash: string }>({ max: 100_000 });
  readonly #urls = new LRUCache<string, { etag?: string; lastModified?: string; contentHash: string }>({ max: 50_000 });
  /** Images between "classification asked" and "tensor ready" (see #classify). */
  #preparing = 0;
  readonly #collected: Array<{ pre: PreprocessedImage; signal?: AbortSignal; resolve: (f: ImageFeatures) => void; reject: (e: unknown) => void }> = [];
  #textEmbedder: Promise<TextEmbedder> | undefined;

  private constructor(models: Models, options: FeatureExtractorOptions, parts: { classifier: ImageClassifier; detector: ObjectDetector; ocr?: OcrEngine }) {
    this.#models = models;
    this.#options = options;
    this.classifier = parts.classifier;
    this.detector = parts.detector;
    this.ocrEngine = parts.ocr;
    const m = options.media;
    this.#ownsSource = !options.source;
    this.source = options.source ?? new MediaSource(m);
    this.videoDecoder = new VideoDecoder({
      ffmpegPath: m.ffmpegPath,
      ffprobePath: m.ffprobePath,
      maxBytes: m.maxVideoBytes,
      maxSeconds: m.maxVideoSeconds,
      maxPixels: m.maxPixels,
      timeoutMs: m.videoTimeoutMs,
    });
    this.#limits = { maxBytes: m.maxBytes, maxPixels: m.maxPixels };
    this.#media = new Semaphore(options.maxConcurrentMedia ?? 8);
    this.#cpu = new Semaphore(options.maxConcurrentDecodes ?? availableParallelism());
    this.cache = new FeatureCache<Part>({ maxBytes: options.cacheMaxBytes, sizeOf: sizeOfPart, onEvent: options.onCacheEvent });
    if (options.registry) registerCacheGauges(options.registry, this.cache);
  }

  /** Build over a shared Models facade (sessions load lazily on first use). */
  static async create(models: Models, options: FeatureExtractorOptions): Promise<FeatureExtractor> {
    const [classifier, detector] = await Promise.all([
      models.imageClassifier(options.classifierId ?? DEFAULT_MODELS.imageClassifier),
      models.objectDetector(options.detectorId ?? DEFAULT_MODELS.objectDetector),
    ]);
    let ocr: OcrEngine | undefined;
    const ocrId = options.ocrId === undefined ? DEFAULT_MODELS.ocr : options.ocrId;
    if (ocrId) {
      try {
        ocr = await OcrEngine.create({ registry: models.registry, batch: models.config.batch }, ocrId);
      } catch (e) {
        // OCR is optional: without its files, images still get every other feature.
        options.logger?.warn({ model: ocrId, err: (e as Error).message }, 'OCR unavailable');
      }
    }
    return new FeatureExtractor(models, options, { classifier, detector, ocr });
  }

  // ---- MediaPort surface (src/rerank/ports.ts)

  get classifierId(): string {
    return rev(this.classifier);
  }
  get classNames(): string[] {
    return [...this.classifier.classNames];
  }
  get ocrAvailable(): boolean {
    return this.ocrEngine !== undefined;
  }

  stats(): CacheStats {
    return this.cache.stats();
  }

  // ---- images

  /** Features of one image reference (URL, data: URI, base64, path under roots). */
  async image(ref: string, request: FeatureRequest = {}): Promise<ImageResult> {
    request.signal?.throwIfAborted();
    const revalidated = (await this.#unchangedPath(ref, request)) ?? (await this.#revalidate(ref, request));
    if (revalidated) return revalidated;
    const release = await this.#media.acquire();
    let bytes: Buffer;
    let contentHash: string;
    try {
      const m = await this.source.resolve(ref, { maxBytes: this.#limits.maxBytes, signal: request.signal });
      ({ bytes, contentHash } = m);
      if (m.origin === 'url' && (m.etag || m.lastModified)) this.#urls.set(ref, { etag: m.etag, lastModified: m.lastModified, contentHash });
      this.#rememberPath(ref, m);
    } catch (e) {
      release();
      throw e;
    }
    // the decode (when a part is missing) happens under the same permit; model waits do not hold it
    let decoded: Promise<DecodedImage> | undefined;
    const decode = () => (decoded ??= this.#cpu.use(() => decodeImage(bytes, this.#limits)).finally(release));
    try {
      return await this.#imageFeatures(contentHash, decode, request);
    } finally {
      if (!decoded) release();
    }
  }

  #partKeys(contentHash: string, request: FeatureRequest): string[] {
    const media = { contentHash };
    return [this.#classifyKey(media), ...((request.detect ?? true) ? [this.#detectKey(media)] : []), ...(request.ocr && this.ocrEngine ? [this.#ocrKey(media)] : [])];
  }

  /** A local file seen before keeps its content hash while its size and mtime do not change. */
  #rememberPath(ref: string, m: MediaBytes): void {
    // size and mtime from the same open file the bytes came from (no window for a change between)
    if (m.origin === 'path' && m.location && m.file) this.#paths.set(ref, { location: m.location, ...m.file, contentHash: m.contentHash });
  }

  async #knownPathHash(ref: string): Promise<string | undefined> {
    const memo = this.#paths.get(ref);
    if (!memo) return undefined;
    const st = await stat(memo.location).catch(() => undefined);
    return st && st.size === memo.size && st.mtimeMs === memo.mtimeMs ? memo.contentHash : undefined;
  }

  /** An unchanged local file whose parts are all cached costs one stat(), not a read and a sha256. */
  async #unchangedPath(ref: string, request: FeatureRequest): Promise<ImageResult | undefined> {
    const hash = await this.#knownPathHash(ref);
    if (!hash || !this.#partKeys(hash, request).every((k) => this.cache.has(k))) return undefined;
    // Should a part be evicted meanwhile, read the file after all.
    return this.#imageFeatures(hash, () => this.source.resolve(ref, { maxBytes: this.#limits.maxBytes, signal: request.signal }).then((m) => this.#cpu.use(() => decodeImage(m.bytes, this.#limits))), request);
  }

  /**
   * A URL seen before with an ETag / Last-Modified, whose features are all cached: ask the server
   * whether it changed (If-None-Match / If-Modified-Since). 304 → the cached features, no body
   * downloaded. Anything else → undefined, and the normal path fetches it.
   */
  async #revalidate(ref: string, request: FeatureRequest): Promise<ImageResult | undefined> {
    const memo = this.#urls.get(ref);
    if (!memo || classifyRef(ref) !== 'url') return undefined;
    if (!this.#partKeys(memo.contentHash, request).every((k) => this.cache.has(k))) return undefined;
    const r = await this.source.fetchUrl(ref, { maxBytes: this.#limits.maxBytes, signal: request.signal, validators: memo });
    if (!('notModified' in r)) {
      if (r.etag || r.lastModified) this.#urls.set(ref, { etag: r.etag, lastModified: r.lastModified, contentHash: r.contentHash });
      else this.#urls.delete(ref);
      return this.#imageFeatures(r.contentHash, () => this.#cpu.use(() => decodeImage(r.bytes, this.#limits)), request);
    }
    // Not modified. Should a part be evicted meanwhile, fetch the bytes after all.
    return this.#imageFeatures(memo.contentHash, () => this.source.resolve(ref, { maxBytes: this.#limits.maxBytes, signal: request.signal }).then((m) => this.#cpu.use(() => decodeImage(m.bytes, this.#limits))), request);
  }

  /** Features of several images; they share model batches. Results in input order. */
  images(refs: string[], request: FeatureRequest = {}): Promise<ImageResult[]> {
    return Promise.all(refs.map((r) => this.image(r, request)));
  }

  /** Features of raw bytes already in hand (e.g. an uploaded query image). */
  async imageBytes(bytes: Buffer, request: FeatureRequest = {}): Promise<ImageResult> {
    const contentHash = sha256Hex(bytes);
    let decoded: Promise<DecodedImage> | undefined;
    return this.#imageFeatures(contentHash, () => (decoded ??= this.#cpu.use(() => decodeImage(bytes, this.#limits))), request);
  }

  async #imageFeatures(contentHash: string, decode: () => Promise<DecodedImage>, request: FeatureRequest): Promise<ImageResult> {
    // each part below listens to the signal: one listener on the caller's (a bulk shares one for many images)
    const fan = fanOutSignal(request.signal);
    try {
      return await this.#imageParts(contentHash, decode, { ...request, signal: fan.signal });
    } finally {
      fan.dispose();
    }
  }

  async #imageParts(contentHash: string, decode: () => Promise<DecodedImage>, request: FeatureRequest): Promise<ImageResult> {
    const detect = request.detect ?? true;
    const ocr = (request.ocr ?? false) && this.ocrEngine !== undefined;
    const media = { contentHash };
    // each part's computation gets the cache's shared signal: aborted only when no request waits for it
    const decoded = async (signal: AbortSignal) => {
      signal.throwIfAborted();
      const img = await decode();
      signal.throwIfAborted();
      return img;
    };
    const [cls, det, text] = await Promise.all([
      this.cache.getOrCompute(this.#classifyKey(media), async (s) => ({ kind: 'classify', value: await this.#classify(() => decoded(s), s) }), request.signal),
      detect ? this.cache.getOrCompute(this.#detectKey(media), async (s) => ({ kind: 'detect', value: await this.#detect(await decoded(s), s) }), request.signal) : undefined,
      ocr ? this.cache.getOrCompute(this.#ocrKey(media), async (s) => ({ kind: 'ocr', value: await this.ocrEngine!.recognize(await decoded(s), this.#options.ocrOptions, s) }), request.signal) : undefined,
    ]);
    const c = (cls.value as Extract<Part, { kind: 'classify' }>).value;
    const lines = text ? (text.value as Extract<Part, { kind: 'ocr' }>).value : undefined;
    return {
      features: {
        ...c,
        detections: det ? (det.value as Extract<Part, { kind: 'detect' }>).value : [],
        ...(lines ? { ocr: lines.map((l) => l.text), ocrLines: lines } : {}),
      },
      cacheHit: cls.hit && (det?.hit ?? true) && (text?.hit ?? true),
      contentHash,
    };
  }

  #classifyKey(media: { contentHash: string }): string {
    return featureKey({ media, kind: 'classify', models: [rev(this.classifier)], params: { pre: this.classifier.preprocess, topK: this.#topK } });
  }
  #detectKey(media: { contentHash: string }): string {
    return featureKey({ media, kind: 'detect', models: [rev(this.detector)], params: { pre: this.detector.preprocess, thr: this.#options.detectScoreThreshold } });
  }
  #ocrKey(media: { contentHash: string }): string {
    return featureKey({ media, kind: 'ocr', models: [rev(this.ocrEngine!)], params: { ...this.#options.ocrOptions } });
  }

  get #topK(): number {
    return this.#options.topK ?? 5;
  }

  /**
   * Classifier features of one image. Preprocessed tensors wait in a small collector that is
   * flushed to the model's queue when a full batch is ready or when no other image is still being
   * decoded: a request of 100 images makes ⌈100 / batch⌉ model runs, a lone image waits for nothing.
   */
  async #classify(image: () => Promise<DecodedImage>, signal?: AbortSignal): Promise<Extract<Part, { kind: 'classify' }>['value']> {
    this.#preparing++;
    let pre: PreprocessedImage;
    try {
      const img = await image();
      pre = await this.#cpu.use(() => preprocessImage(img, this.classifier.preprocess));
      signal?.throwIfAborted();
    } catch (e) {
      this.#preparing--;
      this.#flushIfReady();
      throw e;
    }
    this.#preparing--;
    const f = await new Promise<ImageFeatures>((resolve, reject) => {
      this.#collected.push({ pre, signal, resolve, reject });
      this.#flushIfReady();
    });
    return { embedding: f.embedding, logits: f.logits, probs: softmax(f.logits, 1, new Float32Array(f.logits.length)), topConcepts: this.classifier.topK(f.logits, this.#topK) };
  }

  #flushIfReady(): void {
    const batch = this.#models.config.batch.maxBatchSize;
    while (this.#collected.length >= batch || (this.#collected.length > 0 && this.#preparing === 0)) {
      // one submit per image, in one synchronous loop: they land in the queue together (one batch),
      // and each leaves it on its own if its signal aborts first
      for (const it of this.#collected.splice(0, batch)) {
        this.classifier.embed([it.pre], it.signal).then(
          (out) => it.resolve(out[0]!),
          (e: unknown) => it.reject(e),
        );
      }
    }
  }

  async #detect(img: DecodedImage, signal?: AbortSignal): Promise<Detection[]> {
    const pre = await this.#cpu.use(() => preprocessImage(img, this.detector.preprocess));
    const thr = this.#options.detectScoreThreshold;
    return this.detector.detect(pre, pre.original, thr === undefined ? {} : { scoreThreshold: thr }, signal);
  }

  // ---- videos

  /** Per-frame features of a video sampled at fps (capped by maxFrames), plus the mean embedding. */
  async video(ref: string, request: VideoRequest = {}): Promise<VideoResult> {
    const m = this.#options.media;
    const fps = request.fps ?? m.fps;
    const maxFrames = request.maxFrames ?? m.maxFrames;
    const detect = request.detect ?? true;
    const ocr = (request.ocr ?? false) && this.ocrEngine !== undefined;
    const key = (h: string, d: boolean, o: boolean) => this.#videoKey(h, { fps, maxFrames, detect: d, ocr: o });
    // An entry computed with more parts serves a request for fewer.
    const fromCache = (h: string): VideoResult | undefined => {
      for (const [d, o] of [[detect, ocr], [true, ocr], [detect, true], [true, true]] as const) {
        const better = (d || !detect) && (o || !ocr) ? this.cache.peek(key(h, d, o)) : undefined;
        if (better) {
          this.cache.get(key(h, d, o)); // count the hit
          return this.#videoResult(better, h, true, detect, ocr);
        }
      }
      return undefined;
    };
    const known = await this.#knownPathHash(ref);
    const early = known ? fromCache(known) : undefined;
    if (early) return early;
    const release = await this.#media.acquire();
    let bytes: Buffer;
    let contentHash: string;
    try {
      const r = await this.source.resolve(ref, { maxBytes: m.maxVideoBytes, signal: request.signal });
      ({ bytes, contentHash } = r);
      this.#rememberPath(ref, r);
    } finally {
      release();
    }
    const hit = fromCache(contentHash);
    if (hit) return hit;
    const fan = fanOutSignal(request.signal);
    try {
      const r = await this.cache.getOrCompute(key(contentHash, detect, ocr), async (signal) => ({ kind: 'video', value: await this.#computeVideo(bytes, { fps, maxFrames, detect, ocr, signal }) }), fan.signal);
      return this.#videoResult(r.value, contentHash, r.hit, detect, ocr);
    } finally {
      fan.dispose();
    }
  }

  #videoResult(p: Part, contentHash: string, hit: boolean, detect: boolean, ocr: boolean): VideoResult {
    const v = (p as Extract<Part, { kind: 'video' }>).value;
    const frames = v.frames.map((f) => ({ ...f, detections: detect ? f.detections : [], ...(ocr ? {} : { ocr: undefined, ocrLines: undefined }) }));
    return { ...v, frames, cacheHit: hit, contentHash };
  }

  #videoKey(contentHash: string, p: { fps: number; maxFrames: number; detect: boolean; ocr: boolean }): string {
    const models = [rev(this.classifier), ...(p.detect ? [rev(this.detector)] : []), ...(p.ocr && this.ocrEngine ? [rev(this.ocrEngine)] : [])];
    return featureKey({
      media: { contentHash },
      kind: 'video',
      models,
      params: { ...p, side: this.#options.videoShortestSide ?? 448, pre: this.classifier.preprocess, det: p.detect ? stableStringify(this.detector.preprocess) + String(this.#options.detectScoreThreshold) : undefined, topK: this.#topK },
    });
  }

  async #computeVideo(bytes: Buffer, o: { fps: number; maxFrames: number; detect: boolean; ocr: boolean; signal?: AbortSignal }): Promise<Omit<VideoResult, 'cacheHit' | 'contentHash'>> {
    const sampled = await this.videoDecoder.sampleFrames(bytes, { fps: o.fps, maxFrames: o.maxFrames, shortestSide: this.#options.videoShortestSide ?? 448, signal: o.signal });
    // All frames at once: the classifier's queue batches them into few model runs.
    const frames = await Promise.all(
      sampled.frames.map(async (img): Promise<VisualFeatures> => {
        const [c, d, lines] = await Promise.all([
          this.#classify(async () => img, o.signal),
          o.detect ? this.#detect(img, o.signal) : Promise.resolve([]),
          o.ocr && this.ocrEngine ? this.ocrEngine.recognize(img, this.#options.ocrOptions, o.signal) : Promise.resolve(undefined),
        ]);
        return { ...c, detections: d, ...(lines ? { ocr: lines.map((l) => l.text), ocrLines: lines } : {}) };
      }),
    );
    if (frames.length === 0) throw vlrError('VLR_MEDIA_UNSUPPORTED', 'video has no decodable frame');
    return { frames, times: sampled.times, embedding: unitMean(frames.map((f) => f.embedding)), duration: sampled.probe.duration };
  }

  // ---- text

  #embedder(): Promise<TextEmbedder> {
    return (this.#textEmbedder ??= this.#models.textEmbedder(this.#options.textEmbedderId ?? DEFAULT_MODELS.textEmbedder));
  }

  /** Text embeddings (the reranker's text model), cached by text hash + model + kind; misses go in one batched call. */
  async text(texts: string[], kind: 'query' | 'passage' = 'passage', signal?: AbortSignal): Promise<Float32Array[]> {
    const emb = await this.#embedder();
    const keys = texts.map((t) => featureKey({ media: { contentHash: sha256Hex(Buffer.from(t, 'utf8')) }, kind: `text-${kind}`, models: [rev(emb)] }));
    const out = new Array<Float32Array>(texts.length);
    const missing: number[] = [];
    keys.forEach((k, i) => {
      const hit = this.cache.get(k);
      if (hit) out[i] = (hit as Extract<Part, { kind: 'text' }>).value;
      else missing.push(i);
    });
    if (missing.length) {
      const vecs = await emb.embed(missing.map((i) => texts[i]!), { kind, signal });
      missing.forEach((i, j) => {
        out[i] = vecs[j]!;
        this.cache.set(keys[i]!, { kind: 'text', value: vecs[j]! });
      });
    }
    return out;
  }

  /** The preprocessing each image model wants (for callers that decode themselves). */
  get preprocess(): { classifier: ImagePreprocess; detector: ImagePreprocess } {
    return { classifier: this.classifier.preprocess, detector: this.detector.preprocess };
  }

  async close(): Promise<void> {
    this.cache.clear();
    if (this.#ownsSource) await this.source.close();
  }
}
