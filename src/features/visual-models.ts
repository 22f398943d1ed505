/**
 * The image models run over one decoded image or video frame: classification (embedding, logits,
 * probabilities, top concepts), detection and OCR, each preprocessed exactly as its manifest says,
 * with decodes and resizes bounded by a CPU semaphore, on which an image already decoded is
 * preprocessed ahead of the decodes of images not started (the first tensors reach the idle model
 * after one decode, not after a decode of every image in flight). Classification collects the
 * preprocessed tensors of images decoded at about the same time into full model batches (see
 * `classify`); each tensor is `owned`, so a batch of one crosses to the inference worker uncopied.
 * Knows nothing of caches, media references or requests: it gets pixels, gives features.
 */
import { type Detection, type InputPool, type ImageClassifier, type ImageFeatures, type ObjectDetector } from '../models/index.js';
import type { OcrEngine, OcrLine, OcrOptions } from '../models/encoders/ocr.js';
import type { ImagePreprocess, PreprocessedImage } from '../models/preprocess.js';
import type { Semaphore } from '../util/semaphore.js';
import { softmax } from '../util/vector.js';
import { ocrPixels, preprocessImage, type DecodedImage } from './media/image.js';
import { recognizeInBands } from './ocr-bands.js';
import type { Classification } from './parts.js';

export interface VisualModelSettings {
  /** Largest classifier batch (the models' batching setting). */
  maxBatch: number;
  /**
   * Tensors handed to the model's queue as soon as this many are ready, while other images are
   * still being decoded (default 4, at most maxBatch): the first run starts after a few decodes
   * instead of after all of them, and the rest decode while it runs (they queue and run together
   * as the next batch). 4 is the EfficientNet batch of ../shared/perf/pystack, and on these
   * 2-core machines a small batch costs no more per image than a large one (manifest note).
   */
  pipelineChunk?: number;
  /** How many top concepts to keep. */
  topK: number;
  /** Detector score threshold (default: the model's). */
  detectScoreThreshold?: number;
  ocrOptions?: OcrOptions;
}

/**
 * An image only the classifier reads (no detections, no OCR): its input made straight from the
 * encoded bytes (image.ts `preprocessBytes`: one sharp call where it can), the pixels never held.
 */
export interface OneModelInput {
  prepare(spec: ImagePreprocess, into: (length: number) => Float32Array): Promise<PreprocessedImage>;
}

export class VisualModels {
  readonly classifier: ImageClassifier;
  readonly detector: ObjectDetector;
  readonly ocrEngine: OcrEngine | undefined;
  readonly #cpu: Semaphore;
  readonly #s: VisualModelSettings;
  /** Images between "classification asked" and "tensor ready" (see classify). */
  #preparing = 0;
  readonly #collected: Array<{ pre: PreprocessedImage; signal?: AbortSignal; resolve: (f: ImageFeatures) => void; reject: (e: unknown) => void }> = [];

  constructor(models: { classifier: ImageClassifier; detector: ObjectDetector; ocr?: OcrEngine }, cpu: Semaphore, settings: VisualModelSettings) {
    this.classifier = models.classifier;
    this.detector = models.detector;
    this.ocrEngine = models.ocr;
    this.#cpu = cpu;
    this.#s = settings;
  }

  /**
   * Each tensor is written into a buffer of the model's input pool (input-pool.ts; the Models'
   * one), which the encoder gives back once its run has answered or it has been copied into a
   * batch: a cold photo's 2.9 MB of float tensors are no longer fresh external memory here.
   */
  #pooled(model: { inputs: InputPool }): (length: number) => Float32Array {
    return (length) => model.inputs.acquire(length);
  }

  /**
   * Classifier features of one image. Preprocessed tensors wait in a small collector that is
   * flushed to the model's queue when `pipelineChunk` of them are ready, when a full batch is, or
   * when no other image is still being decoded: decoding the next images overlaps the model run
   * of the first ones, chunks queued while a run is in progress join into one batch (the batcher
   * takes up to maxBatch queued items), and a lone image waits for nothing.
   */
  async classify(image: (() => Promise<DecodedImage>) | OneModelInput, signal?: AbortSignal): Promise<Classification> {
    this.#preparing++;
    let pre: PreprocessedImage;
    try {
      if (typeof image === 'function') {
        const img = await image();
        pre = { ...(await this.#cpu.use(() => preprocessImage(img, this.classifier.preprocess, undefined, this.#pooled(this.classifier)), true, signal)), owned: true };
      } else {
        // decoded and resized in one go, under one permit (a decode's: another image's resize goes first)
        pre = { ...(await this.#cpu.use(() => image.prepare(this.classifier.preprocess, this.#pooled(this.classifier)), false, signal)), owned: true };
      }
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
    return { embedding: f.embedding, logits: f.logits, probs: softmax(f.logits, 1, new Float32Array(f.logits.length)), topConcepts: this.classifier.topK(f.logits, this.#s.topK) };
  }

  #flushIfReady(): void {
    const batch = this.#s.maxBatch;
    const chunk = Math.max(1, Math.min(batch, this.#s.pipelineChunk ?? 4));
    while (this.#collected.length >= chunk || (this.#collected.length > 0 && this.#preparing === 0)) {
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

  async detect(img: DecodedImage, signal?: AbortSignal): Promise<Detection[]> {
    const pre = { ...(await this.#cpu.use(() => preprocessImage(img, this.detector.preprocess, undefined, this.#pooled(this.detector)), true, signal)), owned: true };
    const thr = this.#s.detectScoreThreshold;
    return this.detector.detect(pre, pre.original, thr === undefined ? {} : { scoreThreshold: thr }, signal);
  }

  /** OCR lines (a tall page in bands, ocr-bands.ts); only called when an OCR engine is installed. Pixels held by the image worker stay there (perf22). */
  ocr(img: DecodedImage, signal?: AbortSignal): Promise<OcrLine[]> {
    return recognizeInBands(this.ocrEngine!, img, (rows) => ocrPixels(img, rows), this.#s.ocrOptions, signal);
  }
}
