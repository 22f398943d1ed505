/**
 * Where @huggingface/tokenizers 0.2.0 (pure JS) parts from the Rust `tokenizers` the models were
 * trained with (Python's `tokenizers`, transformers' fast tokenizers), each corrected on the
 * tokenizer's own parts after loading. Found by a differential run over a few thousand strings in
 * every script (held-out probe round 15f, scripts/tokenizer-parity/); the golden ids in
 * test/fixtures/tokenizer-parity/ keep it so across library upgrades.
 *
 * - Lowercasing: Rust lowercases **each character alone** (`char::to_lowercase`); JS's
 *   `String#toLowerCase` applies the final-sigma rule, so a word ending in Σ became …ς where the
 *   model saw …σ (BERT's BertNormalizer, CLIP's Lowercase).
 * - BERT's `handle_chinese_chars` walked UTF-16 units, so ideographs outside the BMP (CJK
 *   Extension B and later, U+20000…) were not split one per token: `𠀀𠀁𪜀word` was one [UNK]
 *   where BERT reads four [UNK] and `word`.
 * - ByteLevel's built-in pattern used JS `\s`, which holds U+FEFF and lacks U+0085, unlike the
 *   Oniguruma `\s` (Unicode White_Space) Rust splits with: a BOM inside CLIP text changed the
 *   tokens around it. (Patterns from tokenizer.json are already rewritten to `\p{White_Space}` by
 *   the library.)
 * - Added tokens declared `normalized: false` (CLIP's `<|endoftext|>`) are matched in the raw
 *   text only, as Rust does; the library also matched them in the *normalized* text, so a user's
 *   `<|ENDOFTEXT|>` became a real end token inside CLIP's text (CLIP pools at the end token).
 */
import * as hf from '@huggingface/tokenizers';
import type { Tokenizer } from '@huggingface/tokenizers';

// exported at run time, but the package's index.d.ts re-exports them through extension-less
// paths NodeNext cannot follow
type Ctor = abstract new (...args: never[]) => unknown;
const { BertNormalizer, ByteLevelPreTokenizer, LowercaseNormalizer, SequenceNormalizer, SequencePreTokenizer } = hf as unknown as Record<
  'BertNormalizer' | 'ByteLevelPreTokenizer' | 'LowercaseNormalizer' | 'SequenceNormalizer' | 'SequencePreTokenizer',
  Ctor
>;
/** A library that stops exporting one of them leaves that part as the library does it (the golden test then fails). */
const isA = (x: unknown, c: Ctor | undefined): boolean => typeof c === 'function' && x instanceof c;

/** Each code point lowercased alone, as Rust's `char::to_lowercase` (no final-sigma rule). */
export function lowercaseEachChar(text: string): string {
  // Final_Sigma is the only context the JS lowercasing reads: without a Σ it is per character already
  if (!text.includes('\u03a3')) return text.toLowerCase();
  let out = '';
  for (const ch of text) out += ch.toLowerCase();
  return out;
}

/** BERT's CJK ideograph ranges (the Rust `is_chinese_char`), by code point. */
function isChineseChar(cp: number): boolean {
  return (
    (cp >= 0x4e00 && cp <= 0x9fff) ||
    (cp >= 0x3400 && cp <= 0x4dbf) ||
    (cp >= 0x20000 && cp <= 0x2a6df) ||
    (cp >= 0x2a700 && cp <= 0x2b73f) ||
    (cp >= 0x2b740 && cp <= 0x2b81f) ||
    (cp >= 0x2b820 && cp <= 0x2ceaf) ||
    (cp >= 0xf900 && cp <= 0xfaff) ||
    (cp >= 0x2f800 && cp <= 0x2fa1f)
  );
}

/** A first look for isChineseChar's ranges: the BMP ones, and the high surrogates of U+20000–U+2FFFF. */
const MAYBE_CHINESE = /[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\ud840-\ud87f]/;

/** Spaces around each CJK ideograph, walking code points (not UTF-16 units). */
export function spaceChineseChars(text: string): string {
  // most texts hold no ideograph (nor a surrogate of the planes 2–3 ones): returned as they are
  if (!MAYBE_CHINESE.test(text)) return text;
  let out = '';
  for (const ch of text) out += isChineseChar(ch.codePointAt(0)!) ? ` ${ch} ` : ch;
  return out;
}

/** GPT-2's byte-level split with Unicode White_Space for `\s`, as Rust's Oniguruma reads it. */
const BYTE_LEVEL_SPLIT = /'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\p{White_Space}\p{L}\p{N}]+|\p{White_Space}+(?!\P{White_Space})|\p{White_Space}+/gu;

interface BertNormalizerParts {
  config: { clean_text?: boolean; handle_chinese_chars?: boolean; lowercase?: boolean; strip_accents?: boolean | null };
  clean_text(text: string): string;
  strip_accents(text: string): string;
  normalize(text: string): string;
}

function alignNormalizer(n: unknown): void {
  if (isA(n, SequenceNormalizer)) {
    for (const part of (n as unknown as { normalizers: unknown[] }).normalizers) alignNormalizer(part);
  } else if (isA(n, LowercaseNormalizer)) {
    (n as unknown as { normalize(t: string): string }).normalize = lowercaseEachChar;
  } else if (isA(n, BertNormalizer)) {
    const b = n as unknown as BertNormalizerParts;
    // the library's order (clean, CJK, lowercase, accents), each step as Rust's bert.rs does it
    b.normalize = (text: string): string => {
      const c = b.config;
      if (c.clean_text) text = b.clean_text(text);
      if (c.handle_chinese_chars) text = spaceChineseChars(text);
      if (c.lowercase) {
        text = lowercaseEachChar(text);
        if (c.strip_accents !== false) text = b.strip_accents(text);
      } else if (c.strip_accents) text = b.strip_accents(text);
      return text;
    };
  }
}

function alignPreTokenizer(p: unknown): void {
  if (isA(p, SequencePreTokenizer)) {
    for (const part of (p as unknown as { tokenizers: unknown[] }).tokenizers) alignPreTokenizer(part);
  } else if (isA(p, ByteLevelPreTokenizer)) {
    (p as unknown as { pattern: RegExp }).pattern = BYTE_LEVEL_SPLIT;
  }
}

interface AddedTokenParts { content: string; normalized: boolean; lstrip: boolean; rstrip: boolean }
interface TokenizerParts {
  normalizer: unknown;
  added_tokens: AddedTokenParts[];
  added_tokens_map: Map<string, AddedTokenParts>;
  splitter_unnormalized: { split(text: string): string[] };
  encode_text(text: string | null): string[] | null;
}

/** Tokens kept raw are found in the raw text only: split on them first, the rest as the library does. */
function alignRawAddedTokens(tok: Tokenizer): void {
  const t = tok as unknown as TokenizerParts;
  if (t.normalizer === null) return;
  const raw = new Map(t.added_tokens.filter((a) => !a.normalized).map((a) => [a.content, a]));
  if (raw.size === 0) return;
  // the library's lookup then knows only the normalized tokens; ids come from the model's vocabulary
  for (const content of raw.keys()) if (t.added_tokens_map.get(content) === raw.get(content)) t.added_tokens_map.delete(content);
  const encodeText = t.encode_text.bind(t);
  const splitter = t.splitter_unnormalized;
  t.encode_text = (text: string | null): string[] | null => {
    if (text === null) return null;
    const sections = splitter.split(text);
    sections.forEach((s, i) => {
      const a = raw.get(s);
      if (a?.lstrip && i > 0) sections[i - 1] = sections[i - 1]!.trimEnd();
      if (a?.rstrip && i < sections.length - 1) sections[i + 1] = sections[i + 1]!.trimStart();
    });
    return sections.flatMap((s) => (s.length === 0 ? [] : raw.has(s) ? [s] : (encodeText(s) ?? [])));
  };
}

/** `tok` corrected in place where it parts from the Rust reference (see the header). */
export function alignWithReference(tok: Tokenizer): Tokenizer {
  alignNormalizer(tok.normalizer);
  alignPreTokenizer(tok.pre_tokenizer);
  alignRawAddedTokens(tok);
  return tok;
}
