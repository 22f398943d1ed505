/**
 * `_search/template` (OpenSearch's mustache search templates; Elasticsearch's where its build has
 * them) with a rerank ask: the template is rendered by the engine (`POST /_render/template`, with the
 * client's credentials) and the search it renders to is handled as that `_search` is — reranked when
 * it asks for it (`ext.vlrerank` in the template's source, an `ext` beside `id`/`params`,
 * `?search_pipeline=<vlrerank pipeline>` with `ext.rerank`, a stored template whose source holds one)
 * or when the index has a default pipeline. What it costs: a stored template's search through vlrerank
 * asks the engine to render it first (one `_render/template` round trip) whenever a pipeline may
 * cover its index; an inline one only when it names vlrerank.
 * Before (held-out probe round 13f, OpenSearch 3.6) each of these went to the engine as sent: its 400
 * `unknown field [vlrerank]`, `unknown field [ext]` or "Pipeline … is not defined", and a template
 * search on a default-pipeline index came back in BM25 order where the same `_search` is reranked.
 *
 * A template request that asks for nothing of vlrerank's, one the engine cannot render (its own
 * error follows) or whose rendered search is not reranked after all goes to the engine as sent.
 * Never touches a socket (http/ reads the body and writes the answer).
 */
import { credentialHeaders } from '../engine/targets.js';
import { handleSearch, mustParse, type SearchHandlerDeps, type SearchRequest, type SearchResult } from './handle.js';
import { isJsonBody } from './headers.js';

/** Keys of a search template request besides the template and its params: search options of the rendered search. */
const SEARCH_KEYS = new Set(['explain', 'profile']);

type Json = Record<string, unknown>;
const isObject = (v: unknown): v is Json => !!v && typeof v === 'object' && !Array.isArray(v);

/** The engine's rendering of `{id | source, params}`; undefined when it does not render it (the engine then answers the request itself). */
async function render(deps: SearchHandlerDeps, template: Json, headers: readonly string[], signal?: AbortSignal): Promise<Json | undefined> {
  const res = await deps.pool.request({
    method: 'POST',
    path: '/_render/template',
    headers: { ...credentialHeaders(headers), 'content-type': 'application/json', accept: 'application/json' },
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

export async function handleSearchTemplate(deps: SearchHandlerDeps, req: SearchRequest): Promise<SearchResult> {
  if (!req.body) return { kind: 'proxy' };
  const asSent: SearchResult = { kind: 'forward', body: req.body.raw, rewritten: false };
  if (!isJsonBody(req.headers)) return asSent;
  const pre = req.body.parsed;
  const text = req.body.text;
  // a stored template (`id`) may hold the ask itself: rendered whenever a pipeline may cover the index
  const stored = (pre ? isObject(pre.value) && pre.value.id !== undefined : text !== undefined && text.includes('"id"')) && (deps.pipelines.forIndex(req.index) !== undefined || deps.pipelines.resolvable(req.index));
  const asks = stored || (pre ? pre.hasMarker : text !== undefined && text.includes('vlrerank'));
  if (!asks && !(req.mustParse ?? mustParse(deps, req.index, req.params, req.headers))) return asSent;
  let body: unknown = pre?.value;
  if (!pre) {
    try {
      body = text === undefined ? undefined : JSON.parse(text);
    } catch {
      return asSent; // the engine's parse error
    }
  }
  if (!isObject(body) || (body.id === undefined && body.source === undefined)) return asSent;
  const { id, source, params, ext, ...rest } = body;
  if (Object.keys(rest).some((k) => !SEARCH_KEYS.has(k)) || (ext !== undefined && !isObject(ext))) return asSent; // the engine's 400 for an unknown key
  const rendered = await render(deps, { id, source, params }, req.headers, req.signal?.());
  if (!rendered) return asSent;
  const ext0 = rendered.ext;
  const search: Json = { ...rendered, ...rest };
  if (ext !== undefined) search.ext = { ...(isObject(ext0) ? ext0 : {}), ...ext };
  const json = JSON.stringify(search);
  const out = await handleSearch(deps, { ...req, body: { raw: Buffer.from(json), text: json }, mustParse: undefined });
  // not reranked after all (nothing asked it of the rendered search): the engine answers the template as sent
  return out.kind === 'answer' ? out : asSent;
}
