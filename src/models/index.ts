/**
 * The Models facade: built once from `config.models` (models dir, device, threads, spinning,
 * batching), it hands out one encoder per model id (created on first ask, sessions loaded on
 * first use), lists models with their state / provider / memory, and loads / unloads them.
 *
 * The reranker does `await models.textEmbedder()`, `models.imageClassifier()`,
 * `models.objectDetector()`, `models.clip(id)`, `models.crossEncoder(id)`; each encoder carries its
 * manifest's `ImagePreprocess` (`encoder.preprocess`) for features/media/image.ts.
 * Fixtures with `forRanking: false` are refused by `clip()`/`crossEncoder()` unless asked for
 * explicitly with `{ allowFixture: true }` (tests of the I/O contract).
 */
import { vlrError } from '../errors.js';
import type { Config } from '../config/schema.js';
import { silentLogger, type Logger } from '../observability/logger.js';
import type { Metrics } from '../observability/metrics.js';
import type { Manifest, Precision } from './manifest.js';
import { ModelRegistry } from './registry.js';
import type { SessionState } from './session.js';
import { ClipEncoder } from './encoders/clip.js';
import { CrossEncoder } from './encoders/cross-encoder.js';
import { ImageClassifier } from './encoders/image-classifier.js';
import { ObjectDetector } from './encoders/object-detector.js';
import { TextEmbedder } from './encoders/text-embedder.js';
import type { EncoderContext } from './encoders/context.js';
import { InputPool } from './input-pool.js';

export { ModelRegistry } from './registry.js';
export { ModelSession } from './session.js';
export { Batcher } from './batcher.js';
export { InputPool } from './input-pool.js';
export { TextTokenizer, maxInputChars } from './tokenizer.js';
export { ImageClassifier, type ImageFeatures, type ClassScore } from './encoders/image-classifier.js';
export { TextEmbedder, type TextKind } from './encoders/text-embedder.js';
export { ObjectDetector, type Detection } from './encoders/object-detector.js';
export { ClipEncoder } from './encoders/clip.js';
export { CrossEncoder } from './encoders/cross-encoder.js';
export type { Manifest, Calibration, Precision } from './manifest.js';
export type { ImagePreprocess, PreprocessedImage } from './preprocess.js';

/** The default model of each role (the real models in ../shared/models). */
export const DEFAULT_MODELS = Object.freeze({
  textEmbedder: 'bge-small-en-v1.5',
  imageClassifier: 'efficientnet-lite2-imagenet',
  objectDetector: 'nanodet-g-coco',
  ocr: 'ppocr-v4-ch',
});

export interface ModelInfo {
  id: string;
  task: Manifest['task'];
  revision: string;
  forRanking: boolean;
  state: SessionState;
  /** Execution provider of the loaded sessions (cpu / cuda). */
  provider?: string;
  device: string;
  /**
   * Memory of the loaded sessions' weights: the bytes of their ONNX files (0 when unloaded).
   * Measured from the files, not from an RSS delta, which other threads' allocations make noisy
   * (issue 13: the same model reported 92 MB, then 26.5 MB); each session's `rssDeltaBytes` is kept as a diagnostic.
   */
  memoryBytes: number;
  sessions: ReturnType<import('./session.js').ModelSession['info']>[];
}

export interface ModelsOptions {
  logger?: Logger;
  metrics?: Metrics;
  /** Manifests folder (default: the repo's models/). */
  manifestDir?: string;
  precision?: Precision;
  /** The image models' input pool (default: a new one for these models). */
  inputs?: InputPool;
}

export interface EncoderOptions {
  /** fp32 / fp16 / int8 where the manifest lists a file for it (default: the manifest's defaultPrecision). */
  precision?: Precision;
}

type Encoder = ImageClassifier | TextEmbedder | ObjectDetector | ClipEncoder | CrossEncoder;

export class Models {
  readonly registry: ModelRegistry;
  readonly config: Config['models'];
  /** Shared buffers for the image models' inputs (input-pool.ts): these models' encoders and the features decoding for them write into it. */
  readonly inputs: InputPool;
  readonly #ctx: EncoderContext;
  readonly #encoders = new Map<string, Promise<Encoder>>();
  readonly #logger: Logger;

  private constructor(registry: ModelRegistry, config: Config['models'], options: ModelsOptions) {
    this.registry = registry;
    this.config = config;
    this.#logger = options.logger ?? silentLogger;
    const metrics = options.metrics;
    this.inputs = options.inputs ?? new InputPool();
    this.#ctx = {
      registry,
      batch: config.batch,
      precision: options.precision,
      inputs: this.inputs,
      onBatch: metrics
        ? (model, n) => {
            metrics.batchSize.observe({ model }, n);
            metrics.modelRuns.inc({ model });
          }
        : undefined,
    };
  }

  static async create(config: Config['models'], options: ModelsOptions = {}): Promise<Models> {
    const registry = await ModelRegistry.create({
      dir: config.dir,
      manifestDir: options.manifestDir,
      device: config.device,
      intraOpThreads: config.intraOpThreads,
      interOpThreads: config.interOpThreads,
      allowSpinning: config.allowSpinning,
      inferenceThread: config.inferenceThread,
      inferenceNice: config.inferenceNice,
      inferenceWorkers: config.inferenceWorkers,
      logger: options.logger,
    });
    return new Models(registry, config, options);
  }

  /** One encoder per (id, precision); precision variants are separate files, hence separate sessions. */
  #get<T extends Encoder>(id: string, make: (ctx: EncoderContext, id: string) => Promise<T>, precision?: Precision): Promise<T> {
    precision ??= this.config.precision?.[id];
    const key = precision ? `${id}@${precision}` : id;
    let p = this.#encoders.get(key);
    if (!p) {
      p = make(precision ? { ...this.#ctx, precision } : this.#ctx, id);
      this.#encoders.set(key, p);
      p.catch(() => this.#encoders.delete(key));
    }
    return p as Promise<T>;
  }

  /**
   * The metrics hook every encoder built here reports its runs through (batch size, runs by model):
   * for an engine built beside this facade (OCR, features/extractor.ts), which ran uncounted (held-out probe round 13e).
   */
  get onBatch(): EncoderContext['onBatch'] {
    return this.#ctx.onBatch;
  }

  /** Refuse fixtures (random weights) wherever a model is picked for ranking. */
  assertRankable(id: string): Manifest {
    const m = this.registry.manifest(id);
    if (!m.forRanking) {
      throw vlrError('VLR_MODEL_NOT_ALLOWED', `model [${id}] is a test fixture (forRanking: false) and cannot be used for ranking`);
    }
    return m;
  }

  async textEmbedder(id: string = DEFAULT_MODELS.textEmbedder, opts: EncoderOptions = {}): Promise<TextEmbedder> {
    this.assertRankable(id);
    return this.#get(id, TextEmbedder.create, opts.precision);
  }

  async imageClassifier(id: string = DEFAULT_MODELS.imageClassifier, opts: EncoderOptions = {}): Promise<ImageClassifier> {
    this.assertRankable(id);
    return this.#get(id, ImageClassifier.create, opts.precision);
  }

  async objectDetector(id: string = DEFAULT_MODELS.objectDetector, opts: EncoderOptions = {}): Promise<ObjectDetector> {
    this.assertRankable(id);
    return this.#get(id, ObjectDetector.create, opts.precision);
  }

  async clip(id: string, opts: EncoderOptions & { allowFixture?: boolean } = {}): Promise<ClipEncoder> {
    if (!opts.allowFixture) this.assertRankable(id);
    return this.#get(id, ClipEncoder.create, opts.precision);
  }

  async crossEncoder(id: string, opts: EncoderOptions & { allowFixture?: boolean } = {}): Promise<CrossEncoder> {
    if (!opts.allowFixture) this.assertRankable(id);
    return this.#get(id, CrossEncoder.create, opts.precision);
  }

  list(): ModelInfo[] {
    return this.registry.list().map((m) => {
      const sessions = this.registry.sessionsOf(m.id).map((s) => s.info());
      const states = sessions.map((s) => s.state);
      const state: SessionState = states.includes('error')
        ? 'error'
        : states.includes('loading')
          ? 'loading'
          : states.length && states.every((s) => s === 'loaded')
            ? 'loaded'
            : 'unloaded';
      return {
        id: m.id,
        task: m.task,
        revision: m.revision,
        forRanking: m.forRanking,
        state,
        provider: sessions.find((s) => s.provider)?.provider,
        device: this.config.device,
        memoryBytes: sessions.reduce((a, s) => a + s.weightBytes, 0),
        sessions,
      };
    });
  }

  /** Create a model's sessions now (instead of on first use). */
  async load(id: string): Promise<ModelInfo> {
    const m = this.registry.manifest(id);
    if (m.task === 'ocr') {
      for (const role of Object.keys(m.io)) await this.registry.session(id, role, this.#ctx.precision).load();
    } else {
      const enc = await this.#encoderFor(m);
      const sessions = enc instanceof ClipEncoder ? [enc.vision, enc.textSession] : [enc.session];
      for (const s of sessions) await s.load();
    }
    return this.list().find((x) => x.id === id)!;
  }

  #encoderFor(m: Manifest): Promise<Encoder> {
    switch (m.task) {
      case 'image-encoder':
        return this.#get(m.id, ImageClassifier.create);
      case 'object-detector':
        return this.#get(m.id, ObjectDetector.create);
      case 'text-embedding':
        return this.#get(m.id, TextEmbedder.create);
      case 'image-text-dual-encoder':
        return this.#get(m.id, ClipEncoder.create);
      case 'text-cross-encoder':
        return this.#get(m.id, CrossEncoder.create);
      default:
        throw vlrError('VLR_BAD_REQUEST', `model ${m.id} (${m.task}) has no encoder here`);
    }
  }

  /** Release a model's sessions (memory returned); it loads again on next use. */
  async unload(id: string): Promise<ModelInfo> {
    this.registry.manifest(id);
    for (const s of this.registry.sessionsOf(id)) await s.unload();
    this.#logger.info({ model: id }, 'model unloaded');
    return this.list().find((x) => x.id === id)!;
  }

  async close(): Promise<void> {
    for (const p of this.#encoders.values()) {
      const e = await p.catch(() => undefined);
      e?.close();
    }
    this.#encoders.clear();
    await this.registry.close();
  }
}
