/**
 * Elasticsearch's `filter_path` response filter, applied to the answers vlrerank builds itself
 * (reranked `_search`, `_msearch` with reranked items). The parameter is never sent with a first
 * stage: there the engine would filter the hits before the reranker reads them — `filter_path=
 * hits.hits._id` left every hit without `_source` and scored alike, and in `_msearch` the first
 * stage came back with no hits at all (held-out probe round 4).
 *
 * Rules, as the engine applies them (checked against Elasticsearch 8.19): comma-separated dotted
 * paths; `*` within a name matches any characters, `**` any number of levels; arrays are crossed
 * as if absent; a `-` prefix excludes, and exclusions apply before inclusions; objects and arrays
 * left empty by inclusion are dropped; the last `filter_path` parameter counts. Error answers are
 * not filtered (the engine does not filter them either).
 *
 * Pure: never mutates its input.
 */
import { globMatches } from '../util/glob.js';
import { sameTokens } from '../util/json-tokens.js';
import { setOwn } from '../util/own-key.js';

type Json = unknown;
/** One dotted part of a path, compiled once when the parameter is read: `**`, or a name test. */
type Segment = '**' | ((key: string) => boolean);
type Pattern = Segment[];
type State = { p: Pattern; i: number };

export interface FilterPath {
  includes: Pattern[];
  excludes: Pattern[];
}

/** The client's `filter_path` (the last one given), or undefined when absent or empty. */
export function parseFilterPath(params: URLSearchParams): FilterPath | undefined {
  const all = params.getAll('filter_path');
  const raw = all[all.length - 1];
  if (raw === undefined) return undefined;
  const includes: Pattern[] = [];
  const excludes: Pattern[] = [];
  for (const s of raw.split(',').map((x) => x.trim()).filter(Boolean)) {
    if (s.startsWith('-')) {
      if (s.length > 1) excludes.push(compile(s.slice(1)));
    } else includes.push(compile(s));
  }
  return includes.length || excludes.length ? { includes, excludes } : undefined;
}

/**
 * The query string without the parameters that shape the answer (what is sent to the engine for a
 * reranked search): `filter_path`, applied here to vlrerank's answer, and `format` — vlrerank reads
 * the engine's answer as JSON (`format=yaml` made the first stage answer YAML: a 502) and writes its
 * own in the format asked (http/answer-format.ts).
 */
export function withoutAnswerParams(params: URLSearchParams): URLSearchParams {
  const p = new URLSearchParams(params);
  p.delete('filter_path');
  p.delete('format');
  return p;
}

/** Does the query string carry a parameter `withoutAnswerParams` removes? */
export function hasAnswerParams(params: URLSearchParams): boolean {
  return params.has('filter_path') || params.has('format');
}

/** A dotted path's parts: plain names compared, `*` globs matched by util/glob.ts (no RegExp: a client's glob backtracked). */
function compile(path: string): Pattern {
  return path.split('.').map((seg): Segment => {
    if (seg === '**') return seg;
    if (!seg.includes('*')) return (key) => key === seg;
    return (key) => globMatches(seg, key);
  });
}

/** Does one name match `key`? (`**` right after `**` matches any one name, as a `*` would.) */
function nameMatches(seg: Segment, key: string): boolean {
  return seg === '**' || seg(key);
}

/** States after stepping into `key`; `done` when a pattern is fully matched there. */
function step(states: State[], key: string): { next: State[]; done: boolean } {
  const next: State[] = [];
  let done = false;
  const push = (s: State) => {
    if (s.i >= s.p.length) done = true;
    else next.push(s);
  };
  for (const { p, i } of states) {
    const seg = p[i]!;
    if (seg === '**') {
      // `**` takes this level and stays, or is over and the next name must match this key
      if (i + 1 >= p.length) done = true;
      else {
        next.push({ p, i });
        if (nameMatches(p[i + 1]!, key)) push({ p, i: i + 2 });
      }
    } else if (seg(key)) push({ p, i: i + 1 });
  }
  return { next, done };
}

const DROP = Symbol('drop');

function include(node: Json, states: State[]): Json | typeof DROP {
  if (Array.isArray(node)) {
    const items = node.map((x) => include(x, states)).filter((x) => x !== DROP);
    if (items.length === node.length) sameTokens(node, items); // the engine's tokens as it wrote them (util/json-tokens.ts)
    return items.length ? items : DROP;
  }
  if (node === null || typeof node !== 'object') return DROP;
  const out: Record<string, Json> = {};
  for (const [k, v] of Object.entries(node as Record<string, Json>)) {
    const { next, done } = step(states, k);
    if (done) setOwn(out, k, v);
    else if (next.length) {
      const child = include(v, next);
      if (child !== DROP) setOwn(out, k, child);
    }
  }
  sameTokens(node, out);
  return Object.keys(out).length ? out : DROP;
}

function exclude(node: Json, states: State[]): Json {
  if (Array.isArray(node)) {
    const items = node.map((x) => exclude(x, states));
    sameTokens(node, items);
    return items;
  }
  if (node === null || typeof node !== 'object') return node;
  const out: Record<string, Json> = {};
  for (const [k, v] of Object.entries(node as Record<string, Json>)) {
    const { next, done } = step(states, k);
    if (done) continue;
    setOwn(out, k, next.length ? exclude(v, next) : v);
  }
  sameTokens(node, out);
  return out;
}

/** The body as the engine would have filtered it. */
export function applyFilterPath<T extends Record<string, unknown>>(body: T, f: FilterPath): Record<string, unknown> {
  let out: Json = body;
  if (f.excludes.length) out = exclude(out, f.excludes.map((p) => ({ p, i: 0 })));
  if (f.includes.length) {
    const kept = include(out, f.includes.map((p) => ({ p, i: 0 })));
    out = kept === DROP ? {} : kept;
  }
  return out as Record<string, unknown>;
}
