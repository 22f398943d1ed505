/**
 * `vlrerank eval` through the proxy path users run: every query is sent as the same `_search` a
 * client sends (`ext.vlrerank` with the query, the window and the pipeline; the query's own DSL,
 * if any, as its first stage) to a running vlrerank at a URL — the one given with `--url`, or the
 * one the CLI started in-process from the configuration as `vlrerank serve` does.
 *
 * The first stage alone is the proxy's own first stage of that very search: each hit's
 * `_vlrerank.first_stage_rank` (the request asks for `explain` and the whole window), so the
 * first-stage figures use the same engine, pipeline, query vector and window as the reranked ones,
 * and cost no second search.
 *
 * Speaks HTTP as a client (undici); never imports the server, http/ or search/ internals.
 */
import { request } from 'undici';
import { vlrError } from '../errors.js';
import type { EvalQuery } from './judgements.js';
import type { ConfigRun, QueryRun } from './summary.js';
import { stopOf, type EvalStop } from './stop.js';

export interface ProxyEvalOptions {
  url: string;
  index: string;
  queries: EvalQuery[];
  /** One entry per pipeline to compare; `undefined` = the index's own pipeline. */
  pipelines: Array<string | undefined>;
  windows: number[];
  headers?: Record<string, string>;
  onQuery?: (done: number, total: number) => void;
  /** Aborted (its reason: the signal's name) → the search in flight is dropped and the run stops with what it measured. */
  signal?: AbortSignal;
  /** How messages name the proxy (default its URL): the CLI's own in-process server is no address the user gave. */
  label?: string;
  /** Longest wait for one search's answer (ms; `--timeout`): a proxy that accepts and never answers stops the run instead of holding it. */
  timeoutMs?: number;
}

/** Default of `--timeout`: longer than any pipeline's budget and admission wait need, far shorter than undici's own 300 s. */
export const SEARCH_TIMEOUT_MS = 120_000;

/** undici's wait bounds for one search of `timeoutMs`. */
export const waitBounds = (timeoutMs = SEARCH_TIMEOUT_MS) => ({ headersTimeout: timeoutMs, bodyTimeout: timeoutMs });

/** The error of a search that could not be sent or answered: a time-out names `--timeout`. */
export function searchFailed(e: unknown, who: string, timeoutMs = SEARCH_TIMEOUT_MS): Error {
  const code = (e as { code?: string }).code;
  if (code === 'UND_ERR_HEADERS_TIMEOUT' || code === 'UND_ERR_BODY_TIMEOUT') {
    return vlrError('VLR_UPSTREAM_TIMEOUT', `${who} did not answer a search within ${timeoutMs / 1000} s (--timeout): is it stuck?`, { cause: e });
  }
  return vlrError('VLR_UPSTREAM_UNREACHABLE', `cannot reach ${who}: ${(e as Error).message}`, { cause: e });
}

interface Hit {
  _id?: string;
  _vlrerank?: { first_stage_rank?: number; explanation?: Record<string, unknown> };
}

/** Feature-source counts from a hit's explanation: the feature-cache hits/misses, and where each modality's features came from. */
function addSources(into: Record<string, number>, e: Record<string, unknown> | undefined): void {
  if (!e) return;
  const cache = e.cache as { hits?: unknown; misses?: unknown } | undefined;
  if (cache && typeof cache.hits === 'number') into.cache_hits = (into.cache_hits ?? 0) + cache.hits;
  if (cache && typeof cache.misses === 'number') into.cache_misses = (into.cache_misses ?? 0) + cache.misses;
  // where each modality's features came from: `features: {text: 'index', image: 'l1', …}` (index, record, l1, disk, redis, computed)
  const features = e.features as Record<string, unknown> | undefined;
  for (const [modality, from] of Object.entries(features ?? {})) {
    if (typeof from === 'string') into[`${modality}:${from}`] = (into[`${modality}:${from}`] ?? 0) + 1;
  }
}

/** Why a search was refused, in words a user can act on (the runs of the evaluation and of --fit). */
export function refusalReason(json: Record<string, any> | undefined, text: string, url: string, target: { index?: string; pipeline?: string } = {}): string {
  // "all shards failed" says nothing: the engine's root cause says what (e.g. maxClauseCount on a very long query)
  const root = json?.error?.root_cause?.[0]?.reason;
  const top = json?.error?.reason ?? json?.error?.type;
  const reason = String(top && root && root !== top ? `${top}: ${root}` : (top ?? root ?? text.slice(0, 300)));
  // the engine itself refuses the `ext.vlrerank` block in its own words (Elasticsearch 8/OpenSearch:
  // "unknown named object category [….SearchExtBuilder]", Elasticsearch 9: "unknown field [vlrerank]"),
  // which does not tell a user that --url names the engine instead of vlrerank (held-out eval probe round)
  const engine = /SearchExtBuilder|unknown field \[vlrerank\]/.test(reason) ? ` — is ${url} the engine itself? --url names a vlrerank proxy in front of it (or leave --url out to start one)` : '';
  // an index the pipeline was never set up on: OpenSearch refuses the kNN of a text query's first
  // stage in its own words ("Field 'image_text_vector' is not knn_vector type"; Elasticsearch answers
  // no hits), which does not say what to run (held-out probe round 12c)
  const unmapped = /is not knn_vector type|only supported on \[dense_vector\]|is not a (dense_vector|knn_vector)/i.test(reason)
    ? ` — index [${target.index ?? '…'}] does not map the pipeline's vector fields: "vlrerank index setup ${target.index ?? '<index>'} --pipeline ${target.pipeline ?? '<pipeline>'}" adds them, "vlrerank index backfill ${target.index ?? '<index>'}" fills them`
    : '';
  return `${reason}${engine}${unmapped}`;
}

/** What `explainedSearch` asks: one query's reranked search through the proxy, as a client sends it. */
export interface ExplainedSearch {
  url: string;
  index: string;
  q: EvalQuery;
  pipeline?: string;
  window: number;
  headers?: Record<string, string>;
  /** Aborted → the search in flight is dropped and the caller's abort reason thrown as is. */
  signal?: AbortSignal;
  /** How messages name the proxy (default: its URL). */
  label?: string;
  timeoutMs?: number;
  /** `ext.vlrerank.knn_boost`: the bridge kNN's boost beside the query for this search (`--fit` varies it); undefined → the pipeline's. */
  knnBoost?: number;
}

/**
 * One query's search with `explain` over the whole window, as the evaluation and `--fit` both run
 * it: a failed exchange named (`searchFailed`), a non-200 with the proxy's own reason, an answer
 * without a vlrerank report refused. Returns the parsed answer and the wall time.
 */
export async function explainedSearch(o: ExplainedSearch): Promise<{ json: Record<string, any>; wallMs: number }> {
  const { q } = o;
  const who = o.label ?? o.url;
  const body = {
    size: o.window,
    _source: false,
    ...(q.dsl ? { query: q.dsl } : {}),
    ext: {
      vlrerank: {
        query: { ...(q.text ? { text: q.text } : {}), ...(q.image ? { image: q.image } : {}), ...(q.video ? { video: q.video } : {}) },
        window: o.window,
        explain: true,
        ...(o.pipeline ? { pipeline: o.pipeline } : {}),
        ...(o.knnBoost !== undefined ? { knn_boost: o.knnBoost } : {}),
      },
    },
  };
  const t0 = performance.now();
  let res;
  try {
    res = await request(`${o.url.replace(/\/+$/, '')}/${encodeURIComponent(o.index)}/_search`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...o.headers },
      body: JSON.stringify(body),
      ...waitBounds(o.timeoutMs),
      ...(o.signal ? { signal: o.signal } : {}),
    });
  } catch (e) {
    if (o.signal?.aborted) throw e;
    throw searchFailed(e, who, o.timeoutMs);
  }
  const text = await res.body.text().catch((e: unknown) => {
    if (o.signal?.aborted) throw e;
    throw searchFailed(e, who, o.timeoutMs);
  });
  const wallMs = Math.round((performance.now() - t0) * 100) / 100;
  let json: Record<string, any>;
  try {
    json = JSON.parse(text) as Record<string, any>;
  } catch {
    throw vlrError('VLR_UPSTREAM_ERROR', `${who} answered ${res.statusCode} with a body that is not JSON: ${text.slice(0, 200)}`);
  }
  if (res.statusCode !== 200) {
    // the proxy's or the engine's "not now" (busy, unreachable behind it, too slow) is not the query's fault: the CLI exits 69 for it, not 2
    const code = res.statusCode === 429 ? 'VLR_OVERLOADED' : res.statusCode === 502 ? 'VLR_UPSTREAM_UNREACHABLE' : res.statusCode === 504 ? 'VLR_UPSTREAM_TIMEOUT' : 'VLR_BAD_REQUEST';
    throw vlrError(code, `query "${q.id}" (window ${o.window}${o.pipeline ? `, pipeline ${o.pipeline}` : ''}${o.knnBoost !== undefined ? `, knn_boost ${o.knnBoost}` : ''}): ${who} answered ${res.statusCode}: ${refusalReason(json, text, o.url, { index: o.index, pipeline: o.pipeline })}`);
  }
  if (!json.vlrerank) throw vlrError('VLR_BAD_REQUEST', `${who} answered without a vlrerank report: is it a vlrerank proxy, and does a pipeline cover index [${o.index}]?`);
  // an index without the pipeline's bridge vector field: the search ran its text part alone (src/search/bridge-field.ts),
  // which is not the pipeline eval is asked to measure — stopped with the search's own note (setup, backfill)
  if (json.vlrerank.first_stage === 'text') throw vlrError('VLR_BAD_REQUEST', `query "${q.id}": ${who} ran the first stage on text only: ${json.vlrerank.first_stage_note}`);
  return { json, wallMs };
}

/** One reranked search, read into a QueryRun. Non-200 answers throw with the proxy's own reason. */
export async function searchOnce(o: ExplainedSearch): Promise<QueryRun> {
  const { q } = o;
  const who = o.label ?? o.url;
  const { json, wallMs } = await explainedSearch(o);
  const report = json.vlrerank as { degraded?: boolean; reason?: string; timings?: Record<string, number>; document_errors?: { count?: number; first?: string } };
  const hits = (json.hits?.hits ?? []) as Hit[];
  const reranked = hits.map((h) => String(h._id));
  const ranked = hits.map((h, i) => ({ id: String(h._id), rank: h._vlrerank?.first_stage_rank ?? Number.NaN, i }));
  if (ranked.some((r) => !Number.isFinite(r.rank))) throw vlrError('VLR_BAD_REQUEST', `${who} answered hits without _vlrerank.first_stage_rank (explain): cannot tell the first stage's order`);
  const first = [...ranked].sort((a, b) => a.rank - b.rank || a.i - b.i).map((r) => r.id);
  const featureSources: Record<string, number> = {};
  for (const h of hits) addSources(featureSources, h._vlrerank?.explanation);
  const timings: Record<string, number> = {};
  for (const [k, v] of Object.entries(report.timings ?? {})) if (typeof v === 'number') timings[k] = v;
  return {
    id: q.id,
    first,
    reranked,
    timings,
    wallMs,
    ...(report.degraded ? { degraded: report.reason ?? 'degraded' } : {}),
    documentErrors: report.document_errors?.count ?? 0,
    ...(typeof report.document_errors?.first === 'string' ? { documentErrorFirst: report.document_errors.first } : {}),
    featureSources,
  };
}

export const configName = (pipeline: string | undefined, window: number) => `${pipeline ? `${pipeline} ` : ''}window ${window}`;

/**
 * Every query through every (pipeline × window) configuration, one search at a time (a measurement,
 * not a load test). A failed search or an aborted `signal` ends the run early: `stopped` says why,
 * and `runs` holds every search done until then (a configuration begun and not finished included).
 */
export async function runProxyEval(o: ProxyEvalOptions): Promise<{ runs: ConfigRun[]; stopped?: EvalStop }> {
  const runs: ConfigRun[] = [];
  const total = o.pipelines.length * o.windows.length * o.queries.length;
  let done = 0;
  const measured = () => runs.filter((r) => r.queries.length);
  for (const pipeline of o.pipelines) {
    for (const window of o.windows) {
      const run: ConfigRun = { name: configName(pipeline, window), ...(pipeline ? { pipeline } : {}), window, queries: [] };
      runs.push(run);
      for (const q of o.queries) {
        try {
          if (o.signal?.aborted) throw o.signal.reason;
          run.queries.push(await searchOnce({ url: o.url, index: o.index, q, pipeline, window, headers: o.headers, signal: o.signal, label: o.label, timeoutMs: o.timeoutMs }));
        } catch (e) {
          return { runs: measured(), stopped: stopOf(o.signal, e, done, total) };
        }
        o.onQuery?.(++done, total);
      }
    }
  }
  return { runs };
}

/** `_source` of some documents, through the proxy (`_mget`, a passthrough request), for the report's thumbnails. */
export async function fetchSources(url: string, index: string, ids: string[], headers?: Record<string, string>): Promise<Map<string, Record<string, unknown>>> {
  const out = new Map<string, Record<string, unknown>>();
  if (!ids.length) return out;
  const res = await request(`${url.replace(/\/+$/, '')}/${encodeURIComponent(index)}/_mget`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify({ ids }),
  });
  const json = (await res.body.json().catch(() => ({}))) as { docs?: Array<{ _id: string; found?: boolean; error?: unknown; _source?: Record<string, unknown> }> };
  // `_mget` takes one concrete index: a wildcard, a list or an alias over several is refused (each
  // doc an `index_not_found_exception`, or the whole call), and the report had no thumbnails,
  // unsaid (held-out probe round 12c) — an `ids` search reads them
  if (res.statusCode !== 200 || !Array.isArray(json.docs) || json.docs.some((d) => d.error)) {
    for (const h of (await idsSearch(url, index, ids, true, headers)) ?? []) if (h._source) out.set(h._id, h._source);
    return out;
  }
  for (const d of json.docs) if (d.found && d._source) out.set(d._id, d._source);
  return out;
}

/** The hits of an `ids` search over `index` (any expression the engine's search takes); undefined when refused. */
async function idsSearch(url: string, index: string, ids: string[], source: boolean, headers?: Record<string, string>): Promise<Array<{ _id: string; _source?: Record<string, unknown> }> | undefined> {
  const hits: Array<{ _id: string; _source?: Record<string, unknown> }> = [];
  for (let i = 0; i < ids.length; i += 1000) {
    const chunk = ids.slice(i, i + 1000);
    const res = await request(`${url.replace(/\/+$/, '')}/${encodeURIComponent(index)}/_search`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers },
      body: JSON.stringify({ size: chunk.length * 4, _source: source, query: { ids: { values: chunk } } }),
    });
    const json = (await res.body.json().catch(() => ({}))) as { hits?: { hits?: Array<{ _id: string; _source?: Record<string, unknown> }> } };
    if (res.statusCode !== 200 || !Array.isArray(json.hits?.hits)) return undefined;
    hits.push(...json.hits.hits);
  }
  return hits;
}

/**
 * Which of `ids` the index does not hold (`_mget` through the proxy, a passthrough request, no
 * `_source`; an `ids` search where `_mget` refuses the expression); undefined when the engine could not say.
 */
export async function absentIds(url: string, index: string, ids: string[], headers?: Record<string, string>): Promise<string[] | undefined> {
  const absent: string[] = [];
  try {
    for (let i = 0; i < ids.length; i += 1000) {
      const res = await request(`${url.replace(/\/+$/, '')}/${encodeURIComponent(index)}/_mget?_source=false`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...headers },
        body: JSON.stringify({ ids: ids.slice(i, i + 1000) }),
      });
      const json = (await res.body.json().catch(() => ({}))) as { docs?: Array<{ _id: string; found?: boolean; error?: unknown }> };
      if (res.statusCode !== 200 || !Array.isArray(json.docs) || json.docs.some((d) => d.error)) {
        // a wildcard, a list, an alias over several indices: `_mget` refuses them, an `ids` search does not
        const found = await idsSearch(url, index, ids, false, headers);
        if (!found) return undefined;
        const held = new Set(found.map((h) => h._id));
        return ids.filter((d) => !held.has(d));
      }
      for (const d of json.docs) if (d.found === false) absent.push(d._id);
    }
  } catch {
    return undefined;
  }
  return absent;
}
