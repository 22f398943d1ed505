/**
 * How deep a JSON text nests, found by one iterative pass over its characters (strings and their
 * escapes skipped), so a body can be refused before anything recurses on it: V8's JSON.parse is
 * iterative, but JSON.stringify, structuredClone and every tree walk of ours are not, and a 10 KB
 * body of 5,000 `[` overflowed the stack (issue 13). Works on NDJSON too (each line returns to 0).
 *
 * Never parses, never allocates per character, never recurses.
 */
import { vlrError } from '../errors.js';

/** JSON's structural characters, as `charCodeAt` gives them (the scanners here and in json-tokens.ts). */
export const QUOTE = 34; // "
export const BACKSLASH = 92; // \
export const OPEN_OBJ = 123; // {
export const OPEN_ARR = 91; // [
export const CLOSE_OBJ = 125; // }
export const CLOSE_ARR = 93; // ]

/** The deepest nesting of `text`, or the first depth past `limit` (the scan stops there). */
export function jsonDepth(text: string, limit = Infinity): number {
  let depth = 0;
  let max = 0;
  for (let i = 0, n = text.length; i < n; i++) {
    const c = text.charCodeAt(i);
    if (c === QUOTE) {
      i = stringEnd(text, i);
      if (i < 0) return max; // an unterminated string: JSON.parse refuses the text
    } else if (c === OPEN_OBJ || c === OPEN_ARR) {
      if (++depth > max) {
        max = depth;
        if (max > limit) return max;
      }
    } else if ((c === CLOSE_OBJ || c === CLOSE_ARR) && depth > 0) depth--;
  }
  return max;
}

/**
 * Index of the quote that closes the string opened at `open`, or -1. Jumps from quote to quote with
 * indexOf (native, fast): a body is mostly string content, and a 31 MiB rerank body scanned one
 * character at a time in JavaScript held the event loop ~0.7 s. A quote preceded by an odd run of
 * backslashes is escaped; each run is counted once, so the scan stays linear.
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

/** Throws VLR_JSON_TOO_DEEP when `text` nests deeper than `maxDepth`. */
export function assertJsonDepth(text: string, maxDepth: number): void {
  if (jsonDepth(text, maxDepth) > maxDepth) {
    throw vlrError('VLR_JSON_TOO_DEEP', `the JSON body nests deeper than ${maxDepth} levels (server.maxJsonDepth)`, { details: { max_depth: maxDepth } });
  }
}

/** JSON.parse after the depth check: the value can then be walked, cloned and serialised safely. */
export function parseJsonBounded(text: string, maxDepth: number): unknown {
  assertJsonDepth(text, maxDepth);
  return JSON.parse(text);
}
