/**
 * An `_msearch` whose URL parameters the engine refuses (an unknown name, `search_type=foo`,
 * `rest_total_hits_as_int=yes`, `max_concurrent_shard_requests=0`…) is refused **whole** by the
 * engine: one 400 naming `/_msearch`. vlrerank runs a reranked item as a `_search` of its own and
 * the plain items as an `_msearch` beside it, each with the client's parameters, so each came
 * back as an item's 400 inside a 200 (naming `/{index}/_search`) — a client's `msearch()` did not
 * throw, and had to find the refusal in every item (held-out probe round 31c).
 *
 * Asked only when some item failed with a 400 and the query string has something to refuse: the
 * engine is given the client's query string on its `_msearch` path with one item that names an
 * index no one has (`match_none`, `size: 0`: nothing searched), with the client's credentials.
 * A 4xx without `responses` is the engine's answer to the client's request. Never mutates `out`.
 */
import type { SearchDeps } from './execute.js';
import { ownBodyHeaders } from './headers.js';

/** An index name no cluster holds (a lowercase, valid name): the probe's item searches nothing. */
const NO_INDEX = 'vlrerank-msearch-url-check-none';
const PROBE = `${JSON.stringify({ index: NO_INDEX, ignore_unavailable: true })}\n${JSON.stringify({ size: 0, track_total_hits: false, query: { match_none: {} } })}\n`;

export interface WholeRefusal {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
}

/** Did an item come back as a 400 (what an engine refusing the URL's parameters gives each)? */
export function hasBadRequestItem(responses: unknown): boolean {
  return Array.isArray(responses) && responses.some((r) => !!r && typeof r === 'object' && (r as { status?: unknown }).status === 400);
}

/**
 * The engine's whole refusal of this query string on `_msearch`, or undefined when it takes it
 * (or the check itself cannot be made: the items' answers stand as they are).
 */
export async function refusedMsearchParams(deps: SearchDeps, run: { pathIndex?: string; params: URLSearchParams; headers: readonly string[]; signal?: AbortSignal }): Promise<WholeRefusal | undefined> {
  const qs = run.params.toString();
  if (!qs || run.signal?.aborted) return undefined;
  const path = `${run.pathIndex ? `/${run.pathIndex}` : ''}/_msearch?${qs}`;
  try {
    const res = await deps.pool.request({ method: 'POST', path, headers: ownBodyHeaders(run.headers, 'application/x-ndjson', /./), body: PROBE, signal: run.signal, idempotent: true });
    const body = Buffer.from(await res.body.arrayBuffer());
    if (res.statusCode < 400 || res.statusCode >= 500) return undefined;
    let parsed: unknown;
    try {
      parsed = JSON.parse(body.toString('utf8'));
    } catch {
      return undefined; // not the engine's own error (a gateway's page): the items' answers stand
    }
    if (!parsed || typeof parsed !== 'object' || 'responses' in parsed || !('error' in parsed)) return undefined;
    return { status: res.statusCode, headers: res.headers, body };
  } catch {
    return undefined;
  }
}
