/**
 * CLIP-style dual encoder in the standard Hugging Face ONNX export layout (Transformers.js /
 * Optimum): `onnx/vision_model.onnx` pixel_values → image_embeds, `onnx/text_model.onnx`
 * input_ids (+ attention_mask only if the graph declares it) → text_embeds. The text graph pools
 * at the first <|endoftext|> itself (argmax of ids), so truncation must keep EOS last: the
 * tokenizer cuts the content to 77 tokens including start and end. Embeddings are returned
 * L2-normalised; similarity = exp(logitScale) · cos.
 *
 * Models with `forRanking: false` (the random-weight fixture) load here for I/O tests only; the
 * Models facade refuses them for ranking.
 */
import { vlrError } from '../../errors.js';
import type { Batcher } from '../batcher.js';
import { variantTag, type Manifest, type TextPreprocess } from '../manifest.js';
import type { ImagePreprocess, PreprocessedImage } from '../preprocess.js';
import { ort, type ModelSession } from '../session.js';
import { padBatch, TextTokenizer, type Encoded } from '../tokenizer.js';
import { l2normalize } from '../../util/vector.js';
import { InputPool } from '../input-pool.js';
import { assertImage, row, runImages } from './common.js';
import { makeBatcher, manifestFor, type EncoderContext } from './context.js';

export interface ClipEmbeddingOptions {
  /** Return the raw projected embeddings instead of L2-normalised ones. */
  raw?: boolean;
}

export class ClipEncoder {
  readonly id: string;
  readonly manifest: Manifest;
  /** The precision variant in this model's identity (manifest.ts `variantTag`): empty for the default one. */
  readonly variant: string;
  readonly preprocess: ImagePreprocess;
  readonly text: TextPreprocess;
  readonly tokenizer: TextTokenizer;
  readonly vision: ModelSession;
  readonly textSession: ModelSession;
  readonly logitScale: number;
  readonly #images: Batcher<PreprocessedImage, Float32Array>;
  readonly #texts: Batcher<Encoded, Float32Array>;

  /** Where this model's stacked inputs (and the features' preprocessed photos for it) are written: the Models' pool. */
  readonly inputs: InputPool;

  private constructor(ctx: EncoderContext, m: Manifest, tokenizer: TextTokenizer) {
    this.inputs = ctx.inputs ?? new InputPool();
    this.id = m.id;
    this.manifest = m;
    this.variant = variantTag(m, ctx.precision);
    this.preprocess = m.image!;
    this.text = m.text!;
    this.tokenizer = tokenizer;
    this.logitScale = m.logitScale ?? Math.log(100);
    this.vision = ctx.registry.session(m.id, 'vision', ctx.precision);
    this.textSession = ctx.registry.session(m.id, 'text', ctx.precision);
    this.#images = makeBatcher(ctx, `${m.id}/vision`, m.maxBatchSize, (items) => this.#runImages(items));
    this.#texts = makeBatcher(ctx, `${m.id}/text`, m.maxBatchSize, (items) => this.#runTexts(items));
  }

  static async create(ctx: EncoderContext, id: string): Promise<ClipEncoder> {
    const m = manifestFor(ctx, id, 'image-text-dual-encoder', 'an image-text dual encoder');
    const reg = ctx.registry;
    const tok = await reg.ensureFile(id, reg.fileByRole(id, 'tokenizer'));
    const cfg = m.files.find((f) => f.role === 'tokenizer-config');
    const tokenizer = await TextTokenizer.fromFile(tok, m.text!.maxTokens, cfg ? await reg.ensureFile(id, cfg) : undefined);
    return new ClipEncoder(ctx, m, tokenizer);
  }

  /** Token ids as fed: <|startoftext|> … <|endoftext|>, at most maxTokens (77), EOS kept last. */
  encode(text: string): Encoded {
    const e = this.tokenizer.encode(text);
    const eos = this.text.eosId;
    if (eos !== undefined && e.ids[e.ids.length - 1] !== eos) throw vlrError('VLR_INTERNAL', `${this.id}: tokenisation does not end with the end token`);
    return e;
  }

  async #runImages(images: PreprocessedImage[]): Promise<Float32Array[]> {
    const io = this.manifest.io.vision!;
    const out = await runImages(this.vision, this.inputs, io.inputs[0]!, images, this.preprocess, this.id, [io.outputs[0]!]);
    const t = out[io.outputs[0]!]!;
    return images.map((_, i) => row(t, i));
  }

  async #runTexts(encs: Encoded[]): Promise<Float32Array[]> {
    const io = this.manifest.io.text!;
    const { seq, ids, mask } = padBatch(encs, this.text.padId, this.text.padding === 'max' ? this.text.maxTokens : undefined);
    const dims = [encs.length, seq];
    // fed by name; ModelSession passes only what the graph declares (the CLIP text export has no attention_mask)
    const feeds = { input_ids: new ort.Tensor('int64', ids, dims), attention_mask: new ort.Tensor('int64', mask, dims) };
    const out = await this.textSession.run(feeds, [io.outputs[0]!]);
    const t = out[io.outputs[0]!]!;
    return encs.map((_, i) => row(t, i));
  }

  async embedImages(images: PreprocessedImage[], opts: ClipEmbeddingOptions = {}): Promise<Float32Array[]> {
    for (const im of images) assertImage(im, this.preprocess, this.id);
    const v = await this.#images.submitAll(images);
    return opts.raw ? v : v.map((x) => l2normalize(Float32Array.from(x)));
  }

  async embedTexts(texts: string[], opts: ClipEmbeddingOptions = {}): Promise<Float32Array[]> {
    const v = await this.#texts.submitAll(texts.map((t) => this.encode(t)));
    return opts.raw ? v : v.map((x) => l2normalize(Float32Array.from(x)));
  }

  /** Similarity logit of normalised embeddings: exp(logitScale) · cos (+ logitBias for SigLIP). */
  logit(image: Float32Array, text: Float32Array): number {
    let cos = 0;
    for (let i = 0; i < image.length; i++) cos += image[i]! * text[i]!;
    return Math.exp(this.logitScale) * cos + (this.manifest.logitBias ?? 0);
  }

  close(): void {
    this.#images.close();
    this.#texts.close();
  }
}
