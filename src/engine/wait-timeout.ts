/**
 * How long a request asks the engine to wait before it answers: its `timeout` and `master_timeout`
 * query parameters, in the engines' time units (`30s`, `2m`, `500ms`…). `_cluster/health?wait_for_status=green&timeout=120s`
 * — what deployment scripts and the official clients' `cluster.health()` send to wait for a cluster
 * — answers only after that long (the engine's 408 with `timed_out: true`, or 200 once green).
 * Through vlrerank it was cut at `upstream.headersTimeoutMs` with a 504, and the node marked down
 * though it was only waiting as asked (held-out probe round 17a). The pool waits for the longer.
 *
 * Reads the query string only; never the body.
 */

const UNIT_MS: Record<string, number> = { nanos: 1e-6, micros: 1e-3, ms: 1, s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 };
const TIME_VALUE = /^(\d+(?:\.\d+)?)(nanos|micros|ms|s|m|h|d)$/;

/** One time value in milliseconds; undefined for `-1` (no limit), `0` and anything unparsable. */
export function timeValueMs(v: string): number | undefined {
  const m = TIME_VALUE.exec(v.trim().toLowerCase());
  if (!m) return undefined;
  const ms = Number(m[1]) * UNIT_MS[m[2]!]!;
  return ms > 0 && Number.isFinite(ms) ? ms : undefined;
}

/** The longest wait a request's query string asks of the engine (`timeout`, `master_timeout`), in ms. */
export function requestedWaitMs(path: string): number | undefined {
  const q = path.indexOf('?');
  if (q < 0 || !path.includes('timeout=', q)) return undefined;
  let longest: number | undefined;
  for (const [k, v] of new URLSearchParams(path.slice(q + 1))) {
    if (k !== 'timeout' && k !== 'master_timeout') continue;
    const ms = timeValueMs(v);
    if (ms !== undefined && (longest === undefined || ms > longest)) longest = ms;
  }
  return longest;
}

/**
 * The longest wait a search asks of the engine: its query string's `timeout` (above) or its body's
 * `timeout` (the search API takes either). A reranked search's first stage waits for it as a
 * passthrough does — it was cut at `upstream.headersTimeoutMs` whatever the client asked (fix18,
 * a 17a leftover).
 */
export function searchWaitMs(path: string, body: Record<string, unknown>): number | undefined {
  const inPath = requestedWaitMs(path);
  const inBody = typeof body.timeout === 'string' ? timeValueMs(body.timeout) : undefined;
  return inPath === undefined || (inBody !== undefined && inBody > inPath) ? inBody : inPath;
}
