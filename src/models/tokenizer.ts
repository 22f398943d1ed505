/**
 * Tokenizers from `tokenizer.json` via @huggingface/tokenizers, with the truncation that library
 * does not do itself (PITFALLS.md): single texts keep their special tokens and are cut in the
 * content (so CLIP ends with <|endoftext|> and BERT with [SEP]); text pairs are cut
 * longest-first, as HF `truncation=True` does for cross-encoders. Padding builds int64 tensors.
 */
import { readFile } from 'node:fs/promises';
import { Tokenizer } from '@huggingface/tokenizers';
import { vlrError } from '../errors.js';

export interface Encoded {
  ids: number[];
  typeIds: number[];
  /** Tokens before truncation (special tokens included), to tell callers they were cut. */
  fullLength: number;
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
    this.#tok = new Tokenizer(tokenizerJson, config);
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

  /** Content tokens of a text, without special tokens. */
  tokens(text: string): string[] {
    return this.#tok.tokenize(text, { add_special_tokens: false });
  }

  /** One text → ids with special tokens, content cut so the total is ≤ maxTokens. */
  encode(text: string): Encoded {
    const content = this.tokens(text);
    const fullLength = content.length + this.#specialSingle;
    const kept = content.slice(0, this.maxTokens - this.#specialSingle);
    const pp = this.#pp();
    const out = pp ? pp.post_process(kept, null, true) : { tokens: kept };
    return { ids: this.#ids(out.tokens), typeIds: out.token_type_ids ?? new Array(out.tokens.length).fill(0), fullLength };
  }

  /** A (query, passage) pair, truncated longest-first to maxTokens (HF `longest_first`). */
  encodePair(a: string, b: string): Encoded {
    const ta = this.tokens(a);
    const tb = this.tokens(b);
    const fullLength = ta.length + tb.length + this.#specialPair;
    const budget = this.maxTokens - this.#specialPair;
    let la = ta.length;
    let lb = tb.length;
    while (la + lb > budget) {
      if (la > lb) la--;
      else lb--;
    }
    const pp = this.#pp();
    const out = pp ? pp.post_process(ta.slice(0, la), tb.slice(0, lb), true) : { tokens: [...ta.slice(0, la), ...tb.slice(0, lb)] };
    const typeIds = out.token_type_ids ?? new Array(out.tokens.length).fill(0);
    return { ids: this.#ids(out.tokens), typeIds, fullLength };
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
