/**
 * `_msearch`: split the NDJSON into (header, body) pairs, decide per sub-search, run the reranked
 * ones concurrently (each as its own first stage + rerank) next to one upstream `_msearch` holding
 * the plain ones (their lines forwarded verbatim), and stitch the responses back in order. A
 * sub-search that fails gets its own `{error, status}` item, as Elasticsearch does.
 */
import { vlrError } from '../errors.js';
import { esErrorAnswer } from './error-body.js';
import type { RerankSpec } from './detect.js';
import { detectThrough, forgetTargets, movedSince, type ResolveDeps } from './resolve.js';
import { readSearchDefault, searchDefaultOf, undefinedPipeline, type SearchDefaults } from './search-defaults.js';
import { engineRefusal, isEngineRefusal, type EngineRefusal } from '../engine/auth-refusal.js';
import { gatewayError } from '../engine/gateway.js';
import { runRerankSearch, type SearchDeps } from './execute.js';
import { ownBodyHeaders, PASS_HEADERS } from './headers.js';
import { headerParamName } from './msearch-header.js';
import type { NdjsonItem } from '../util/json-worker.js';
import { Semaphore } from '../util/semaphore.js';
import { engineText } from '../util/wire-text.js';
import { carryTokens, sentTokens, stringifyAsSent } from '../util/json-tokens.js';
import { buildQueryVectors } from './query-vectors.js';
import { noNeuralIn } from './neural.js';
import { isObject } from '../util/is-object.js';

/**
 * Reranked items run at once unless `max_concurrent_searches` says otherwise: what Elasticsearch
 * runs at once on one node of 2 cores (its search pool, ⌊3·cores/2⌋ + 1). All 50 items of one
 * `_msearch` asked the rerank queue together, and the client's share of it shed 34 of them as
 * `overloaded` (held-out probe round 10b); waiting their turn here, each is admitted.
 */
export const MSEARCH_RERANK_CONCURRENCY = 4;

/**
 * `max_concurrent_searches` as the engines read it (Java's Integer.parseInt: an optional sign, decimal
 * digits, an int; then at least 1); undefined when absent; null when the engine refuses it.
 */
function concurrencyParam(params: URLSearchParams): number | undefined | null {
  const s = params.get('max_concurrent_searches');
  if (s === null) return undefined;
  const v = /^[+-]?\d+$/.test(s) ? Number(s) : NaN;
  return v >= 1 && v <= 2 ** 31 - 1 ? v : null;
}

/**
 * Does the engine refuse this `_msearch`'s `max_concurrent_searches` (`abc`, `0`, `1.5`, past an int)?
 * It does before it reads the body (every engine, any item): the request is then the engine's to
 * answer, in its words. vlrerank took such a value for its default and answered 200 (held-out probe round 24b).
 */
export function refusedConcurrency(params: URLSearchParams): boolean {
  return concurrencyParam(params) === null;
}

function rerankConcurrency(params: URLSearchParams): number {
  return concurrencyParam(params) ?? MSEARCH_RERANK_CONCURRENCY;
}

export interface MsearchItem {
  /** The lines as received (without newline): text, or bytes for a body split in the JSON worker. */
  headerLine: string | Buffer;
  bodyLine: string | Buffer;
  header: Record<string, unknown>;
  body: unknown;
  /** Not parsed (no marker word in its lines, and no default pipeline anywhere): forwarded as its bytes. */
  forward?: boolean;
}

/** Items the JSON worker split out of a large body (http/body.ts): those without values are forwarded as they are. */
export function msearchItemsOf(items: readonly NdjsonItem[]): MsearchItem[] {
  return items.map((it) => (it.values ? { headerLine: it.headerLine, bodyLine: it.bodyLine, header: it.values.header, body: it.values.body } : { headerLine: it.headerLine, bodyLine: it.bodyLine, header: {}, body: undefined, forward: true }));
}

const NL = Buffer.from('\n');

/** The NDJSON of these items' lines: a string when all are text, else bytes (no line decoded to be sent). */
function ndjsonOf(items: readonly MsearchItem[]): string | Buffer {
  if (items.every((it) => typeof it.headerLine === 'string' && typeof it.bodyLine === 'string')) return items.map((it) => `${it.headerLine}\n${it.bodyLine}\n`).join('');
  const bytes = (l: string | Buffer) => (typeof l === 'string' ? Buffer.from(l) : l);
  return Buffer.concat(items.flatMap((it) => [bytes(it.headerLine), NL, bytes(it.bodyLine), NL]));
}

/** Parse NDJSON pairs; throws VLR_PARSE naming the line. Blank lines between pairs are skipped. */
export function parseMsearch(text: string): MsearchItem[] {
  const lines = text.split('\n').map((l) => l.replace(/\r$/, ''));
  const items: MsearchItem[] = [];
  let i = 0;
  const parse = (n: number): unknown => {
    try {
      return JSON.parse(lines[n]!);
    } catch (e) {
      throw vlrError('VLR_PARSE', `_msearch line ${n + 1} is not valid JSON: ${(e as Error).message}`);
    }
  };
  while (i < lines.length) {
    if (lines[i]!.trim() === '') {
      i++;
      continue;
    }
    const header = parse(i);
    if (!header || typeof header !== 'object' || Array.isArray(header)) throw vlrError('VLR_PARSE', `_msearch line ${i + 1}: a header must be a JSON object`);
    if (i + 1 >= lines.length || lines[i + 1]!.trim() === '') throw vlrError('VLR_PARSE', `_msearch line ${i + 1}: a header must be followed by a search body`);
    items.push({ headerLine: lines[i]!, bodyLine: lines[i + 1]!, header: header as Record<string, unknown>, body: parse(i + 1) });
    i += 2;
  }
  return items;
}

/**
 * Header keys that are query parameters of a single `_search`, under their URL names (`searchType`
 * is `search_type`); a key no engine reads in a header is refused before anything runs
 * (msearch-header.ts), never made a parameter.
 */
function headerParams(header: Record<string, unknown>, base: URLSearchParams): URLSearchParams {
  const p = new URLSearchParams(base);
  for (const k of ['max_concurrent_searches']) p.delete(k);
  for (const [k, v] of Object.entries(header)) {
    const name = headerParamName(k);
    if (name === undefined || name === 'index') continue;
    if (typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean') p.set(name, String(v));
    else if (Array.isArray(v)) p.set(name, v.join(','));
  }
  return p;
}

function indexOf(header: Record<string, unknown>, pathIndex: string | undefined): string | undefined {
  const i = header.index ?? header.indices;
  if (typeof i === 'string') return i;
  if (Array.isArray(i)) return i.join(',');
  return pathIndex;
}

/** `resolved` on a reranked item: its pipeline was chosen through what the engine said its index expression names (search/resolve.ts). */
export type MsearchPlan = Array<{ kind: 'plain'; item: MsearchItem; rewritten?: boolean } | { kind: 'rerank'; spec: RerankSpec; index?: string; resolved?: boolean } | { kind: 'error'; error: unknown }>;

/** Each item's plan; an item whose pipeline depends on what its index names asks the engine (search/resolve.ts), the items side by side. */
export async function planMsearch(items: MsearchItem[], pathIndex: string | undefined, params: URLSearchParams, deps: ResolveDeps & Pick<SearchDeps, 'embedder' | 'scorer'> & Partial<Pick<SearchDeps, 'engine'>> & { searchDefaults?: SearchDefaults }, headers: readonly string[] = [], signal?: () => AbortSignal, client?: string): Promise<MsearchPlan> {
  return Promise.all(items.map(async (item) => {
    if (item.forward) return { kind: 'plain' as const, item };
    const index = indexOf(item.header, pathIndex);
    try {
      // the item's own clauses as it sent them (a long past 2^53 in a filter: util/json-tokens.ts)
      const line = typeof item.bodyLine === 'string' ? item.bodyLine : engineText(item.bodyLine);
      // a kNN's query_vector_builder naming a pipeline: its query_vector first, as for a _search (vector-builder.ts)
      // and a `neural` naming a pipeline inside another query, within the search's admission and budget (query-vectors.ts)
      const vectors = await buildQueryVectors(item.body, deps, { text: line, headers, client, signal: signal?.() });
      const built = vectors.built;
      if (isObject(item.body)) noNeuralIn(item.body, line);
      // the item's index's `index.search.default_pipeline` learnt to be vlrerank's (search-defaults.ts): served as a _search of it is
      const sd = searchDefaultOf(deps, index);
      const d = await detectThrough(deps, { index, params: headerParams(item.header, params), body: item.body, ...(sd ? { searchDefault: sd } : {}) }, headers, signal?.());
      if (d.kind === 'rerank') return { kind: 'rerank' as const, spec: { ...d.spec, tokens: sentTokens(line), ...(vectors.built ? { vectorMs: vectors.ms } : {}) }, index, ...(d.resolved ? { resolved: true } : {}) };
      // a body whose vlrerank block said `enabled: false` is sent without it
      let sent = d.body ?? (built ? item.body : undefined);
      // and, on such an index, naming `_none` in its body (an item's header takes no `search_pipeline`),
      // unless it names a pipeline of its own: the engine refused it for the index's default
      const own = sent ?? item.body;
      if (sd && isObject(own) && own.search_pipeline === undefined) sent = { ...own, search_pipeline: '_none' };
      return sent ? { kind: 'plain' as const, item: { ...item, bodyLine: stringifyAsSent(sent, line) }, rewritten: true } : { kind: 'plain' as const, item };
    } catch (e) {
      return { kind: 'error' as const, error: e };
    }
  }));
}

function errorItem(e: unknown): Record<string, unknown> {
  if (isEngineRefusal(e)) return { error: refusalError(e.body), status: e.status };
  const b = esErrorAnswer(e);
  return { error: b.error, status: b.status };
}

/** The `error` of a refusal's body (engine/auth-refusal.ts); a gateway's page that is no such JSON, as text. */
function refusalError(body: Buffer): unknown {
  try {
    const err = (JSON.parse(body.toString('utf8')) as { error?: unknown }).error;
    if (err !== undefined) return err;
  } catch {
    /* not JSON */
  }
  return { type: 'security_exception', reason: body.subarray(0, 500).toString() };
}

/**
 * What the engine refuses of the request itself, which every item shares, is refused for the whole
 * request before any item is looked at, as directly: credentials it did not authenticate (401;
 * authorization, 403, is per index: per item), and an `Accept`/`Content-Type` it does not take (its
 * 400 `media_type_header_exception` — the 9.x clients' `compatible-with=9` on Elasticsearch 8). The
 * `_msearch` vlrerank puts together answered 200 with that error per item, and the official client
 * raised nothing (held-out probe rounds 13a and 14a): the first such refusal met is the answer.
 */
const unauthenticated = (status: number, headers: Record<string, string | string[] | undefined>, body: Buffer | string): EngineRefusal | undefined =>
  status === 401 || (status === 400 && errorType(body) === 'media_type_header_exception') ? engineRefusal(status, headers, body) : undefined;

function errorType(body: Buffer | string): unknown {
  try {
    return (JSON.parse(body.toString()) as { error?: { type?: unknown } }).error?.type;
  } catch {
    return undefined;
  }
}

type MsearchRun = { pathIndex?: string; params: URLSearchParams; headers: readonly string[]; signal?: AbortSignal; client?: string };

/**
 * The items of an `_msearch` whose pipeline was chosen through what an alias names, as kept, and
 * whose answer holds another pipeline's hits (resolve.ts movedSince) — the alias moved within
 * `pipelines.aliasCacheMs` — are planned and run again, once, their kept answers forgotten, as a
 * `_search` is; their new answers replace theirs in `out`. Before (fix20a; fix19a left it), an
 * `_msearch` item through the moved alias was reranked by the old tenant's pipeline until the
 * kept answer expired.
 */
export async function rerunMoved(items: MsearchItem[], plan: MsearchPlan, out: { body: Record<string, unknown> }, deps: ResolveDeps & SearchDeps, run: MsearchRun, signal?: () => AbortSignal): Promise<void> {
  const responses = out.body.responses as Array<Record<string, unknown>>;
  const moved = plan.flatMap((p, i) => (p.kind === 'rerank' && movedSince(deps, p, 200, responses[i]) ? [i] : []));
  if (!moved.length) return;
  for (const i of moved) forgetTargets(deps, indexOf(items[i]!.header, run.pathIndex), headerParams(items[i]!.header, run.params), run.headers);
  const again = moved.map((i) => items[i]!);
  const redone = await runMsearch(await planMsearch(again, run.pathIndex, run.params, deps, run.headers, signal, run.client), deps, run);
  moved.forEach((i, j) => (responses[i] = (redone.body.responses as Array<Record<string, unknown>>)[j]!));
}

/**
 * Plain items the engine refused for their index's `index.search.default_pipeline` naming a vlrerank
 * pipeline (`Pipeline <name> is not defined`, search-defaults.ts) are learnt from, planned and run
 * again, once, as a `_search` is; their new answers replace theirs in `out`. An item that named a
 * search pipeline in its body was not refused for the index's default: its answer stands.
 */
export async function rerunSearchDefault(items: MsearchItem[], plan: MsearchPlan, out: { body: Record<string, unknown> }, deps: ResolveDeps & SearchDeps & { searchDefaults?: SearchDefaults }, run: MsearchRun, signal?: () => AbortSignal): Promise<void> {
  const kept = deps.searchDefaults;
  if (!kept) return;
  const responses = out.body.responses as Array<Record<string, unknown>>;
  const ours = (n: string) => deps.pipelines.get(n) !== undefined;
  const refused = plan.flatMap((p, i) => {
    const item = items[i]!;
    if (p.kind !== 'plain' || item.forward || (isObject(item.body) && item.body.search_pipeline !== undefined)) return [];
    const name = undefinedPipeline(responses[i]?.status as number, responses[i], ours);
    return name === undefined ? [] : [{ i, index: indexOf(item.header, run.pathIndex), name }];
  });
  for (const r of refused) kept.learn(r.index, r.name);
  // `ext.vlrerank` on an index no pattern covers is vlrerank's own 400, the engine never asked: its
  // setting is read (as for a _search, handle.ts), unless an item beside it just taught it
  const uncovered = await Promise.all(plan.map(async (p, i) => {
    const index = indexOf(items[i]!.header, run.pathIndex);
    if (p.kind !== 'error' || index === undefined || !uncoveredRefusal(p.error)) return false;
    if (searchDefaultOf(deps, index)) return true;
    const name = await readSearchDefault(deps.pool, run.headers, index, ours, run.signal);
    if (name !== undefined) kept.learn(index, name);
    return name !== undefined;
  }));
  const redo = [...refused.map((r) => r.i), ...uncovered.flatMap((u, i) => (u ? [i] : []))];
  if (!redo.length) return;
  const again = redo.map((i) => items[i]!);
  const redone = await runMsearch(await planMsearch(again, run.pathIndex, run.params, deps, run.headers, signal, run.client), deps, run);
  redo.forEach((i, j) => (responses[i] = (redone.body.responses as Array<Record<string, unknown>>)[j]!));
}

/** vlrerank's own refusal of `ext.vlrerank` on an index no pipeline's pattern covers (detect.ts). */
function uncoveredRefusal(e: unknown): boolean {
  return (e as { details?: { field?: unknown } })?.details?.field === 'ext.vlrerank.pipeline' && String((e as Error)?.message).includes('no vlrerank pipeline covers');
}

export async function runMsearch(
  plan: MsearchPlan,
  deps: SearchDeps,
  opts: MsearchRun,
): Promise<{ headers: Record<string, string>; body: Record<string, unknown> }> {
  const t0 = performance.now();
  const plain = plan.flatMap((p, i) => (p.kind === 'plain' ? [{ i, item: p.item }] : []));
  const out: Array<Record<string, unknown>> = new Array(plan.length);
  const rerankedBodies: object[] = []; // reranked items' answers (their tokens, util/json-tokens.ts)
  let responseHeaders: Record<string, string> = { 'content-type': 'application/json; charset=UTF-8' };
  // the engine's `Warning`s (deprecations) of every request made for the items, once each, as the
  // engine sends those of its own `_msearch` — they were dropped (held-out probe round 12a)
  let refused: EngineRefusal | undefined;
  const warnings = new Set<string>();
  const warn = (v: unknown) => {
    for (const w of Array.isArray(v) ? v : v === undefined ? [] : [v]) warnings.add(String(w));
  };

  /** One upstream `_msearch` of plain items, each answer put in its place in `out`. */
  const askPlain = async (items: typeof plain, alone: boolean): Promise<void> => {
    const ndjson = ndjsonOf(items.map((p) => p.item));
    const qs = opts.params.toString();
    const path = `${opts.pathIndex ? `/${opts.pathIndex}` : ''}/_msearch${qs ? `?${qs}` : ''}`;
    const h = ownBodyHeaders(opts.headers, 'application/x-ndjson', /./);
    const res = await deps.pool.request({ method: 'POST', path, headers: h, body: ndjson, signal: opts.signal, idempotent: true });
    const text = engineText(Buffer.from(await res.body.arrayBuffer())); // a stored lone surrogate kept (wire-text.ts)
    let parsed: { responses?: Array<Record<string, unknown>> } | undefined;
    try {
      parsed = JSON.parse(text) as typeof parsed;
    } catch {
      parsed = undefined;
    }
    if (res.statusCode !== 200 || !Array.isArray(parsed?.responses) || parsed.responses.length !== items.length) {
      const gateway = gatewayError(`the _msearch of the plain searches POST ${path}`, res.node, res.statusCode, res.headers, text);
      if (gateway) throw gateway; // each item: the gateway named, never its HTML page as the engine's reason
      const refusal = unauthenticated(res.statusCode, res.headers, text);
      // the engine refuses a whole `_msearch` for one body it cannot parse (`unknown retriever
      // [rrf]`, `unknown query [hybrid]`): every plain item carried that one item's error, a valid
      // search beside it too (held-out probe round 28a) — each is asked alone, so that only the
      // item at fault carries it
      if (res.statusCode === 400 && !alone && items.length > 1 && !refusal && !opts.signal?.aborted) {
        const one = new Semaphore(rerankConcurrency(opts.params));
        await Promise.all(items.map((p) => one.use(() => askPlain([p], true), false, opts.signal).catch((e) => void (out[p.i] = errorItem(e)))));
        return;
      }
      const err = (parsed as { error?: unknown } | undefined)?.error ?? { type: 'upstream_exception', reason: text.slice(0, 500) };
      for (const p of items) out[p.i] = { error: err, status: res.statusCode === 200 ? 502 : res.statusCode };
      refused ??= refusal;
      return;
    }
    warn(res.headers.warning);
    deps.cors?.learn(res.headers);
    for (const h of PASS_HEADERS) if (res.headers[h]) responseHeaders[h] = String(res.headers[h]);
    if (res.headers['content-type']) responseHeaders['content-type'] = String(res.headers['content-type']);
    parsed.responses.forEach((r, j) => (out[items[j]!.i] = r));
  };
  const plainP = (plain.length ? askPlain(plain, false) : Promise.resolve()).catch((e) => {
    for (const p of plain) out[p.i] = errorItem(e);
  });

  const turns = new Semaphore(rerankConcurrency(opts.params));
  const reranked = plan.map(async (p, i) => {
    if (p.kind === 'error') {
      out[i] = errorItem(p.error);
      return;
    }
    if (p.kind !== 'rerank') return;
    let release: (() => void) | undefined;
    try {
      release = await turns.acquire(opts.signal);
      const r = await runRerankSearch(p.spec, deps, { index: p.index, headers: opts.headers, signal: opts.signal, client: opts.client });
      warn(r.headers.warning);
      if (Buffer.isBuffer(r.body)) {
        let err: unknown;
        try {
          err = (JSON.parse(r.body.toString('utf8')) as { error?: unknown }).error;
        } catch {
          err = { type: 'upstream_exception', reason: r.body.subarray(0, 500).toString() };
        }
        out[i] = { error: err, status: r.status };
        refused ??= unauthenticated(r.status, r.headers, r.body);
      } else {
        out[i] = { ...r.body, status: 200 };
        rerankedBodies.push(r.body);
        for (const h of PASS_HEADERS) if (r.headers[h]) responseHeaders[h] = r.headers[h];
        // the media type the engine answered the client's `Accept` with (`…+json;compatible-with=8`), as for plain items
        if (r.headers['content-type']) responseHeaders['content-type'] = r.headers['content-type'];
        if (r.headers['x-vlrerank-degraded']) responseHeaders['x-vlrerank-degraded'] = r.headers['x-vlrerank-degraded'];
      }
    } catch (e) {
      out[i] = errorItem(e);
      if (isEngineRefusal(e) && e.status === 401) refused ??= e;
    } finally {
      release?.();
    }
  });
  await Promise.all([plainP, ...reranked]);
  if (refused) throw refused;
  if (warnings.size) responseHeaders.warning = [...warnings].join(', ');
  const body = { took: Math.round(performance.now() - t0), responses: out };
  for (const r of rerankedBodies) carryTokens(r, body); // the hits' tokens as the engine wrote them (util/json-tokens.ts)
  return { headers: responseHeaders, body };
}
