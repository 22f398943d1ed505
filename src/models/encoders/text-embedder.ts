/**
 * Text embedder (bge-small-en-v1.5 int8): text → L2-normalised vector by the manifest's pooling
 * (CLS for bge), with the query prefix for queries and truncation to the manifest's maxTokens
 * in code (the tokenizer library does not truncate). Padded batches shift int8 vectors slightly
 * (dynamic quantisation, PITFALLS.md): a model whose manifest says `text.runAlone` runs each text
 * alone, unpadded, so a text's vector never depends on what it was queued with; others group
 * texts of similar length.
 */
import type { Batcher } from '../batcher.js';
import { variantTag, type Manifest, type TextPreprocess } from '../manifest.js';
import type { ModelSession } from '../session.js';
import { maxInputChars, TextTokenizer, type Encoded } from '../tokenizer.js';
import { l2normalize } from '../../util/vector.js';
import { runTextBatch } from './common.js';
import { makeBatcher, manifestFor, type EncoderContext } from './context.js';

export type TextKind = 'query' | 'passage';

/**
 * Most padded tokens (rows × length) in one model run. A run cannot be interrupted and runs are
 * serialized (one inference worker), so a long run holds the model for everyone: 16 abstracts of
 * 512 tokens took 3.7 s in one run on 2 busy cores. With `models.inferenceThread: main` it also
 * blocks every timer, the rerank budget's included (a 10 s budget answered at 12 s). Runs of at
 * most 4 × 512 tokens bound that to about a second; attention on long rows gains little from
 * bigger batches.
 */
export const MAX_TOKENS_PER_RUN = 2048;

/**
 * Indices of `encs` grouped by length (ascending) so that padding adds at most half again the real
 * tokens of a group, and no group holds more than `maxTokensPerRun` padded tokens; groups keep
 * several texts together whenever lengths are close.
 */
/** Longest stretch of tokenising before encodeAll() lets other work run. */
const YIELD_MS = 8;
/** Characters (each text counted up to what the tokenizer is handed) tokenised in one go. */
const SYNC_CHARS = 256 * 1024;

export function lengthGroups(encs: readonly Encoded[], maxWaste = 1.5, maxTokensPerRun = MAX_TOKENS_PER_RUN): number[][] {
  const order = encs.map((_, i) => i).sort((a, b) => encs[a]!.ids.length - encs[b]!.ids.length);
  const groups: number[][] = [];
  let cur: number[] = [];
  let real = 0;
  for (const i of order) {
    const len = encs[i]!.ids.length;
    // ascending order: `len` is the padded length of the group with this row in it
    if (cur.length && (len * (cur.length + 1) > maxWaste * (real + len) || len * (cur.length + 1) > maxTokensPerRun)) {
      groups.push(cur);
      cur = [];
      real = 0;
    }
    cur.push(i);
    real += len;
  }
  if (cur.length) groups.push(cur);
  return groups;
}

export class TextEmbedder {
  readonly id: string;
  readonly manifest: Manifest;
  /** The precision variant in this model's identity (manifest.ts `variantTag`): empty for the default one. */
  readonly variant: string;
  readonly text: TextPreprocess;
  readonly tokenizer: TextTokenizer;
  readonly session: ModelSession;
  readonly dim: number | undefined;
  readonly #batcher: Batcher<Encoded, Float32Array>;

  private constructor(ctx: EncoderContext, m: Manifest, tokenizer: TextTokenizer) {
    this.id = m.id;
    this.manifest = m;
    this.variant = variantTag(m, ctx.precision);
    this.text = m.text!;
    this.tokenizer = tokenizer;
    this.dim = m.embeddingDim;
    this.session = ctx.registry.session(m.id, 'model', ctx.precision);
    // run alone, a batch is only a queue of single runs: one at a time, so a query submitted first
    // waits for one running text, not for a whole batch of ingest's abstracts
    this.#batcher = makeBatcher(ctx, m.id, m.text?.runAlone ? 1 : m.maxBatchSize, (items) => this.#run(items));
  }

  static async create(ctx: EncoderContext, id: string): Promise<TextEmbedder> {
    const m = manifestFor(ctx, id, 'text-embedding', 'a text-embedding model');
    const tokPath = await ctx.registry.ensureFile(id, ctx.registry.fileByRole(id, 'tokenizer'));
    return new TextEmbedder(ctx, m, await TextTokenizer.fromFile(tokPath, m.text!.maxTokens));
  }

  /**
   * What produced this embedder's vectors: model, revision and, for a model run text by text, that
   * fact (vectors kept from batched runs differ slightly, so they must not pass for these).
   */
  get identity(): string {
    return `${this.id}@${this.manifest.revision}${this.variant}${this.text.runAlone ? '+alone' : ''}`;
  }

  /** Token ids of a text as it will be fed (prefix added, truncated). */
  encode(text: string, kind: TextKind): Encoded {
    const prefix = kind === 'query' ? this.text.queryPrefix : this.text.passagePrefix;
    return this.tokenizer.encode(prefix + text);
  }

  /**
   * Many texts' token ids. Texts short in total are tokenised at once (no turn of the event loop
   * between tokenising and queueing); a large request gives the event loop a turn every YIELD_MS
   * of tokenising — each text is bounded by the tokenizer, and this keeps a thousand of them from
   * holding the loop (health and passthrough answer meanwhile) — and stops once `signal` aborts.
   */
  encodeAll(texts: readonly string[], kind: TextKind, signal?: AbortSignal): Encoded[] | Promise<Encoded[]> {
    const cap = maxInputChars(this.text.maxTokens);
    let total = 0;
    for (const t of texts) total += Math.min(t.length, cap);
    if (total <= SYNC_CHARS) return texts.map((t) => this.encode(t, kind));
    return (async () => {
      const out = new Array<Encoded>(texts.length);
      let slice = performance.now();
      for (let i = 0; i < texts.length; i++) {
        out[i] = this.encode(texts[i]!, kind);
        if (performance.now() - slice > YIELD_MS) {
          await new Promise<void>((r) => setImmediate(r));
          signal?.throwIfAborted();
          slice = performance.now();
        }
      }
      return out;
    })();
  }

  /** Embed already encoded texts (encodeAll), one promise for all; queries go ahead of queued passages. */
  embedEncoded(encs: Encoded[], signal?: AbortSignal, kind: TextKind = 'passage'): Promise<Float32Array[]> {
    return this.#batcher.submitAll(encs, signal, kind === 'query');
  }

  /** Embed one already encoded text; a query goes ahead of queued passages. */
  submitEncoded(enc: Encoded, signal?: AbortSignal, kind: TextKind = 'passage'): Promise<Float32Array> {
    return this.#batcher.submit(enc, signal, kind === 'query');
  }

  /**
   * One batcher batch → model runs over groups of similar length: a single 512-token passage
   * would otherwise pad every short text of the batch to 512 (attention cost grows with seq²).
   */
  async #run(encs: Encoded[]): Promise<Float32Array[]> {
    // one run per text, all sent at once: the inference worker takes them back to back
    if (this.text.runAlone) return (await Promise.all(encs.map((e) => this.#runGroup([e])))).map((v) => v[0]!);
    const out = new Array<Float32Array>(encs.length);
    for (const group of lengthGroups(encs)) {
      const vecs = await this.#runGroup(group.map((i) => encs[i]!));
      group.forEach((i, k) => (out[i] = vecs[k]!));
    }
    return out;
  }

  async #runGroup(encs: Encoded[]): Promise<Float32Array[]> {
    const { seq, out } = await runTextBatch(this.session, this.manifest, encs, this.text.padId);
    const h = out.dims[out.dims.length - 1]!;
    const data = out.data as Float32Array;
    const pooling = this.manifest.pooling ?? 'cls';
    return encs.map((e, r) => {
      const v = new Float32Array(h);
      if (pooling === 'mean') {
        const len = e.ids.length;
        for (let t = 0; t < len; t++) for (let k = 0; k < h; k++) v[k]! += data[(r * seq + t) * h + k]!;
        for (let k = 0; k < h; k++) v[k]! /= len;
      } else if (out.dims.length === 2) {
        v.set(data.subarray(r * h, (r + 1) * h));
      } else {
        v.set(data.subarray(r * seq * h, r * seq * h + h)); // CLS: position 0
      }
      return this.manifest.normalize ? l2normalize(v) : v;
    });
  }

  /**
   * Embed texts (queries get the query prefix); vectors are L2-normalised when the manifest says so.
   * `signal` (one for all texts, or one per text) drops a text from the queue when it aborts first.
   */
  async embed(texts: string[], options: { kind: TextKind; signal?: AbortSignal | ReadonlyArray<AbortSignal | undefined> } = { kind: 'passage' }): Promise<Float32Array[]> {
    const one = options.signal instanceof AbortSignal ? options.signal : undefined;
    return this.#batcher.submitAll(await this.encodeAll(texts, options.kind, one), options.signal, options.kind === 'query');
  }

  /** One promise per text, each settling on its own (a text dropped on abort does not fail the others). */
  embedEach(texts: string[], options: { kind: TextKind; signals?: ReadonlyArray<AbortSignal | undefined> }): Promise<Float32Array>[] {
    const encs = this.encodeAll(texts, options.kind);
    const first = options.kind === 'query';
    if (Array.isArray(encs)) return encs.map((e, i) => this.#batcher.submit(e, options.signals?.[i], first));
    const subs = encs.then((all) => all.map((e, i) => this.#batcher.submit(e, options.signals?.[i], first)));
    return texts.map((_, i) => subs.then((ps) => ps[i]!));
  }

  /** Items waiting in this model's batching queue (in all, and per lane), whether a batch runs, and items dropped on abort. */
  queue(): { pending: number; running: boolean; dropped: number; lanes: ReturnType<Batcher<Encoded, Float32Array>['lanes']> } {
    return { pending: this.#batcher.pending, running: this.#batcher.running, dropped: this.#batcher.dropped, lanes: this.#batcher.lanes() };
  }

  close(): void {
    this.#batcher.close();
  }
}
