/**
 * Does a JSON text repeat a key within one object? `JSON.parse` keeps the last value silently, while
 * Elasticsearch and OpenSearch refuse such a document ("Duplicate field"): a document vlrerank
 * parses and re-serialises (to add vectors at ingest) must not turn a write the engine would refuse
 * into one that stores the last value only (held-out probe round 4). Keys are compared after their
 * escapes are read (`"a"` and `"\u0061"` are the same key, as for the engine's parser).
 *
 * One iterative pass (strings jumped with indexOf, as in json-depth.ts); allocates one Set per
 * object and the keys themselves. Never recurses. A text that is not JSON answers false.
 */
import { stringEnd } from './json-depth.js';

const QUOTE = 34; // "
const OPEN_OBJ = 123; // {
const OPEN_ARR = 91; // [
const CLOSE_OBJ = 125; // }
const CLOSE_ARR = 93; // ]
const COMMA = 44; // ,

interface Frame {
  keys: Set<string> | undefined; // undefined: an array
  expectKey: boolean;
}

export function hasDuplicateKeys(text: string): boolean {
  return duplicateKey(text) !== undefined;
}

/** The first key a JSON text repeats within one object (as the engine's "Duplicate field" names it), or undefined. */
export function duplicateKey(text: string): string | undefined {
  const stack: Frame[] = [];
  for (let i = 0, n = text.length; i < n; i++) {
    const c = text.charCodeAt(i);
    if (c === QUOTE) {
      const end = stringEnd(text, i);
      if (end < 0) return undefined;
      const top = stack[stack.length - 1];
      if (top?.keys && top.expectKey) {
        const raw = text.slice(i + 1, end);
        let key = raw;
        if (raw.includes('\\')) {
          try {
            key = JSON.parse(`"${raw}"`) as string;
          } catch {
            return undefined;
          }
        }
        if (top.keys.has(key)) return key;
        top.keys.add(key);
        top.expectKey = false;
      }
      i = end;
    } else if (c === OPEN_OBJ) stack.push({ keys: new Set(), expectKey: true });
    else if (c === OPEN_ARR) stack.push({ keys: undefined, expectKey: false });
    else if (c === CLOSE_OBJ || c === CLOSE_ARR) stack.pop();
    else if (c === COMMA) {
      const top = stack[stack.length - 1];
      if (top?.keys) top.expectKey = true;
    }
  }
  return undefined;
}
