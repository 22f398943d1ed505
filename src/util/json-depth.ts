/**
 * How deep a JSON text nests, found by one iterative pass over its tokens (util/json-scan.ts: strings
 * and their escapes jumped), so a body can be refused before anything recurses on it: V8's JSON.parse is
 * iterative, but JSON.stringify, structuredClone and every tree walk of ours are not, and a 10 KB
 * body of 5,000 `[` overflowed the stack (issue 13). Works on NDJSON too (each line returns to 0).
 *
 * Never parses, never allocates per token, never recurses.
 */
import { vlrError } from '../errors.js';
import { CLOSE_ARR, CLOSE_OBJ, END, JsonScanner, OPEN_ARR, OPEN_OBJ } from './json-scan.js';

/** The deepest nesting of `text`, or the first depth past `limit` (the scan stops there). */
export function jsonDepth(text: string, limit = Infinity): number {
  let depth = 0;
  let max = 0;
  const s = new JsonScanner(text);
  for (let t = s.nextBracket(); t !== END; t = s.nextBracket()) {
    if (t === OPEN_OBJ || t === OPEN_ARR) {
      if (++depth > max) {
        max = depth;
        if (max > limit) return max;
      }
    } else if ((t === CLOSE_OBJ || t === CLOSE_ARR) && depth > 0) depth--;
  }
  return max; // (an unterminated string ends the scan: JSON.parse refuses the text)
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
