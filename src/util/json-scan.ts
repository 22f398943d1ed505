/**
 * The one lexer of JSON text for the readers that must see what `JSON.parse` hides: how deep a body
 * nests before anything recurses on it (json-depth.ts), which key an object repeats
 * (json-duplicate-keys.ts) and which number or string token would not print back as sent
 * (json-tokens.ts). Each keeps its own state (a depth, a stack of key sets, a tree of tokens) and
 * pulls tokens from here:
 *
 *     const s = new JsonScanner(text);
 *     for (let t = s.next(); t !== END; t = s.next()) … s.start, s.end (the token is text[start, end))
 *
 * Pull, not callbacks nor a generator: one monomorphic method V8 inlines into each reader's loop
 * (measured in scripts/bench/json-scan.ts against the three loops it replaced). Iterative, no
 * allocation per token, never recurses: the nesting is the reader's to count and bound.
 *
 * Lenient by design — it tokenises any text, JSON or not, and judges nothing (`JSON.parse` does):
 * - a string is jumped from quote to quote with indexOf (`stringEnd`): a body is mostly string
 *   content, and a 31 MiB rerank body walked one character at a time in JavaScript held the event
 *   loop ~0.7 s. A string with no closing quote is UNTERMINATED, and the scan ends there;
 * - a number is a run of `-`/digit followed by digits, `-`, `+`, `.`, `e`, `E` (its spelling is the
 *   reader's to judge: `String(Number(t)) === t`);
 * - a literal is a run of ASCII letters starting at `t`, `f` or `n` (`true`, `false`, `null`);
 * - `{ } [ ] , :` are one token each; everything else (whitespace, a stray letter or backslash) is
 *   skipped. None of the multi-character tokens can hold a quote or a structural character, so
 *   what a reader of structure alone sees does not depend on how the rest is split.
 *
 * No npm library fitted (see the commit that made this file): jsonc-parser's scanner and
 * @streamparser/json's tokenizer read strings one character at a time — all tokens of a 5 MB
 * `_bulk` body cost jsonc-parser ×2.4 this scanner's CPU with 64-dim vectors, ×17 text only,
 * @streamparser/json ×8 and ×21 (one run) — and both judge the grammar where these readers must
 * not (a depth is counted on text the parser would refuse). json-worker-source.ts repeats
 * `stringEnd` and the depth rule in the worker's source string (a string for the reasons given
 * there; json-worker.test.ts checks they agree).
 */

/** JSON's structural characters, as `charCodeAt` gives them. */
export const QUOTE = 34; // "
export const BACKSLASH = 92; // \
export const OPEN_OBJ = 123; // {
export const OPEN_ARR = 91; // [
export const CLOSE_OBJ = 125; // }
export const CLOSE_ARR = 93; // ]
export const COMMA = 44; // ,
export const COLON = 58; // :

/** Token kinds `next()` answers. The structural ones are their own character's code. */
export const END = 0;
export const STRING = 1;
export const NUMBER = 2;
export const LITERAL = 3;
export const UNTERMINATED = 4; // a string with no closing quote: the last token
export type Token = typeof END | typeof STRING | typeof NUMBER | typeof LITERAL | typeof UNTERMINATED | typeof OPEN_OBJ | typeof OPEN_ARR | typeof CLOSE_OBJ | typeof CLOSE_ARR | typeof COMMA | typeof COLON;

/** What each ASCII character starts (or, for NUMBER_CHAR, continues): one load per character. */
const SKIP = 0;
const STARTS_STRING = 1;
const STRUCTURAL = 2;
const STARTS_NUMBER = 3;
const STARTS_LITERAL = 4;
const CLASS = new Uint8Array(128);
const NUMBER_CHAR = new Uint8Array(128); // 0-9 - + . e E
const LETTER = new Uint8Array(128); // A-Z a-z
for (let c = 0; c < 128; c++) {
  const digit = c >= 48 && c <= 57;
  const structural = c === OPEN_OBJ || c === OPEN_ARR || c === CLOSE_OBJ || c === CLOSE_ARR || c === COMMA || c === COLON;
  const literal = c === 116 || c === 102 || c === 110; // t f n
  CLASS[c] = c === QUOTE ? STARTS_STRING : structural ? STRUCTURAL : digit || c === 45 ? STARTS_NUMBER : literal ? STARTS_LITERAL : SKIP;
  NUMBER_CHAR[c] = digit || c === 45 || c === 43 || c === 46 || c === 101 || c === 69 ? 1 : 0;
  LETTER[c] = (c >= 65 && c <= 90) || (c >= 97 && c <= 122) ? 1 : 0;
}

export class JsonScanner {
  /** The current token is `text.slice(start, end)` (a string's quotes included). */
  start = 0;
  end = 0;
  #at = 0;
  #backslash = -1; // the first backslash at or after some earlier string's start (text.length: none)

  constructor(readonly text: string) {}

  next(): Token {
    const text = this.text;
    const n = text.length;
    for (let i = this.#at; i < n; i++) {
      const c = text.charCodeAt(i);
      const k = c < 128 ? CLASS[c]! : SKIP;
      if (k === SKIP) continue;
      this.start = i;
      if (k === STARTS_STRING) {
        const e = stringEnd(text, i);
        if (e < 0) {
          this.#at = this.end = n;
          return UNTERMINATED;
        }
        this.#at = this.end = e + 1;
        return STRING;
      }
      if (k === STRUCTURAL) {
        this.#at = this.end = i + 1;
        return c as Token;
      }
      let j = i + 1;
      if (k === STARTS_NUMBER) {
        for (let d; j < n && (d = text.charCodeAt(j)) < 128 && NUMBER_CHAR[d] === 1; ) j++;
        this.#at = this.end = j;
        return NUMBER;
      }
      for (let d; j < n && (d = text.charCodeAt(j)) < 128 && LETTER[d] === 1; ) j++; // t f n: true false null
      this.#at = this.end = j;
      return LITERAL;
    }
    this.#at = this.start = this.end = n;
    return END;
  }

  /**
   * The next bracket (`{ [ ] }`), END or UNTERMINATED: `next()` with every other token stepped over
   * in place, for a reader of nesting alone (jsonDepth, before a body is parsed) — a 5 MB body of
   * vectors is mostly numbers and commas, and answering each as a token cost jsonDepth ×2 its old
   * loop. What it sees is what `next()` would give: no number or literal holds a quote or a bracket.
   */
  nextBracket(): Token {
    const text = this.text;
    const n = text.length;
    for (let i = this.#at; i < n; i++) {
      const c = text.charCodeAt(i);
      if (c === QUOTE) {
        const e = stringEnd(text, i);
        this.start = i;
        if (e < 0) {
          this.#at = this.end = n;
          return UNTERMINATED;
        }
        i = e;
      } else if (c === OPEN_OBJ || c === OPEN_ARR || c === CLOSE_OBJ || c === CLOSE_ARR) {
        this.start = i;
        this.#at = this.end = i + 1;
        return c;
      }
    }
    this.#at = this.start = this.end = n;
    return END;
  }

  /**
   * Does the current STRING token hold a backslash (an escape)? One forward cursor over the whole
   * scan: asking it of every string stays linear (a `lastIndexOf` from each string's end ran back
   * over the whole text when it held no backslash — quadratic in the size of an answer).
   */
  escaped(): boolean {
    if (this.#backslash < this.start) {
      const b = this.text.indexOf('\\', this.start);
      this.#backslash = b < 0 ? this.text.length : b;
    }
    return this.#backslash < this.end;
  }
}

/**
 * Index of the quote that closes the string opened at `open`, or -1. Jumps from quote to quote with
 * indexOf (native, fast). A quote preceded by an odd run of backslashes is escaped; each run is
 * counted once, so the scan stays linear.
 */
export function stringEnd(text: string, open: number): number {
  let from = open + 1;
  for (;;) {
    const q = text.indexOf('"', from);
    if (q < 0) return -1;
    let k = q - 1;
    while (k > open && text.charCodeAt(k) === BACKSLASH) k--;
    if ((q - 1 - k) % 2 === 0) return q;
    from = q + 1;
  }
}
