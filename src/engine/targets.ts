/**
 * What an index expression names, asked of the engine with the client's own credentials: the
 * concrete indices a search on an alias, a wildcard or a comma list reads (`GET /_resolve/index/
 * {expr}`, which Elasticsearch 8.19 / 9.2 and OpenSearch 2.19 / 3.6 all answer), and the index a
 * write through an alias lands in (`GET /_alias/{name}`: only it says which is the write index).
 *
 * Pipelines match index names by pattern (`kb-*`); a name no pattern covers may still be an alias
 * of a pipeline's index, or a wildcard over them (held-out probe round 5). Search (search/) and
 * writes (ingest/) share this one resolver and its cache, and map the names to pipelines themselves:
 * nothing here knows about pipelines.
 *
 * Answers are kept briefly (`ttlMs`, 10 s by default) per expression, per parameters that change the
 * answer and per credentials (a client allowed fewer indices may be told fewer), so that traffic to
 * names that are not aliases costs the engine one read per name and window, not one per request.
 * The cache is bounded (`maxEntries`, least recently used dropped first: `lru-cache`): its keys come
 * from clients' paths.
 * Never throws: a failed read (refused, cut off, a 5xx, not JSON) is "unknown", not cached, and the
 * caller behaves as if no lookup had been made — or, through `searchedOrFault`, learns why.
 */
import { createHash } from 'node:crypto';
import { LRUCache } from 'lru-cache';
import { vlrError } from '../errors.js';
import { forwardRequestHeaders, withoutHeaders } from '../proxy/hop-by-hop.js';
import { hasHeader } from '../proxy/nodes.js';
import type { UpstreamPool } from '../proxy/pool.js';
import { engineRefusal, isAuthRefusal } from './auth-refusal.js';

export interface TargetLookup {
  pool: Pick<UpstreamPool, 'request'>;
  /** Headers of the read (the client's credentials), as `clientReadHeaders` makes them. */
  headers: string[];
  signal?: AbortSignal;
}

/** The search parameters that change which indices an expression names; forwarded to `_resolve/index`. */
const RESOLVE_PARAMS = ['expand_wildcards', 'ignore_unavailable', 'allow_no_indices'];
const OWN_READ = new Set(['content-length', 'content-encoding', 'accept-encoding', 'accept']);
/**
 * The headers that say who a request acts for: credentials, and the user a service account runs a
 * request as (Elasticsearch's `es-security-runas-user`, OpenSearch security's
 * `opendistro_security_impersonate_as`) — two clients with one `Authorization` but another run-as
 * user see other indices and aliases. Gateways in front of a cluster shared by tenants take their
 * own: Kong's `apikey`, `x-api-key`, `x-auth-token`, `x-tenant-id`, oauth2-proxy's `x-auth-request-user`,
 * Grafana's `x-scope-orgid` — so besides the known names, any header whose name says so (held-out probe
 * round 13a: a tenant known by `apikey` had its reads made without it, its record write-back made
 * with vlrerank's own credentials, and what it was told kept for every such tenant alike). A header
 * taken for one wrongly only costs a cache hit.
 */
const CREDENTIALS = new Set(['authorization', 'es-secondary-authorization', 'es-security-runas-user', 'opendistro_security_impersonate_as', 'cookie', 'x-api-key']);
const CREDENTIAL_NAME = /auth|key|token|secret|session|cookie|passw|signature|jwt|bearer|assertion|credential|impersonat|runas|run-as|tenant|orgid|org-id|(?:^|[-_])user$/i;
const NOT_CREDENTIALS = new Set(['user-agent', 'x-vlrerank-admin-token']);
const credentialName = (k: string) => CREDENTIALS.has(k) || (CREDENTIAL_NAME.test(k) && !NOT_CREDENTIALS.has(k));

/**
 * `credentialName` of a header name as received (any case), kept per name: a server sees few, and
 * a search asked this of every header (the lower-casing and the regex) when a default pipeline
 * made it look its index up (issue 13: passthrough CPU). Bounded: names come from clients.
 */
const credentialByName = new Map<string, boolean>();
function isCredentialHeader(name: string): boolean {
  let c = credentialByName.get(name);
  if (c === undefined) {
    if (credentialByName.size >= 512) credentialByName.clear();
    credentialByName.set(name, (c = credentialName(name.toLowerCase())));
  }
  return c;
}

/** The client's credential headers (see CREDENTIALS) of raw headers, for a call vlrerank makes later on its behalf (the record write-back). */
export function credentialHeaders(raw: readonly string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (let i = 0; i < raw.length; i += 2) {
    const k = raw[i]!.toLowerCase();
    if (credentialName(k)) out[k] = out[k] === undefined ? raw[i + 1]! : `${out[k]}, ${raw[i + 1]}`;
  }
  return out;
}

/**
 * The headers that name the client's request to the engine and to tracing: Elasticsearch's and
 * OpenSearch's `X-Opaque-Id` (shown in `_tasks`, the slow logs, the deprecation and audit logs), W3C
 * trace context (`traceparent`, `tracestate`: the engines' `trace.id` in those logs) and Elastic
 * APM's `elastic-apm-traceparent`. Forwarded unchanged — vlrerank makes no span of its own.
 */
const CORRELATION = new Set(['x-opaque-id', 'traceparent', 'tracestate', 'elastic-apm-traceparent']);

/**
 * The client's credential and correlation headers, for a call vlrerank makes on its behalf with a
 * body and headers of its own (a template's rendering, a mapping read, the record write-back, a
 * write's completing update): it is the client's request to whoever reads `_tasks` or the slow log.
 * Those calls went with the credentials alone, so an `X-Opaque-Id` was on the search and missing
 * from the `_render/template`, `_mapping`, `_mget` and `_bulk` made for it (held-out probe round 19a).
 * Not a cache key: `credentialHeaders` is.
 */
export function onBehalfHeaders(raw: readonly string[]): Record<string, string> {
  const out = credentialHeaders(raw);
  for (let i = 0; i < raw.length; i += 2) {
    const k = raw[i]!.toLowerCase();
    if (CORRELATION.has(k) && out[k] === undefined) out[k] = raw[i + 1]!;
  }
  return out;
}

/**
 * Headers of the reads vlrerank makes with the client's credentials (the index mapping, a stored
 * document, what an alias names): its answer is parsed here, so it is asked for JSON — with a
 * client's `Accept: application/yaml` the mapping came back as YAML, was taken for "no record
 * field", and the write was stored without its feature record, silently (held-out probe round 4).
 * A JSON accept is kept.
 */
export function clientReadHeaders(raw: readonly string[]): string[] {
  const out = withoutHeaders(forwardRequestHeaders(raw), OWN_READ);
  let acc: string | undefined;
  for (let i = 0; i < raw.length; i += 2) if (raw[i]!.toLowerCase() === 'accept') acc = raw[i + 1];
  out.push('accept', acc && /json/i.test(acc) ? acc : 'application/json');
  return out;
}

/**
 * The data stream a backing index belongs to, by the engines' naming of backing indices
 * (`.ds-<stream>-<yyyy.MM.dd>-<generation>` on Elasticsearch, `.ds-<stream>-<generation>` on
 * OpenSearch); undefined for any other name. Searches through a data stream name their hits by
 * backing index, and a document is updated there (a data stream takes only `create`s).
 */
export function dataStreamOf(index: string | undefined): string | undefined {
  return backingIndexOf(index)?.stream;
}

/** A backing index's data stream and generation (the newest generation is where the stream writes); undefined for any other name. */
export function backingIndexOf(index: string | undefined): { stream: string; generation: number } | undefined {
  const m = index ? /^\.ds-(.+?)(?:-\d{4}\.\d{2}\.\d{2})?-(\d{6,})$/.exec(index) : null;
  return m ? { stream: m[1]!, generation: Number(m[2]) } : undefined;
}

/** The concrete index an alias writes to, from `GET /_alias/{name}`'s answer; undefined when it has none. */
export function aliasWriteIndex(answer: unknown, alias: string): string | undefined {
  if (!answer || typeof answer !== 'object' || Array.isArray(answer)) return undefined;
  const indices = Object.entries(answer as Record<string, { aliases?: Record<string, { is_write_index?: unknown }> }>).filter(([, v]) => v?.aliases && typeof v.aliases === 'object' && alias in v.aliases);
  const writer = indices.find(([, v]) => v.aliases![alias]?.is_write_index === true);
  if (writer) return writer[0];
  // an alias over several indices without a write index refuses writes: nothing to ingest
  return indices.length === 1 && indices[0]![1].aliases![alias]?.is_write_index !== false ? indices[0]![0] : undefined;
}

/**
 * The names a search reads, from `GET /_resolve/index/{expr}`'s answer: the indices, the indices of
 * the aliases and the data streams (by their own name, which is what a pipeline pattern would
 * cover, not their `.ds-…` backing indices — a backing index named alone counts as its stream too),
 * sorted and without repeats. Undefined when the answer
 * is not that shape.
 */
export function resolvedIndices(answer: unknown): string[] | undefined {
  if (!answer || typeof answer !== 'object' || Array.isArray(answer)) return undefined;
  const a = answer as { indices?: unknown; aliases?: unknown; data_streams?: unknown };
  if (!Array.isArray(a.indices) || !Array.isArray(a.aliases)) return undefined;
  const names = new Set<string>();
  const nameOf = (x: unknown) => (x && typeof x === 'object' && typeof (x as { name?: unknown }).name === 'string' ? (x as { name: string }).name : undefined);
  const streams = new Set<string>();
  for (const d of Array.isArray(a.data_streams) ? a.data_streams : []) {
    const n = nameOf(d);
    if (!n) continue;
    names.add(n);
    const backing = (d as { backing_indices?: unknown }).backing_indices;
    if (Array.isArray(backing)) for (const b of backing) if (typeof b === 'string') streams.add(b);
  }
  for (const i of a.indices) {
    const n = nameOf(i);
    // a backing index named by itself (`.ds-…`, as hits name it) counts as its stream, which is
    // what a pipeline pattern covers (held-out probe round 11a: "no pipeline covers" 400)
    const stream = (i as { data_stream?: unknown }).data_stream;
    if (n && !streams.has(n)) names.add(typeof stream === 'string' && stream ? stream : n);
  }
  for (const al of a.aliases) {
    const members = (al as { indices?: unknown })?.indices;
    if (Array.isArray(members)) for (const m of members) if (typeof m === 'string' && !streams.has(m)) names.add(m);
  }
  return [...names].sort();
}

/** `_resolve/index/{expr}` paths without parameters, per expression (bounded: the keys come from clients). */
const plainPaths = new Map<string, string>();
const PLAIN_PATHS_KEPT = 1024;

/**
 * An index expression as a path segment: encoded, but its list commas and wildcards kept as the
 * engines read them (`a,b`, `logs-*`), as every read vlrerank makes of a client's index names needs.
 */
export const indexExprSegment = (expr: string) => encodeURIComponent(expr).replace(/%2C/gi, ',').replace(/%2A/gi, '*');

const indexPath = (expr: string) => `/_resolve/index/${indexExprSegment(expr)}`;

/** The index names of a point in time's `_index` terms (pitIndicesOrFault); undefined for another answer. */
function pitIndexNames(answer: unknown): string[] | undefined {
  const buckets = (answer as { aggregations?: { i?: { buckets?: Array<{ key?: unknown }> } } } | undefined)?.aggregations?.i?.buckets;
  return Array.isArray(buckets) ? buckets.map((b) => b.key).filter((k): k is string => typeof k === 'string') : undefined;
}

/**
 * The `_resolve/index` read of a search on `expr` with the search's parameters that change its answer.
 * Runs per search (searchedNow): a search without those parameters (nearly all) builds no
 * URLSearchParams and finds its path kept.
 */
function resolvePath(expr: string, params: URLSearchParams | undefined): string {
  if (!params || !RESOLVE_PARAMS.some((k) => params.has(k))) {
    let path = plainPaths.get(expr);
    if (path === undefined) {
      if (plainPaths.size >= PLAIN_PATHS_KEPT) plainPaths.clear();
      plainPaths.set(expr, (path = indexPath(expr)));
    }
    return path;
  }
  const qs = new URLSearchParams();
  for (const k of RESOLVE_PARAMS) {
    const v = params.get(k);
    if (v !== null) qs.set(k, v);
  }
  return `${indexPath(expr)}?${qs.toString()}`;
}

/** A short digest of the credentials a read carries: the cache answers a client only what its own credentials were told. */
export function credentialsKey(headers: readonly string[]): string {
  let h: ReturnType<typeof createHash> | undefined; // none without credentials: the common case costs no hash
  for (let i = 0; i < headers.length; i += 2) if (isCredentialHeader(headers[i]!)) (h ??= createHash('sha256')).update(`${headers[i]!.toLowerCase()}:${headers[i + 1]}\n`);
  return h ? h.digest('base64url').slice(0, 16) : '';
}

/** A read's answer, or why it failed (the engine unreachable, cut off, answering 5xx or not JSON). */
export type TargetOutcome = { value: unknown } | { fault: unknown };

interface Entry {
  value: Promise<TargetOutcome>;
  /** The answer once it came (a failed read is dropped instead). */
  settled?: { value: unknown };
}

export class IndexTargets {
  /** Answers being read or read, per key; undefined when nothing is kept (`ttlMs` 0). */
  readonly #seen: LRUCache<string, Entry> | undefined;

  constructor(ttlMs = 10_000, maxEntries = 4096) {
    // ttlResolution 0: lru-cache's default (1 ms) caches "now" behind a setTimeout armed on each
    // lookup more than 1 ms after the last — a timer per proxied search (bench:proxy's profile);
    // performance.now() per lookup is cheaper
    this.#seen = ttlMs > 0 ? new LRUCache<string, Entry>({ max: maxEntries, ttl: ttlMs, ttlResolution: 0 }) : undefined;
  }

  /** The names a search on `expr` reads (`*` for all); undefined when the engine could not say. */
  async searched(expr: string, params: URLSearchParams | undefined, o: TargetLookup): Promise<string[] | undefined> {
    const got = await this.searchedOrFault(expr, params, o);
    return 'value' in got ? (got.value as string[] | undefined) : undefined;
  }

  /**
   * `searched`, telling a failed read apart from "names nothing known": a search that asked for a
   * rerank answers the engine's fault (502/504) rather than "no pipeline covers" (held-out probe
   * round 8a: a cut `_resolve/index` answer was the client's 400 "name one with ext.vlrerank.pipeline").
   */
  searchedOrFault(expr: string, params: URLSearchParams | undefined, o: TargetLookup): Promise<TargetOutcome> {
    const path = resolvePath(expr, params);
    // refused the client's credentials: that refusal, not "names nothing known" (auth-refusal.ts)
    return this.#cached(`r\0${path}`, o, async () => resolvedIndices(await this.#read(path, o, true)));
  }

  /**
   * What `searched` would answer from the cache now, without asking (`known: false` when it would
   * have to ask): lets a search that cannot be reranked skip even reading its body.
   */
  searchedNow(expr: string, params: URLSearchParams | undefined, headers: readonly string[]): { known: false } | { known: true; indices: string[] | undefined } {
    const e = this.#seen?.get(`r\0${resolvePath(expr, params)}\0${credentialsKey(headers)}`);
    return e?.settled ? { known: true, indices: e.settled.value as string[] | undefined } : { known: false };
  }

  /** Drop the kept answer of `searched` for these credentials: the next search asks the engine again. */
  forgetSearched(expr: string, params: URLSearchParams | undefined, headers: readonly string[]): void {
    this.#seen?.delete(`r\0${resolvePath(expr, params)}\0${credentialsKey(headers)}`);
  }

  /**
   * The indices a point in time reads (fix17): its id holds them, in a form of the engine's own, so
   * the engine is asked — a search of that point in time for the `_index` of its documents (size 0).
   * Any point in time, opened through vlrerank or around it, on Elasticsearch (`_pit`) and
   * OpenSearch (`_search/point_in_time`) alike; kept as the other answers (ttlMs), so a client paging
   * it costs one look-up per ttlMs. An index of the point in time with no document is not named (no
   * hit of it can be reranked). Undefined when the engine could not say (an expired point in time).
   */
  pitIndicesOrFault(id: string, o: TargetLookup): Promise<TargetOutcome> {
    const body = JSON.stringify({ pit: { id }, size: 0, track_total_hits: false, aggs: { i: { terms: { field: '_index', size: 10_000 } } } });
    return this.#cached(`p\0${id}`, o, async () => pitIndexNames(await this.#read('/_search', o, true, body)));
  }

  /** The index a write to `name` lands in when `name` is an alias; undefined for a concrete index or when it cannot be told. */
  async writeIndex(name: string, o: TargetLookup): Promise<string | undefined> {
    const got = await this.writeIndexOrFault(name, o);
    return 'value' in got ? (got.value as string | undefined) : undefined;
  }

  /** `writeIndex`, telling a failed read apart from "not an alias" (a write must not go on without its vectors unsaid). */
  writeIndexOrFault(name: string, o: TargetLookup): Promise<TargetOutcome> {
    const path = `/_alias/${encodeURIComponent(name)}`;
    return this.#cached(`w\0${path}`, o, async () => aliasWriteIndex(await this.#read(path, o), name));
  }

  async #cached(key: string, o: TargetLookup, read: () => Promise<unknown>): Promise<TargetOutcome> {
    const k = `${key}\0${credentialsKey(o.headers)}`;
    const kept = this.#seen?.get(k); // lru-cache forgets an answer older than ttlMs
    if (kept) return kept.value;
    const entry: Entry = {
      value: read().then(
        (value) => ((entry.settled = { value }), { value }),
        (fault: unknown) => {
          if (this.#seen?.peek(k) === entry) this.#seen.delete(k); // a failed read (an abort, a refusal) is asked again next time
          return { fault };
        },
      ),
    };
    this.#seen?.set(k, entry);
    return entry.value;
  }

  /**
   * The parsed JSON answer of a 200, else undefined (a 404 is "not an alias" / "no such index"); a 5xx
   * or a 200 that is not JSON fails, and so does a 401/403 when `refusals` (an EngineRefusal).
   */
  async #read(path: string, o: TargetLookup, refusals = false, body?: string): Promise<unknown> {
    const method = body === undefined ? 'GET' : 'POST';
    // a body: the client's own JSON content type is kept (Elasticsearch refuses a compatible-with Accept beside a plain one)
    const headers = body === undefined || hasHeader(o.headers, 'content-type') ? o.headers : [...o.headers, 'content-type', 'application/json'];
    const up = await o.pool.request({ method, path, headers, body: body ?? null, signal: o.signal, idempotent: true });
    const text = await up.body.text();
    if (refusals && isAuthRefusal(up.statusCode)) throw engineRefusal(up.statusCode, up.headers, text);
    if (up.statusCode >= 500) throw vlrError('VLR_UPSTREAM_ERROR', `upstream ${up.node} answered ${method} ${path} with ${up.statusCode}: ${text.slice(0, 200)}`, { details: { node: up.node } });
    if (up.statusCode !== 200) return undefined;
    try {
      return JSON.parse(text);
    } catch {
      throw vlrError('VLR_UPSTREAM_ERROR', `upstream ${up.node} answered ${method} ${path} with a body that is not JSON: ${text.slice(0, 200)}`, { details: { node: up.node } });
    }
  }
}
