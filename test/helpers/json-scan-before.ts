/**
 * The three JSON text scanners as they were before util/json-scan.ts (commit 0d64f77), frozen
 * verbatim: json-depth.ts's `jsonDepth`, json-duplicate-keys.ts's `duplicateKey` and json-tokens.ts's
 * `sentTokens` (with its `anyChanged` pre-pass), each with its own loop. Only the property tests
 * (test/unit/util/json-scan.test.ts) and scripts/bench/json-scan.ts read them: what the shared
 * scanner's readers answer is checked against these on random texts, valid and broken.
 */
/* eslint-disable */
const QUOTE = 34; // "
const BACKSLASH = 92; // \
const OPEN_OBJ = 123; // {
const OPEN_ARR = 91; // [
const CLOSE_OBJ = 125; // }
const CLOSE_ARR = 93; // ]

function stringEnd(text: string, open: number): number {
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

export function jsonDepthBefore(text: string, limit = Infinity): number {
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

const COMMA = 44; // ,

interface DupFrame {
  keys: Set<string> | undefined; // undefined: an array
  expectKey: boolean;
}

/** The first key a JSON text repeats within one object (as the engine's "Duplicate field" names it), or undefined. */
export function duplicateKeyBefore(text: string): string | undefined {
  const stack: DupFrame[] = [];
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

type Tree = Map<string, Tree> | Tree[] | string | undefined;
export interface Tokens {
  tree: Tree;
  longs: Map<number, string>;
}

const COLON = 58; // :

const isNumberStart = (c: number): boolean => c === 45 || (c >= 48 && c <= 57); // - 0-9
const isNumberChar = (c: number): boolean => (c >= 48 && c <= 57) || c === 45 || c === 43 || c === 46 || c === 101 || c === 69; // 0-9 - + . e E

/** Does a number token print back as sent (`JSON.stringify(JSON.parse(t)) === t`)? */
const numberKept = (t: string): boolean => String(Number(t)) === t;
/** Does a string token (quotes included) print back as sent? Only one with an escape may not. */
const stringKept = (t: string): boolean => !t.includes('\\') || JSON.stringify(JSON.parse(t)) === t;

/** One pass: is there any token that does not print back as sent? */
export function anyChangedBefore(text: string): boolean {
  for (let i = 0, n = text.length; i < n; i++) {
    const c = text.charCodeAt(i);
    if (c === QUOTE) {
      const end = stringEnd(text, i);
      if (end < 0) return false;
      if (text.lastIndexOf('\\', end) > i && !stringKept(text.slice(i, end + 1))) return true;
      i = end;
    } else if (isNumberStart(c)) {
      let j = i + 1;
      while (j < n && isNumberChar(text.charCodeAt(j))) j++;
      if (!numberKept(text.slice(i, j))) return true;
      i = j - 1;
    }
  }
  return false;
}

interface Frame {
  node: Map<string, Tree> | Tree[];
  key: string | undefined; // an object's key awaiting its value
  expectKey: boolean;
  used: boolean; // holds a token somewhere below
}

/**
 * The tokens of `text` (a JSON text `JSON.parse` accepts) that do not print back as sent, by place;
 * undefined when there are none (or the text is not JSON: the caller's `JSON.stringify` then
 * serves as before).
 */
export function sentTokensBefore(text: string): Tokens | undefined {
  if (!anyChangedBefore(text)) return undefined;
  const stack: Frame[] = [];
  let root: Tree;
  const longs = new Map<number, string>();
  const ambiguous = new Set<number>(); // two spellings of one double: neither is kept by value
  const put = (v: Tree): void => {
    const top = stack[stack.length - 1];
    if (!top) {
      root = v;
      return;
    }
    if (v === undefined) {
      if (Array.isArray(top.node)) top.node.push(undefined);
      return;
    }
    top.used = true;
    if (Array.isArray(top.node)) top.node.push(v);
    else if (top.key !== undefined) top.node.set(top.key, v);
  };
  for (let i = 0, n = text.length; i < n; i++) {
    const c = text.charCodeAt(i);
    if (c === QUOTE) {
      const end = stringEnd(text, i);
      if (end < 0) return undefined;
      const top = stack[stack.length - 1];
      if (top && !Array.isArray(top.node) && top.expectKey) {
        const raw = text.slice(i + 1, end);
        top.key = raw.includes('\\') ? (JSON.parse(`"${raw}"`) as string) : raw;
        top.expectKey = false;
      } else {
        const t = text.slice(i, end + 1);
        put(t.includes('\\') && !stringKept(t) ? t : undefined);
      }
      i = end;
    } else if (isNumberStart(c)) {
      let j = i + 1;
      while (j < n && isNumberChar(text.charCodeAt(j))) j++;
      const t = text.slice(i, j);
      const kept = numberKept(t);
      if (!kept && /^-?\d+$/.test(t)) {
        const n = Number(t);
        if (longs.has(n) && longs.get(n) !== t) ambiguous.add(n);
        longs.set(n, t);
      }
      put(kept ? undefined : t);
      i = j - 1;
    } else if (c === OPEN_OBJ || c === OPEN_ARR) {
      stack.push({ node: c === OPEN_OBJ ? new Map() : [], key: undefined, expectKey: c === OPEN_OBJ, used: false });
    } else if (c === CLOSE_OBJ || c === CLOSE_ARR) {
      const f = stack.pop();
      if (!f) return undefined;
      put(f.used ? f.node : undefined);
    } else if (c === COMMA) {
      const top = stack[stack.length - 1];
      if (top && !Array.isArray(top.node)) top.expectKey = true;
    } else if (c === COLON || c === BACKSLASH) continue;
    else if (c === 116 || c === 102 || c === 110) {
      // true, false, null: a value at its place
      put(undefined);
      i += c === 102 ? 4 : 3;
    }
  }
  for (const n of ambiguous) longs.delete(n);
  return { tree: root, longs };
}
