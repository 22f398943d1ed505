/**
 * Re-serialise a JSON value vlrerank parsed and changed (a document given vectors and a record at
 * ingest) so that what the client sent stays as sent. `JSON.parse` reads numbers as doubles and
 * `JSON.stringify` writes the shortest spelling back: a `long` of 1234567890123456789 became
 * 1234567890123456800 (every integer past 2^53 rounded — the engine then indexes another id, and a
 * `term` query on the real one finds nothing), `-0.0` became `0`, `1.0` became `1`, `1E-7`
 * became `1e-7`, and a string's `\u00e9` escape its character — where the engine stores the
 * document's own bytes when it is written directly (held-out probe round 21a: a team's own
 * vectors and ids written through the proxy).
 *
 * `sentTokens(text)` scans the text once (the tokens of util/json-scan.ts: iterative, strings
 * jumped with indexOf) and answers undefined in the usual case — every number and string prints back as
 * sent — so the caller's plain `JSON.stringify` serves. Otherwise it answers a tree of the tokens
 * that do not (objects as Maps by key, arrays by position), and `stringifyKeeping(value, tokens)`
 * writes each of those tokens where the value at its place is still the one it spells; values
 * vlrerank added or changed are written as `JSON.stringify` writes them. Layout (spaces, line
 * breaks) is not kept: only tokens.
 */
import { CLOSE_ARR, CLOSE_OBJ, COMMA, END, JsonScanner, LITERAL, NUMBER, OPEN_ARR, OPEN_OBJ, QUOTE, STRING, UNTERMINATED } from './json-scan.js';

/** Tokens that do not print back as sent, by place: a Map per object, an array per array. */
type Tree = Map<string, Tree> | Tree[] | string | undefined;

/**
 * What `sentTokens` found: the tokens by place, and the integers past 2^53 by the double they read
 * as (those one token alone reads as) — a search's clause that vlrerank moved (a retriever's child
 * query becoming the first stage's `query`, a kNN clause put in an array beside the photo's) is
 * not at the place it was sent at, but a long there is still the client's: vlrerank computes none.
 */
export interface Tokens {
  tree: Tree;
  longs: Map<number, string>;
}

/** Does a number token print back as sent (`JSON.stringify(JSON.parse(t)) === t`)? */
const numberKept = (t: string): boolean => String(Number(t)) === t;
/** Does a string token (quotes included) print back as sent? Only one with an escape may not. */
const stringKept = (t: string): boolean => !t.includes('\\') || JSON.stringify(JSON.parse(t)) === t;

/** One pass: is there any token that does not print back as sent? */
function anyChanged(text: string): boolean {
  const s = new JsonScanner(text);
  for (let t = s.next(); t !== END; t = s.next()) {
    if (t === STRING) {
      if (s.escaped() && !stringKept(text.slice(s.start, s.end))) return true;
    } else if (t === NUMBER) {
      if (!numberKept(text.slice(s.start, s.end))) return true;
    }
  }
  return false; // (an unterminated string ends the scan: not JSON)
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
export function sentTokens(text: string): Tokens | undefined {
  if (!anyChanged(text)) return undefined;
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
  const s = new JsonScanner(text);
  for (let t = s.next(); t !== END; t = s.next()) {
    if (t === STRING) {
      const top = stack[stack.length - 1];
      if (top && !Array.isArray(top.node) && top.expectKey) {
        const raw = text.slice(s.start + 1, s.end - 1);
        top.key = s.escaped() ? (JSON.parse(`"${raw}"`) as string) : raw;
        top.expectKey = false;
      } else {
        const sent = s.escaped() ? text.slice(s.start, s.end) : undefined;
        put(sent !== undefined && !stringKept(sent) ? sent : undefined);
      }
    } else if (t === NUMBER) {
      const sent = text.slice(s.start, s.end);
      const kept = numberKept(sent);
      if (!kept && /^-?\d+$/.test(sent)) {
        const n = Number(sent);
        if (longs.has(n) && longs.get(n) !== sent) ambiguous.add(n);
        longs.set(n, sent);
      }
      put(kept ? undefined : sent);
    } else if (t === OPEN_OBJ || t === OPEN_ARR) {
      stack.push({ node: t === OPEN_OBJ ? new Map() : [], key: undefined, expectKey: t === OPEN_OBJ, used: false });
    } else if (t === CLOSE_OBJ || t === CLOSE_ARR) {
      const f = stack.pop();
      if (!f) return undefined;
      put(f.used ? f.node : undefined);
    } else if (t === COMMA) {
      const top = stack[stack.length - 1];
      if (top && !Array.isArray(top.node)) top.expectKey = true;
    } else if (t === LITERAL) put(undefined); // true, false, null: a value at its place
    else if (t === UNTERMINATED) return undefined;
  }
  for (const n of ambiguous) longs.delete(n);
  return { tree: root, longs };
}

const plain = (v: unknown): boolean => v !== null && typeof v === 'object' && typeof (v as { toJSON?: unknown }).toJSON !== 'function';

/**
 * `JSON.stringify(value)`, but each token of `tokens` written as sent where the value at its place
 * is still the one it spells. `value` is JSON.parse output, changed in place by vlrerank.
 */
export function stringifyKeeping(value: unknown, tokens: Tokens): string {
  return walk(value, tokens.tree, tokens.longs);
}

function walk(value: unknown, tokens: Tree, longs: Map<number, string>): string {
  if (!plain(value)) return keptScalar(value, tokens) ?? (typeof value === 'number' ? longs.get(value) : undefined) ?? JSON.stringify(value);
  if (tokens === undefined && longs.size === 0) return JSON.stringify(value);
  if (Array.isArray(value)) {
    const at = Array.isArray(tokens) ? tokens : undefined;
    const parts: string[] = new Array<string>(value.length);
    for (let i = 0; i < value.length; i++) {
      const v: unknown = value[i];
      parts[i] = v === undefined || typeof v === 'function' || typeof v === 'symbol' ? 'null' : walk(v, at?.[i], longs);
    }
    return `[${parts.join(',')}]`;
  }
  const at = tokens instanceof Map ? tokens : undefined;
  const parts: string[] = [];
  for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
    if (v === undefined || typeof v === 'function' || typeof v === 'symbol') continue;
    parts.push(`${JSON.stringify(k)}:${walk(v, at?.get(k), longs)}`);
  }
  return `{${parts.join(',')}}`;
}

/** The token as sent when `value` is still what it spells. */
function keptScalar(value: unknown, token: Tree): string | undefined {
  if (typeof token !== 'string') return undefined;
  if (typeof value === 'number') return token.charCodeAt(0) !== QUOTE && Object.is(Number(token), value) ? token : undefined;
  if (typeof value === 'string') return token.charCodeAt(0) === QUOTE && JSON.parse(token) === value ? token : undefined;
  return undefined;
}

/** `JSON.stringify(value)` with what `text` (the JSON it was parsed from) sent kept: the one call sites use. */
export function stringifyAsSent(value: unknown, text: string): string {
  const tokens = sentTokens(text);
  return tokens === undefined ? JSON.stringify(value) : stringifyKeeping(value, tokens);
}

/*
 * An engine's answer vlrerank parsed and answers rebuilt (a reranked search: its hits reordered,
 * scores replaced, blocks added) is written with the tokens the engine sent kept the same way — a
 * hit's `_source` and `fields` with the team's longs past 2^53 and `-0.0` as the engine answers
 * them directly. The hits move, so the tokens are found by the object that holds them (the hit's
 * `_source` is the very object parsed), not by place.
 */
const bound = new WeakMap<object, Map<string, Tree> | Tree[]>();
const answers = new WeakSet<object>();

/** Tie `value`'s containers (JSON.parse output of the text `tokens` came from) to their tokens — before copies are made of them (`sameTokens`). */
export function bindTokens(value: unknown, tokens: Tokens): void {
  const walk = (v: unknown, t: Tree): void => {
    if (t === undefined || typeof t === 'string' || v === null || typeof v !== 'object') return;
    bound.set(v, t);
    if (Array.isArray(v)) v.forEach((x, i) => walk(x, (t as Tree[])[i]));
    else if (t instanceof Map) for (const [k, sub] of t) walk((v as Record<string, unknown>)[k], sub);
  };
  walk(value, tokens.tree);
}

/** `answer` holds objects `bindTokens` tied: `stringifyAnswer` looks for them. */
export function holdsTokens(answer: object): void {
  answers.add(answer);
}

/** `to` (an answer made from `from`: filter_path applied, `_msearch` put together) holds what `from` holds. */
export function carryTokens(from: unknown, to: object): void {
  if (from !== null && typeof from === 'object' && answers.has(from)) answers.add(to);
}

/** The token as sent of a scalar of an answer (`container[key]` is `value`), where it keeps one. */
export type AnswerToken = (container: unknown, key: string, value: unknown) => string | undefined;

/**
 * How `answer`'s scalars are read as sent (a long past 2^53, `1.0`), or undefined when it keeps no
 * tokens: what `stringifyAnswer` writes, and what http/answer-format.ts encodes YAML, CBOR and Smile from.
 */
export function answerTokens(answer: unknown): AnswerToken | undefined {
  if (answer === null || typeof answer !== 'object' || !answers.has(answer)) return undefined;
  return (container, key, value) => {
    if (typeof value !== 'number' && typeof value !== 'string') return undefined;
    const t = container !== null && typeof container === 'object' ? bound.get(container) : undefined;
    return t === undefined ? undefined : keptScalar(value, t instanceof Map ? t.get(key) : t[Number(key)]);
  };
}

/** `JSON.stringify(answer, null, indent)`, with the tokens bound to what it holds written as sent. */
export function stringifyAnswer(answer: unknown, indent?: number): string {
  const tokenOf = answerTokens(answer);
  if (!tokenOf) return JSON.stringify(answer, null, indent);
  const nonce = `vlr-token-${Math.random().toString(36).slice(2)}-`;
  const kept: string[] = [];
  const out = JSON.stringify(
    answer,
    function (this: unknown, key: string, value: unknown) {
      const token = tokenOf(this, key, value);
      if (token === undefined) return value;
      kept.push(token);
      return `${nonce}${kept.length - 1}`;
    },
    indent,
  );
  return kept.length ? out.replace(new RegExp(`"${nonce}(\\d+)"`, 'g'), (_, i: string) => kept[Number(i)]!) : out;
}

/** `to`, a copy of `from` with the same keys (or, for an array, the same items at the same places) or fewer, holds `from`'s tokens. */
export function sameTokens(from: unknown, to: unknown): void {
  const t = from !== null && typeof from === 'object' ? bound.get(from) : undefined;
  if (t !== undefined && to !== null && typeof to === 'object') bound.set(to, t);
}
