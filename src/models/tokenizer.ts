/**
 * Tokenizers from `tokenizer.json` via @huggingface/tokenizers, with the truncation that library
 * does not do itself (PITFALLS.md): single texts keep their special tokens and are cut in the
 * content (so CLIP ends with <|endoftext|> and BERT with [SEP]); text pairs are cut
 * longest-first, as HF `truncation=True` does for cross-encoders. Padding builds int64 tensors.
 *
 * Tokenisation runs on the event loop and costs time in proportion to the text, so a text is never
 * handed whole to the library: only a prefix of it, long enough for the tokens the model reads,
 * cut at a word boundary and grown only when it yields too few tokens, up to a hard bound of
 * MAX_CHARS_PER_TOKEN characters per token (issue 13: one 10 MiB text took 9.7 s and stalled
 * health). `fullLength` is then a lower bound, flagged by `cut`.
 */
import { readFile } from 'node:fs/promises';
import { Tokenizer } from '@huggingface/tokenizers';
import { vlrError } from '../errors.js';
import { alignWithReference } from './tokenizer-reference.js';

export interface Encoded {
  ids: number[];
  typeIds: number[];
  /** Tokens before truncation (special tokens included), to tell callers they were cut. */
  fullLength: number;
  /** The text was cut before tokenising (longer than the model can read): fullLength is a lower bound. */
  cut?: boolean;
}

/** Characters tokenised at first whatever the model, so ordinary texts are counted exactly. */
const MIN_PREFIX_CHARS = 8192;
/** Characters per token tried first (English averages ~4), and the hard bound per token read. */
const FIRST_CHARS_PER_TOKEN = 16;
export const MAX_CHARS_PER_TOKEN = 64;

/** The most characters of one text the tokenizer is ever handed when `tokens` tokens are needed. */
export function maxInputChars(tokens: number): number {
  return Math.max(MIN_PREFIX_CHARS, tokens * MAX_CHARS_PER_TOKEN);
}

/** `text` cut to at most `limit` characters, at the last whitespace of its last 256 when there is one (no word split in two). */
function prefixAt(text: string, limit: number): string {
  let end = limit;
  const floor = Math.max(0, limit - 256);
  while (end > floor && !/\s/.test(text[end]!)) end--;
  if (end === floor) end = limit;
  // never split a surrogate pair
  const c = text.charCodeAt(end - 1);
  if (c >= 0xd800 && c <= 0xdbff) end--;
  return text.slice(0, end);
}

interface PostProcessorLike {
  post_process(tokens: string[], pair?: string[] | null, addSpecial?: boolean): { tokens: string[]; token_type_ids?: number[] };
}

export class TextTokenizer {
  readonly #tok: Tokenizer;
  readonly maxTokens: number;
  /** Special tokens added around a single text / a pair. */
  readonly #specialSingle: number;
  readonly #specialPair: number;

  constructor(tokenizerJson: object, config: object, maxTokens: number) {
    this.#tok = alignWithReference(new Tokenizer(tokenizerJson, config));
    this.maxTokens = maxTokens;
    const pp = this.#pp();
    this.#specialSingle = pp ? pp.post_process([], null, true).tokens.length : 0;
    this.#specialPair = pp ? pp.post_process([], [], true).tokens.length : 0;
    if (this.#specialSingle >= maxTokens) throw vlrError('VLR_CONFIG_INVALID', `maxTokens ${maxTokens} leaves no room for text`);
  }

  static async fromFile(path: string, maxTokens: number, configPath?: string): Promise<TextTokenizer> {
    try {
      const json = JSON.parse(await readFile(path, 'utf8')) as object;
      const cfg = configPath ? (JSON.parse(await readFile(configPath, 'utf8')) as object) : {};
      return new TextTokenizer(json, cfg, maxTokens);
    } catch (e) {
      throw vlrError('VLR_MODEL_CORRUPT', `tokenizer ${path} cannot be loaded: ${(e as Error).message}`, { cause: e });
    }
  }

  #pp(): PostProcessorLike | null {
    return this.#tok.post_processor as unknown as PostProcessorLike | null;
  }

  #ids(tokens: string[]): number[] {
    return tokens.map((t) => {
      const id = this.#tok.token_to_id(t);
      if (id === undefined) throw vlrError('VLR_INTERNAL', `token ${t} has no id`);
      return id;
    });
  }

  /** Content tokens of a text, without special tokens (the whole text: callers bound it first). */
  tokens(text: string): string[] {
    return this.#tok.tokenize(text, { add_special_tokens: false });
  }

  /**
   * The first content tokens of `text`, at least `need` of them when the text has that many,
   * tokenising only a bounded prefix (see the header); `cut` when the text was not read to its end.
   */
  boundedTokens(text: string, need: number): { tokens: string[]; cut: boolean } {
    const hard = maxInputChars(need);
    let limit = Math.min(hard, Math.max(MIN_PREFIX_CHARS, need * FIRST_CHARS_PER_TOKEN));
    for (;;) {
      if (text.length <= limit) return { tokens: this.tokens(text), cut: false };
      const toks = this.tokens(prefixAt(text, limit));
      // one token more than needed: the last one may be a word the cut changed
      if (toks.length > need || limit >= hard) return { tokens: toks, cut: true };
      limit = Math.min(hard, limit * 4);
    }
  }

  /** One text → ids with special tokens, content cut so the total is ≤ maxTokens. */
  encode(text: string): Encoded {
    const budget = this.maxTokens - this.#specialSingle;
    const { tokens: content, cut } = this.boundedTokens(text, budget);
    const fullLength = content.length + this.#specialSingle;
    const kept = content.slice(0, budget);
    const pp = this.#pp();
    const out = pp ? pp.post_process(kept, null, true) : { tokens: kept };
    return { ids: this.#ids(out.tokens), typeIds: out.token_type_ids ?? new Array(out.tokens.length).fill(0), fullLength, ...(cut ? { cut } : {}) };
  }

  /** A (query, passage) pair, truncated longest-first to maxTokens (HF `longest_first`). */
  encodePair(a: string, b: string): Encoded {
    const budget = this.maxTokens - this.#specialPair;
    const ba = this.boundedTokens(a, budget);
    const bb = this.boundedTokens(b, budget);
    const ta = ba.tokens;
    const tb = bb.tokens;
    const fullLength = ta.length + tb.length + this.#specialPair;
    let la = ta.length;
    let lb = tb.length;
    while (la + lb > budget) {
      if (la > lb) la--;
      else lb--;
    }
    const pp = this.#pp();
    const out = pp ? pp.post_process(ta.slice(0, la), tb.slice(0, lb), true) : { tokens: [...ta.slice(0, la), ...tb.slice(0, lb)] };
    const typeIds = out.token_type_ids ?? new Array(out.tokens.length).fill(0);
    return { ids: this.#ids(out.tokens), typeIds, fullLength, ...(ba.cut || bb.cut ? { cut: true } : {}) };
  }

  decode(ids: number[]): string {
    return this.#tok.decode(ids, { skip_special_tokens: true });
  }
}

/** Pad encodings to the longest into [batch, seq] int64 tensors data. */
export function padBatch(encs: Encoded[], padId: number, padTo?: number): { seq: number; ids: BigInt64Array; mask: BigInt64Array; types: BigInt64Array } {
  const seq = Math.max(1, padTo ?? 0, ...encs.map((e) => e.ids.length));
  const n = encs.length;
  const ids = new BigInt64Array(n * seq).fill(BigInt(padId));
  const mask = new BigInt64Array(n * seq);
  const types = new BigInt64Array(n * seq);
  encs.forEach((e, r) => {
    for (let i = 0; i < e.ids.length; i++) {
      ids[r * seq + i] = BigInt(e.ids[i]!);
      mask[r * seq + i] = 1n;
      types[r * seq + i] = BigInt(e.typeIds[i] ?? 0);
    }
  });
  return { seq, ids, mask, types };
}
