/**
 * Image classifier / feature extractor (EfficientNet-Lite2 ImageNet): PreprocessedImage →
 * L2-normalised embedding (1280) + class logits (1000), with the class names. Inputs go through
 * the model's dynamic batcher so concurrent callers share model runs.
 */
import type { Batcher } from '../batcher.js';
import { variantTag, type Manifest } from '../manifest.js';
import type { ImagePreprocess, PreprocessedImage } from '../preprocess.js';
import type { ModelSession } from '../session.js';
import { l2normalize, softmax, topK } from '../../util/vector.js';
import { InputPool } from '../input-pool.js';
import { assertImage, row, runImages } from './common.js';
import { makeBatcher, manifestFor, classNames, type EncoderContext } from './context.js';

export interface ImageFeatures {
  /** L2-normalised image embedding. */
  embedding: Float32Array;
  /** Class logits (no softmax). */
  logits: Float32Array;
}

export interface ClassScore {
  classId: number;
  label: string;
  prob: number;
}

export class ImageClassifier {
  readonly id: string;
  readonly manifest: Manifest;
  /** The precision variant in this model's identity (manifest.ts `variantTag`): empty for the default one. */
  readonly variant: string;
  readonly preprocess: ImagePreprocess;
  readonly classNames: readonly string[];
  readonly session: ModelSession;
  readonly #batcher: Batcher<PreprocessedImage, ImageFeatures>;
  readonly #outputs: [string, string];

  /** Where this model's stacked inputs (and the features' preprocessed photos for it) are written: the Models' pool. */
  readonly inputs: InputPool;

  private constructor(ctx: EncoderContext, manifest: Manifest, classNames: string[]) {
    this.inputs = ctx.inputs ?? new InputPool();
    this.id = manifest.id;
    this.manifest = manifest;
    this.variant = variantTag(manifest, ctx.precision);
    this.preprocess = manifest.image!;
    this.classNames = Object.freeze(classNames);
    this.session = ctx.registry.session(manifest.id, 'model', ctx.precision);
    const outs = manifest.io.model!.outputs;
    this.#outputs = [outs.find((o) => /embed/.test(o)) ?? outs[0]!, outs.find((o) => /logit/.test(o)) ?? outs[1]!];
    this.#batcher = makeBatcher(ctx, manifest.id, manifest.maxBatchSize, (items) => this.#run(items), this.session.parallelRuns);
  }

  static async create(ctx: EncoderContext, id: string): Promise<ImageClassifier> {
    const m = manifestFor(ctx, id, 'image-encoder', 'an image-encoder');
    const names = await classNames(ctx, m);
    return new ImageClassifier(ctx, m, names);
  }

  async #run(images: PreprocessedImage[]): Promise<ImageFeatures[]> {
    const out = await runImages(this.session, this.inputs, this.manifest.io.model!.inputs[0]!, images, this.preprocess, this.id, this.#outputs);
    const [e, l] = [out[this.#outputs[0]]!, out[this.#outputs[1]]!];
    return images.map((_, i) => ({ embedding: this.manifest.normalize ? l2normalize(row(e, i)) : row(e, i), logits: row(l, i) }));
  }

  /** Features of each image, in order. An image whose signal aborts before its batch runs is dropped. */
  async embed(images: PreprocessedImage[], signal?: AbortSignal | ReadonlyArray<AbortSignal | undefined>): Promise<ImageFeatures[]> {
    for (const im of images) assertImage(im, this.preprocess, this.id);
    return this.#batcher.submitAll(images, signal);
  }

  /** Items waiting in this model's batching queue, whether a batch runs, and items dropped on abort. */
  queue(): { pending: number; running: boolean; dropped: number } {
    return { pending: this.#batcher.pending, running: this.#batcher.running, dropped: this.#batcher.dropped };
  }

  /** The k most probable classes of a logits vector. */
  topK(logits: Float32Array, k = 5, temperature = 1): ClassScore[] {
    const p = softmax(logits, temperature, new Float32Array(logits.length));
    return topK(p, k).map((i) => ({ classId: i, label: this.classNames[i] ?? String(i), prob: p[i]! }));
  }

  close(): void {
    this.#batcher.close();
  }
}
