/**
 * `_count` of an index whose OpenSearch `index.search.default_pipeline` names a vlrerank pipeline
 * (search-defaults.ts). OpenSearch's `_count` runs the index's default search pipeline and takes no
 * `search_pipeline` to name `_none` (its 400 "unrecognized parameter", in the body "request does
 * not support"): such a count was the engine's 400 `Pipeline <name> is not defined`, directly and
 * through vlrerank (held-out probe round 34a). A rerank changes no count, so the count is the one
 * the index gives without the pipeline: asked as a `size: 0`, `track_total_hits: true` `_search`
 * with `search_pipeline=_none`, answered in `_count`'s shape (`terminated_early` when the engine
 * says it, `count`, `_shards`).
 *
 * Only a count the engine would read as one is asked so: a body key other than `query`, a
 * parameter `_count` does not take, a body that is not a JSON object go to the engine as sent (its
 * own 400). Never touches a socket (http/ forwards, learns and writes the answer).
 */
import { stringifyAsSent } from '../util/json-tokens.js';
import { isObject } from '../util/is-object.js';
import { searchPath, type SearchDeps } from './execute.js';
import { answerHeaders, isJsonBody, ownBodyHeaders } from './headers.js';
import { applyFilterPath, parseFilterPath, withoutAnswerParams } from './filter-path.js';
import type { SearchResult } from './handle.js';

/** The query-string parameters OpenSearch's `_count` takes (RestCountAction, and those of every API). */
const COUNT_PARAMS = new Set([
  'q', 'df', 'analyzer', 'analyze_wildcard', 'default_operator', 'lenient', 'min_score', 'terminate_after', 'preference', 'routing',
  'ignore_unavailable', 'allow_no_indices', 'expand_wildcards', 'ignore_throttled',
  'pretty', 'human', 'error_trace', 'filter_path', 'format',
]);

export interface CountRequest {
  index: string | undefined;
  params: URLSearchParams;
  headers: readonly string[];
  /** The body to count with (the client's, or without its `ext.vlrerank`: query-only.ts), as text; undefined: none. */
  text: string | undefined;
  signal?: AbortSignal;
}

/**
 * The count the index gives without its default search pipeline, in `_count`'s shape (the engine's
 * own answer, as sent, when the search is refused: a missing index's 404…); undefined: not a count
 * to ask so (send it to the engine as it came).
 */
export async function countWithoutPipeline(deps: Pick<SearchDeps, 'pool' | 'cors'>, req: CountRequest): Promise<Extract<SearchResult, { kind: 'answer' }> | undefined> {
  for (const k of req.params.keys()) if (!COUNT_PARAMS.has(k)) return undefined;
  const body: Record<string, unknown> = { size: 0, track_total_hits: true };
  let text = '';
  if (req.text !== undefined && req.text.trim() !== '') {
    if (!isJsonBody(req.headers)) return undefined;
    let value: unknown;
    try {
      value = JSON.parse(req.text);
    } catch {
      return undefined;
    }
    if (!isObject(value) || Object.keys(value).some((k) => k !== 'query')) return undefined;
    if (value.query !== undefined) body.query = value.query;
    text = req.text;
  }
  const params = withoutAnswerParams(req.params);
  // `_search` takes no `min_score` parameter: its body does
  const minScore = params.get('min_score');
  if (minScore !== null) {
    const n = Number(minScore);
    if (minScore.trim() === '' || !Number.isFinite(n)) return undefined; // the engine's own refusal of it
    body.min_score = n;
    params.delete('min_score');
  }
  params.set('search_pipeline', '_none');
  const res = await deps.pool.request({
    method: 'POST',
    path: searchPath(req.index, params),
    headers: ownBodyHeaders(req.headers),
    // the client's query as it sent it (a long past 2^53 in a filter, util/json-tokens.ts)
    body: text ? stringifyAsSent(body, text) : JSON.stringify(body),
    signal: req.signal,
    idempotent: true,
  });
  const raw = Buffer.from(await res.body.arrayBuffer());
  const headers = answerHeaders(res.headers, deps.cors);
  if (res.statusCode !== 200) return { kind: 'answer', status: res.statusCode, headers, body: raw };
  let got: unknown;
  try {
    got = JSON.parse(raw.toString('utf8'));
  } catch {
    got = undefined;
  }
  const total = isObject(got) && isObject(got.hits) ? got.hits.total : undefined;
  const count = isObject(total) ? total.value : total;
  if (!isObject(got) || typeof count !== 'number') return { kind: 'answer', status: res.statusCode, headers, body: raw };
  const out: Record<string, unknown> = {};
  if (got.terminated_early !== undefined) out.terminated_early = got.terminated_early;
  out.count = count;
  out._shards = got._shards;
  const f = parseFilterPath(req.params);
  return { kind: 'answer', status: 200, headers, body: f ? applyFilterPath(out, f) : out };
}
