/**
 * FeatureExtractor: media reference or text → model features, cache first. For an image:
 * EfficientNet embedding + ImageNet logits/probabilities/top concepts, NanoDet detections, OCR
 * lines (each on request, image-extractor.ts); for a video: the same per sampled frame, plus the
 * mean embedding (video-extractor.ts); for text: the text embedder's vectors (text-vectors.ts).
 * It satisfies the reranker's `MediaPort`.
 *
 * Every result part lives in the feature store (store/tiered.ts): the byte-bounded in-process
 * cache (cache/, L1) over the optional disk and Redis tiers, keyed by content + models +
 * parameters (parts.ts). Model calls go through each
 * model's batching queue (visual-models.ts). A request's AbortSignal reaches the queues; work
 * another request still waits for goes on.
 *
 * Knows nothing about HTTP or engines; gets its Models, config and metrics hook from its creator.
 */
import { usableCores } from '../config/cgroup.js';
import type { Registry } from 'prom-client';
import type { Config } from '../config/schema.js';
import type { Logger } from '../observability/logger.js';
import { DEFAULT_MODELS, type Models, type ImageClassifier, type ObjectDetector, type TextEmbedder, type TextKind } from '../models/index.js';
import { OcrEngine, type OcrOptions } from '../models/encoders/ocr.js';
import type { ImagePreprocess } from '../models/preprocess.js';
import { Semaphore } from '../util/semaphore.js';
import { FeatureCache, type CacheEvent, type CacheStats } from './cache/feature-cache.js';
import { registerCacheGauges } from './cache/gauges.js';
import { ImageExtractor } from './image-extractor.js';
import { KnownMedia } from './known-media.js';
import { MediaSlots } from './media-slots.js';
import { IMAGE_DECODE, probeImage } from './media/image.js';
import { MediaSource } from './media/source.js';
import { VideoDecoder, videoLimits } from './media/video.js';
import { PartKeys, rev, sizeOfPart, type Part } from './parts.js';
import { TieredFeatures, type LowerTiers } from './store/tiered.js';
import type { TierHooks } from './store/tier.js';
import type { FeatureRequest, ImageResult, VideoRequest, VideoResult, VideoToDecode } from './records.js';
import { shortestFirst, TextVectorCache, type TextVectorModel, type VectorTier } from './text-vectors.js';
import { VideoExtractor } from './video-extractor.js';
import { VisualModels } from './visual-models.js';
import { LINE_READING } from '../models/encoders/ocr-words.js';

export interface FeatureExtractorOptions {
  /** `config.media` (limits, roots, fps defaults, ffmpeg). */
  media: Config['media'];
  /** Byte bound of the feature cache (`config.cache.maxBytes`). */
  cacheMaxBytes: number;
  /** Share the server's media source (SSRF guard, agent); built from `media` when absent. */
  source?: MediaSource;
  /** Persistent tiers under the in-process cache (built and closed by their owner, the server). */
  tiers?: LowerTiers;
  /** Metrics hook of L1 lookups (`vlrerank_feature_lookups_total{tier="l1"}`); the lower tiers carry their own. */
  tierHooks?: TierHooks;
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
  /** Media read and decoded at once (memory bound for big requests; default 8); as many URLs again may wait on their hosts apart (media-slots.ts). */
  maxConcurrentMedia?: number;
  /** Decodes / resizes running at once (default: the number of CPUs). More only oversubscribes the cores the model needs. */
  maxConcurrentDecodes?: number;
  /** Sampled video frames are scaled to this shorter side before preprocessing (default 448). */
  videoShortestSide?: number;
  /**
   * Classifier tensors handed to the model as soon as this many are ready while other images still
   * decode (default 4; see VisualModelSettings.pipelineChunk). `models.batch.maxBatchSize` or more
   * makes decode and inference take turns instead of overlapping.
   */
  pipelineChunk?: number;
}

export class FeatureExtractor {
  readonly classifier: ImageClassifier;
  readonly detector: ObjectDetector;
  readonly ocrEngine: OcrEngine | undefined;
  readonly source: MediaSource;
  readonly videoDecoder: VideoDecoder;
  /** L1, the in-process cache. */
  readonly cache: FeatureCache<Part>;
  /** Every tier: L1 over the persistent ones. */
  readonly store: TieredFeatures;
  readonly #models: Models;
  readonly #options: FeatureExtractorOptions;
  readonly #ownsSource: boolean;
  readonly #images: ImageExtractor;
  readonly #videos: VideoExtractor;
  /** Text vectors kept in the feature cache, one cache per text model (by its id). */
  readonly #textVectors = new Map<string, TextVectorCache>();
  readonly #textTier: VectorTier;
  /** What produces this extractor's image and frame features (models, preprocessing, settings): part of feature-record keys. */
  readonly featureSignature: Readonly<Record<string, unknown>>;
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
    this.videoDecoder = new VideoDecoder(videoLimits(m));
    const hooks = options.tierHooks;
    this.cache = new FeatureCache<Part>({
      maxBytes: options.cacheMaxBytes,
      sizeOf: sizeOfPart,
      onEvent: (e) => {
        options.onCacheEvent?.(e);
        if (e === 'hit' || e === 'miss') hooks?.onLookup?.('l1', e);
      },
    });
    this.store = new TieredFeatures(this.cache, options.tiers);
    if (options.registry) registerCacheGauges(options.registry, this.cache);
    const topK = options.topK ?? 5;
    const shortestSide = options.videoShortestSide ?? 448;
    this.featureSignature = Object.freeze({
      classifier: rev(parts.classifier),
      imageDecode: IMAGE_DECODE,
      classifierPre: parts.classifier.preprocess,
      topK,
      detector: rev(parts.detector),
      detectorPre: parts.detector.preprocess,
      detectScoreThreshold: options.detectScoreThreshold ?? null,
      ocr: parts.ocr ? rev(parts.ocr) : null,
      ocrOptions: options.ocrOptions ?? null,
      videoShortestSide: shortestSide,
    });
    const keys = new PartKeys(parts, { topK, detectScoreThreshold: options.detectScoreThreshold, ocrOptions: options.ocrOptions, videoShortestSide: shortestSide });
    const cpu = new Semaphore(options.maxConcurrentDecodes ?? usableCores().cores);
    const media = new Semaphore(options.maxConcurrentMedia ?? 8);
    const slots = new MediaSlots(media, new Semaphore(options.maxConcurrentMedia ?? 8));
    const visual = new VisualModels(parts, cpu, { maxBatch: models.config.batch.maxBatchSize, pipelineChunk: options.pipelineChunk, topK, detectScoreThreshold: options.detectScoreThreshold, ocrOptions: options.ocrOptions });
    const disk = options.tiers?.disk;
    const redis = options.tiers?.redis;
    const known = new KnownMedia({ ...(disk?.usable ? { memo: disk, urlMemo: disk, localPath: (ref: string) => this.source.localPath(ref) } : {}), ...(redis ? { sharedUrlMemo: redis } : {}) });
    const shared = { cache: this.store, keys, models: visual, source: this.source, known };
    this.#images = new ImageExtractor({ ...shared, limits: { maxBytes: m.maxBytes, maxPixels: m.maxPixels }, slots, cpu });
    this.#videos = new VideoExtractor({ ...shared, decoder: this.videoDecoder, media: m, slots, shortestSide });
    const cache = this.store;
    this.#textTier = {
      get: (k) => (cache.get(k) as Extract<Part, { kind: 'text' }> | undefined)?.value,
      find: (k) => {
        const f = cache.find(k);
        return f?.value.kind === 'text' ? { vector: f.value.value, source: f.source } : undefined;
      },
      set: (k, v) => cache.set(k, { kind: 'text', value: v }),
      keep: (v) => {
        const kept = cache.kept({ kind: 'text', value: v });
        return kept.kind === 'text' ? kept.value : v;
      },
      // replicas share text vectors through Redis (one MGET per call), when it is configured
      ...(cache.hasShared ? { lookup: async (ks: string[]) => (await cache.lookupShared(ks)).map((p) => (p?.kind === 'text' ? p.value : undefined)) } : {}),
    };
  }

  /** Build over a shared Models facade (sessions load lazily on first use). */
  static async create(models: Models, options: FeatureExtractorOptions): Promise<FeatureExtractor> {
    const [classifier, detector] = await Promise.all([
      models.imageClassifier(options.classifierId ?? DEFAULT_MODELS.imageClassifier),
      models.objectDetector(options.detectorId ?? DEFAULT_MODELS.objectDetector),
    ]);
    let ocr: OcrEngine | undefined;
    let ocrUnavailable: string | undefined;
    const ocrId = options.ocrId === undefined ? DEFAULT_MODELS.ocr : options.ocrId;
    if (ocrId) {
      try {
        ocr = await OcrEngine.create({ registry: models.registry, batch: models.config.batch, onBatch: models.onBatch }, ocrId);
      } catch (e) {
        // OCR is optional: without its files, images still get every other feature.
        options.logger?.warn({ model: ocrId, err: (e as Error).message }, 'OCR unavailable');
        ocrUnavailable = `model ${ocrId}: ${(e as Error).message}`;
      }
    }
    const fx = new FeatureExtractor(models, options, { classifier, detector, ocr });
    fx.ocrUnavailable = ocrUnavailable;
    return fx;
  }

  // ---- MediaPort surface (src/rerank/ports.ts)

  get classifierId(): string {
    return rev(this.classifier);
  }
  get classNames(): string[] {
    return [...this.classifier.classNames];
  }
  /** Why OCR cannot run (MediaPort.ocrUnavailable): its model failed to load at creation. */
  ocrUnavailable: string | undefined;

  get ocrAvailable(): boolean {
    return this.ocrEngine !== undefined;
  }

  /** How OCR reads lines, when it can run (ports.ts `ocrReading`). */
  get ocrReading(): string | undefined {
    return this.ocrEngine !== undefined ? LINE_READING : undefined;
  }

  /** Load the OCR models now (warm-up); nothing when OCR is unavailable. */
  async loadOcr(): Promise<void> {
    await this.ocrEngine?.load();
  }

  stats(): CacheStats {
    return this.cache.stats();
  }

  // ---- images and videos

  /** Features of one image reference (URL, data: URI, base64, path under roots). */
  image(ref: string, request: FeatureRequest = {}): Promise<ImageResult> {
    return this.#images.image(ref, request);
  }

  /**
   * Features of a local image this process has seen, when unchanged and all cached, at once (no
   * promise); undefined when `image()` must be asked (image-extractor.ts).
   */
  seenImage(ref: string, request: FeatureRequest = {}): ImageResult | undefined {
    return this.#images.seen(ref, request);
  }

  /**
   * A photo's size as its header gives it (no pixel decoded; a URL's bytes fetched a moment ago are
   * kept, recent.ts), and the side the classifier reads: what a query photo far below it is told
   * against. Undefined when it cannot be read (`image()` says why).
   */
  async imageSize(ref: string, signal?: AbortSignal): Promise<{ width: number; height: number; modelSide: number } | undefined> {
    const m = this.#options.media;
    try {
      const { bytes } = await this.source.resolve(ref, { maxBytes: m.maxBytes, signal });
      const { width, height } = await probeImage(bytes, { maxBytes: m.maxBytes, maxPixels: m.maxPixels });
      const pre = this.classifier.preprocess;
      return { width, height, modelSide: Math.min(pre.width, pre.height) };
    } catch {
      signal?.throwIfAborted();
      return undefined;
    }
  }

  /** The content hash of a local file this process has read, if unchanged since (one stat()); else undefined. */
  seenContentHash(ref: string): string | undefined {
    return this.#images.seenHash(ref);
  }

  /** The content hash of a local file as it is now (ports.ts `fileContentHash`); undefined for other references. */
  fileContentHash(ref: string, signal?: AbortSignal): Promise<string | undefined> {
    return this.#images.fileHash(ref, signal);
  }

  /** Features of several images; they share model batches. Results in input order. */
  images(refs: string[], request: FeatureRequest = {}): Promise<ImageResult[]> {
    return Promise.all(refs.map((r) => this.#images.image(r, request)));
  }

  /** Features of raw bytes already in hand (e.g. an uploaded query image). */
  imageBytes(bytes: Buffer, request: FeatureRequest = {}): Promise<ImageResult> {
    return this.#images.imageBytes(bytes, request);
  }

  /** Per-frame features of a video sampled at fps (capped by maxFrames), plus the mean embedding. */
  video(ref: string, request: VideoRequest = {}): Promise<VideoResult> {
    return this.#videos.video(ref, request);
  }

  /** How many frames video() would sample from a local file (its header) or a URL read before (undefined for new URLs, inline bytes or when unknown). */
  videoFrames(ref: string, request: { fps?: number; maxFrames?: number; signal?: AbortSignal } = {}): Promise<number | undefined> {
    return this.#videos.frameCount(ref, request);
  }

  /** The least wall time (ms) decoding these local videos would take now, cached ones left out (VideoExtractor.decodeFloorMs). */
  videoDecodeFloorMs(videos: ReadonlyArray<VideoToDecode>): Promise<number | undefined> {
    return this.#videos.decodeFloorMs(videos);
  }

  // ---- text

  /**
   * The text-vector cache of `model`, kept in this extractor's feature cache: one per model id,
   * so every caller asking with the same model shares its entries and its in-flight texts.
   */
  textVectors(model: TextVectorModel): TextVectorCache {
    let c = this.#textVectors.get(model.id);
    if (!c) this.#textVectors.set(model.id, (c = new TextVectorCache(model, this.#textTier)));
    return c;
  }

  /** Text embeddings of the extractor's text model, cached by text + model + kind; misses go in one batched call. */
  async text(texts: string[], kind: TextKind = 'passage', signal?: AbortSignal): Promise<Float32Array[]> {
    this.#textEmbedder ??= this.#models.textEmbedder(this.#options.textEmbedderId ?? DEFAULT_MODELS.textEmbedder);
    const model = shortestFirst(await this.#textEmbedder);
    return (await this.textVectors(model).vectors(texts, kind, signal)).vectors;
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
