/**
 * Text cross-encoder (ms-marco MiniLM, bge-reranker): (query, passage) → relevance logit.
 * The pair is tokenised `[CLS] query [SEP] passage [SEP]` (or the model's own template from
 * tokenizer.json) and truncated longest-first to maxTokens in code. Output: the `logits`
 * output's first column per pair (no sigmoid; calibration belongs to the reranker).
 *
 * No cross-encoder weights exist on the build machines: this path is tested for tokenisation
 * only (with the bert-base-uncased WordPiece tokenizer of the MS MARCO cross-encoders).
 */
import type { Batcher } from '../batcher.js';
import type { Manifest, TextPreprocess } from '../manifest.js';
import type { ModelSession } from '../session.js';
import { TextTokenizer, type Encoded } from '../tokenizer.js';
import { runTextBatch } from './common.js';
import { makeBatcher, manifestFor, type EncoderContext } from './context.js';

export class CrossEncoder {
  readonly id: string;
  readonly manifest: Manifest;
  readonly text: TextPreprocess;
  readonly tokenizer: TextTokenizer;
  readonly session: ModelSession;
  readonly #batcher: Batcher<Encoded, number>;

  constructor(ctx: EncoderContext, m: Manifest, tokenizer: TextTokenizer) {
    this.id = m.id;
    this.manifest = m;
    this.text = m.text!;
    this.tokenizer = tokenizer;
    this.session = ctx.registry.session(m.id, 'model', ctx.precision);
    this.#batcher = makeBatcher(ctx, m.id, m.maxBatchSize, (items) => this.#run(items));
  }

  static async create(ctx: EncoderContext, id: string): Promise<CrossEncoder> {
    const m = manifestFor(ctx, id, 'text-cross-encoder', 'a text cross-encoder');
    const tok = await ctx.registry.ensureFile(id, ctx.registry.fileByRole(id, 'tokenizer'));
    return new CrossEncoder(ctx, m, await TextTokenizer.fromFile(tok, m.text!.maxTokens));
  }

  /** Token ids and segment ids of a pair as fed to the model. */
  encode(query: string, passage: string): Encoded {
    return this.tokenizer.encodePair(this.text.queryPrefix + query, this.text.passagePrefix + passage);
  }

  async #run(encs: Encoded[]): Promise<number[]> {
    const { out: t } = await runTextBatch(this.session, this.manifest, encs, this.text.padId);
    const cols = t.dims.length > 1 ? t.dims[t.dims.length - 1]! : 1;
    const d = t.data as Float32Array;
    return encs.map((_, i) => d[i * cols]!);
  }

  /** One logit per passage, in order. */
  score(query: string, passages: string[]): Promise<number[]> {
    return this.#batcher.submitAll(passages.map((p) => this.encode(query, p)));
  }

  close(): void {
    this.#batcher.close();
  }
}
