/**
 * The search room's handlers for `_search` and `_msearch`, on plain data: the request's index,
 * query string, raw headers and (bounded, already read by http/) body → what to do with it.
 * A search that asks for no reranking is forwarded with its exact original bytes (or, when a
 * vlrerank-only key had to be removed, with the rewritten body); a request without a body that
 * cannot be a rerank request never leaves the streaming proxy path at all. Only searches that do
 * ask for reranking are answered here.
 *
 * Never touches a socket: http/ reads the body, forwards, and writes the answer.
 */
import type { PipelineRegistry } from '../pipelines/index.js';
import { assertJsonDepth } from '../util/json-depth.js';
import { duplicateKey } from '../util/json-duplicate-keys.js';
import { vlrError } from '../errors.js';
import { detectThrough, forgetTargets, mayDefaultNow, movedSince, type ResolveDeps, type ResolvedDetection } from './resolve.js';
import type { IndexTargets } from '../engine/targets.js';
import { runRerankSearch, type SearchDeps } from './execute.js';
import { msearchItemsOf, parseMsearch, planMsearch, refusedConcurrency, rerunMoved, rerunSearchDefault, runMsearch, type MsearchItem } from './msearch.js';
import { applyFilterPath, hasAnswerParams, parseFilterPath, withoutAnswerParams } from './filter-path.js';
import type { NdjsonItem } from '../util/json-worker.js';
import { assertMetadataKeys } from './msearch-header.js';
import { hasBadRequestItem, refusedMsearchParams } from './msearch-params.js';
import { credentialHeaders } from '../engine/targets.js';
import { isEngineRefusal } from '../engine/auth-refusal.js';
import { answerHeaders, isJsonBody } from './headers.js';
import { carryTokens, sentTokens, stringifyAsSent } from '../util/json-tokens.js';
import { isObject } from '../util/is-object.js';
import { BUILDER_MARKER } from './vector-builder.js';
import { buildQueryVectors } from './query-vectors.js';
import { noNeuralIn } from './neural.js';
import { readSearchDefault, searchDefaultOf, storedOf, undefinedPipeline, type SearchDefaults } from './search-defaults.js';
import type { SearchPipelineAliases } from '../engine/search-pipelines.js';

export { searchDefaultOf };

/**
 * Words whose absence from a body proves it asks for no reranking and builds no query vector with a
 * pipeline (saves a JSON parse). `neural`: an OpenSearch neural query may name a vlrerank pipeline as
 * its model_id (search/neural.ts); one that names none is forwarded with its bytes as received after the parse.
 */
export const MARKERS = ['vlrerank', 'text_similarity_reranker', 'search_pipeline', BUILDER_MARKER, 'neural'];

export interface SearchHandlerDeps extends SearchDeps {
  pipelines: PipelineRegistry;
  /** What an alias, a wildcard or a list no pattern covers names (shared with ingest); without it, names only. */
  targets?: IndexTargets;
  /** Deepest JSON nesting parsed here (server.maxJsonDepth); deeper → 400 before anything walks the body. */
  maxJsonDepth?: number;
  /** Indices whose `index.search.default_pipeline` names a vlrerank pipeline, as learnt (search-defaults.ts). */
  searchDefaults?: SearchDefaults;
  /** Cluster search pipelines whose rerank processor names a vlrerank pipeline, as learnt (engine/search-pipelines.ts). */
  searchPipelines?: SearchPipelineAliases;
}

const DEFAULT_MAX_DEPTH = 1000;

export interface SearchRequest {
  /** Index expression of the path (`grocery`, `a,b`), undefined for `/_search`. */
  index: string | undefined;
  /** The query string. */
  params: URLSearchParams;
  /** The client's raw header list. */
  headers: readonly string[];
  /**
   * The body as received and as text (content-encoding undone; undefined when it cannot be); absent
   * without a body. A large body comes parsed off the main thread instead (`parsed`, no text):
   * whether it holds a marker word, and its value when it was parsed (a marker, or `mustParse`);
   * a large `_msearch` body comes split into items (`ndjson`; items undefined: the NDJSON broke a rule).
   */
  body?: { raw: Buffer; text: string | undefined; parsed?: { hasMarker: boolean; value: unknown }; ndjson?: { hasMarker: boolean; items: NdjsonItem[] | undefined } };
  /** Aborted when the client goes away; made on first use (a search forwarded as it came never needs one). */
  signal?: () => AbortSignal;
  /** Who asks (header or remote address), for the per-client share of the rerank queue. */
  client?: string;
  /** `mustParse` for this request, when the caller already asked it (before reading the body): not asked twice. */
  mustParse?: boolean;
  /** The vlrerank pipeline the index's `index.search.default_pipeline` was just learnt to name (learnSearchDefault), when the caller asks again. */
  searchDefault?: string;
}

export type SearchResult =
  /** Stream the request upstream untouched (nothing was read). */
  | { kind: 'proxy' }
  /**
   * Send these bytes upstream in place of the client's body and stream the answer back. `none`: with
   * `search_pipeline=_none` added — the index's default search pipeline is vlrerank's (search-defaults.ts).
   */
  | { kind: 'forward'; body: Buffer; rewritten: boolean; none?: true | string }
  /** Answer with this. */
  | {
      kind: 'answer';
      status: number;
      headers: Record<string, string>;
      body: Buffer | Record<string, unknown>;
      /**
       * The answer before the client's `filter_path`, when one cut it: what the access line reads the
       * rerank's note from (held-out probe round 19a: `filter_path=hits.hits._id` logged a reranked
       * search as not reranked, and one keeping `vlrerank.timings` logged `pipeline: "undefined"`).
       */
      whole?: Record<string, unknown>;
    };

/**
 * Must this search's body be parsed whatever it says (a default pipeline for the index — or maybe,
 * through an alias or a wildcard no pattern covers, when some pipeline is a default one —, a named
 * search pipeline)?
 */
export function mustParse(deps: ResolveDeps & { searchDefaults?: SearchDefaults; searchPipelines?: SearchPipelineAliases }, index: string | undefined, params: URLSearchParams, headers: readonly string[]): boolean {
  const sp = params.get('search_pipeline');
  return (!!sp && (deps.pipelines.get(sp) !== undefined || !!deps.searchPipelines?.get(sp))) || mayDefaultNow(deps, index, params, headers) || searchDefaultOf(deps, index) !== undefined;
}

/** Is `e` the refusal of a rerank ask on an index no pattern covers whose `index.search.default_pipeline` names a pipeline? Its name, learnt. */
async function uncoveredDefault(deps: SearchHandlerDeps, req: SearchRequest, e: unknown): Promise<string | undefined> {
  const field = (e as { details?: { field?: unknown } })?.details?.field;
  if (!deps.searchDefaults || !deps.pool || req.index === undefined || field !== 'ext.vlrerank.pipeline' || req.params.has('search_pipeline')) return undefined;
  if (!String((e as Error).message).includes('no vlrerank pipeline covers')) return undefined;
  const name = await readSearchDefault(deps.pool, req.headers, req.index, (n) => deps.pipelines.get(n) !== undefined, req.signal?.());
  if (name !== undefined) deps.searchDefaults.learn(req.index, name);
  return name;
}

/**
 * Was this search refused by the engine for the index's default search pipeline naming a vlrerank
 * pipeline (`Pipeline <name> is not defined`)? Then that is learnt, and true: the caller asks again,
 * once, and the search is served as that pipeline's (search-defaults.ts). Only a search that named
 * no search pipeline can be refused so by the index's default.
 */
export function learnSearchDefault(deps: SearchHandlerDeps, req: Pick<SearchRequest, 'index' | 'params'>, status: number, body: unknown): string | undefined {
  if (!deps.searchDefaults || status !== 400 || req.params.has('search_pipeline') || searchDefaultOf(deps, req.index)) return undefined;
  const name = undefinedPipeline(status, body, (n) => deps.pipelines.get(n) !== undefined || !!deps.searchPipelines?.get(n));
  if (name !== undefined) deps.searchDefaults.learn(req.index, name);
  return name;
}

export const handleSearch = (deps: SearchHandlerDeps, req: SearchRequest): Promise<SearchResult> => search(deps, req).catch((e) => refusedAnswer(e, deps));
export const handleMsearch = (deps: SearchHandlerDeps, req: SearchRequest): Promise<SearchResult> => msearch(deps, req).catch((e) => refusedAnswer(e, deps));

/**
 * The engine's refusal of the client's credentials on a read made for its search (which engine,
 * what an alias names: engine/auth-refusal.ts) is the client's answer, as the engine gave it.
 */
function refusedAnswer(e: unknown, deps: SearchDeps): SearchResult {
  if (!isEngineRefusal(e)) throw e;
  return { kind: 'answer', status: e.status, headers: answerHeaders(e.headers, deps.cors), body: e.body };
}

/**
 * Does this request, which has a body, go upstream with its bytes as received, decided without
 * parsing (no marker word in the body, no default pipeline or named search pipeline that could
 * take it, or a body the engine would not read as JSON)? What `search` and `msearch` decide first;
 * http/ asks it before them, so that a passthrough search makes no promise, request object or
 * client id of theirs (issue 13: passthrough CPU). `kind` is the handler's.
 */
export function forwardsAsReceived(deps: SearchHandlerDeps, req: SearchRequest, kind: 'search' | 'msearch'): boolean {
  const b = req.body;
  if (!b) return false;
  // a body the engine would not read as JSON (text/plain, none, two types, YAML…) is its to answer
  if (b.raw.length && !isJsonBody(req.headers)) return true;
  const text = b.raw.length ? b.text : '';
  if (kind === 'msearch') {
    // (an index's `index.search.default_pipeline` learnt to be vlrerank's: every item is read, search-defaults.ts)
    const anyDefault = deps.pipelines.hasDefault || !!deps.searchDefaults?.any;
    if (b.ndjson) return (!anyDefault && !b.ndjson.hasMarker) || !b.ndjson.items;
    return text === undefined || (!anyDefault && !MARKERS.some((m) => text.includes(m)));
  }
  const pre = b.parsed;
  const must = () => req.mustParse ?? mustParse(deps, req.index, req.params, req.headers);
  // `/_search` with a `pit` key names its indices inside the point in time (resolve.ts asks the engine, fix17): read when a pipeline is a default one
  const pit = () => req.index === undefined && deps.pipelines.hasDefault && (pre ? isObject(pre.value) && pre.value.pit !== undefined : text!.includes('"pit"'));
  const maybe = pre ? pre.hasMarker || must() || pit() : text !== undefined && (MARKERS.some((m) => text.includes(m)) || must() || pit());
  return !maybe; // asks for no reranking: its bytes as received
}

async function search(deps: SearchHandlerDeps, req: SearchRequest): Promise<SearchResult> {
  const sd = searchDefaultOf(deps, req.index) ?? (req.searchDefault !== undefined ? deps.pipelines.get(req.searchDefault) : undefined);
  let out: SearchResult;
  try {
    out = await searchAs(deps, req, sd);
  } catch (e) {
    // `ext.vlrerank` on an index no pattern covers is vlrerank's own 400, the engine never asked: its
    // `index.search.default_pipeline` may name the pipeline (read only on this refusal's path)
    const name = sd ? undefined : await uncoveredDefault(deps, req, e);
    if (name === undefined) throw e;
    return search(deps, { ...req, searchDefault: name });
  }
  // the index's default search pipeline is vlrerank's: what goes to the engine as sent names `_none`, or the engine refuses it
  return sd && out.kind === 'forward' ? { ...out, none: storedOf(sd) ?? true } : out;
}

async function searchAs(deps: SearchHandlerDeps, req: SearchRequest, sd: ReturnType<typeof searchDefaultOf>): Promise<SearchResult> {
  const sp = req.params.get('search_pipeline');
  const named = (!!sp && (deps.pipelines.get(sp) !== undefined || !!deps.searchPipelines?.get(sp))) || sd !== undefined;
  // a URI search (`GET /kb/_search?q=…`, no body) on an index with a default pipeline is reranked as
  // the same search with a body is: it was streamed through in BM25 order (held-out probe round 5)
  if (!req.body && !named && !(req.params.has('q') && mayDefaultNow(deps, req.index, req.params, req.headers))) return { kind: 'proxy' };
  const raw = req.body?.raw ?? Buffer.alloc(0);
  if (forwardsAsReceived(deps, req, 'search')) return { kind: 'forward', body: raw, rewritten: false };
  const pre = req.body?.parsed;
  const text = raw.length ? req.body!.text : '';
  let body: unknown;
  if (pre) body = pre.value; // depth-checked and parsed in the JSON worker (undefined: not JSON)
  else if (text) {
    // before parsing: detect/plan clone and walk the body, which must not recurse on a deep one
    assertJsonDepth(text, deps.maxJsonDepth ?? DEFAULT_MAX_DEPTH);
    try {
      body = JSON.parse(text);
    } catch {
      body = undefined; // not JSON: the engine answers with its own parse error
    }
    // JSON.parse keeps a repeated key's last value; the engine refuses the body ("Duplicate field"):
    // the search vlrerank sends in its place would have carried one of the two, chosen silently —
    // a reranked 200 where the engine says 400, and two readers of one body disagreeing (held-out probe round 21c)
    const dup = body === undefined ? undefined : duplicateKey(text);
    if (dup !== undefined) throw vlrError('VLR_PARSE', `Duplicate field '${dup.slice(0, 100)}' in the search body (the engine refuses a repeated key)`);
  }
  // `filter_path` is the client's view of the answer: applied to it, never to the first stage (nor `format`)
  const filterPath = parseFilterPath(req.params);
  const params = hasAnswerParams(req.params) ? withoutAnswerParams(req.params) : req.params;
  // a kNN's query_vector_builder naming a pipeline: its query_vector first, as if the client had sent it (vector-builder.ts)
  // and a `neural` naming a pipeline inside another query: the engine's kNN query in its place (neural-nested.ts);
  // both within the search's admission and budget (query-vectors.ts)
  const vectors = await buildQueryVectors(body, deps, { text: pre ? undefined : (text ?? ''), hasMarker: pre?.hasMarker, headers: req.headers, client: req.client, signal: req.signal?.() });
  const built = vectors.built;
  if (!pre && text !== undefined && isObject(body)) noNeuralIn(body, text);
  // a body's `search_pipeline` naming a cluster pipeline not yet known (the URL's was looked up by http/): is its rerank processor vlrerank's?
  const bodySp = isObject(body) && !params.has('search_pipeline') && typeof body.search_pipeline === 'string' ? body.search_pipeline : undefined;
  if (bodySp && bodySp !== '_none' && deps.searchPipelines && deps.pool && !deps.pipelines.get(bodySp) && deps.searchPipelines.get(bodySp) === undefined) await deps.searchPipelines.lookup(deps.pool, req.headers, bodySp, req.signal?.());
  const detect = () => (body !== undefined || (!pre && !text) ? detectThrough(deps, { index: req.index, params, body, ...(sd ? { searchDefault: sd } : {}), ...(storedOf(sd) ? { searchDefaultStored: storedOf(sd) } : {}), ...(deps.searchPipelines ? { rerankAlias: deps.searchPipelines.get.bind(deps.searchPipelines) } : {}) }, req.headers, req.signal?.()) : Promise.resolve({ kind: 'passthrough' as const }));
  let d: ResolvedDetection = await detect();
  let out: Awaited<ReturnType<typeof runRerankSearch>> | undefined;
  for (let again = true; ; again = false) {
    // the body rewritten keeps what the client sent (a long past 2^53 in a filter, util/json-tokens.ts)
    const sent = d.kind === 'passthrough' ? (d.body ?? (built ? (body as Record<string, unknown>) : undefined)) : undefined;
    if (d.kind === 'passthrough') return sent ? { kind: 'forward', body: Buffer.from(text ? stringifyAsSent(sent, text) : JSON.stringify(sent)), rewritten: true } : { kind: 'forward', body: raw, rewritten: false };
    if (text) d.spec.tokens = sentTokens(text);
    if (vectors.built) d.spec.vectorMs = vectors.ms;
    out = await runRerankSearch(d.spec, deps, { index: req.index, headers: req.headers, signal: req.signal?.(), client: req.client });
    // chosen through what an alias names, as kept: hits of an index of another pipeline mean it moved — asked again, once (strayHits)
    if (!again || !movedSince(deps, d, out.status, out.body)) break;
    forgetTargets(deps, req.index, params, req.headers);
    d = await detect();
  }
  if (filterPath && out.status < 300 && !Buffer.isBuffer(out.body)) return { kind: 'answer', ...out, body: filtered(out.body, filterPath), whole: out.body };
  return { kind: 'answer', ...out };
}

async function msearch(deps: SearchHandlerDeps, req: SearchRequest): Promise<SearchResult> {
  if (!req.body) return { kind: 'proxy' };
  const { raw, text, ndjson } = req.body;
  const registry = deps.pipelines;
  const plain: SearchResult = { kind: 'forward', body: raw, rewritten: false };
  // not JSON as the engine reads it, or (split and parsed in the JSON worker, http/body.ts) NDJSON
  // that broke a rule — the engine's to answer —, or nothing that can be reranked
  if (forwardsAsReceived(deps, req, 'msearch') || refusedConcurrency(req.params)) return plain;
  let items: MsearchItem[];
  if (ndjson) {
    items = msearchItemsOf(ndjson.items!);
  } else {
    if (text === undefined) return plain; // (forwardsAsReceived said so already: for the type checker)
    assertJsonDepth(text, deps.maxJsonDepth ?? DEFAULT_MAX_DEPTH);
    try {
      items = parseMsearch(text);
    } catch (e) {
      // forwarded, NDJSON holding rerank blocks made the engine complain about the first
      // `ext.vlrerank` it met, not about the broken line: vlrerank names the line (a 400 for the
      // whole request, as the engine answers a broken line). Without rerank blocks the engine
      // reports its own NDJSON error.
      if (MARKERS.some((m) => text.includes(m))) throw e;
      return plain;
    }
  }
  const filterPath = parseFilterPath(req.params);
  const params = hasAnswerParams(req.params) ? withoutAnswerParams(req.params) : req.params;
  const plan = await planMsearch(items, req.index, params, deps, req.headers, req.signal, req.client);
  // (once an index's default search pipeline was seen to be vlrerank's, plain items' answers are read:
  // one refused so is learnt from and asked again, rerunSearchDefault)
  if (plan.every((p) => p.kind === 'plain' && !p.rewritten) && !deps.searchDefaults?.any) return plain;
  // a header key the engine refuses is its 400 for the whole request, not a parameter of a reranked item
  await assertMetadataKeys(items, (name) => registry.get(name) !== undefined, async () => (await deps.engine.info(credentialHeaders(req.headers))).distribution);
  const run = { pathIndex: req.index, params, headers: req.headers, signal: req.signal?.(), client: req.client };
  const out = await runMsearch(plan, deps, run);
  // items refused for their index's default search pipeline being vlrerank's: learnt, asked again, once (search-defaults.ts)
  await rerunSearchDefault(items, plan, out, deps, run, req.signal);
  // URL parameters the engine refuses are its 400 for the whole request, not each item's (msearch-params.ts)
  const whole = hasBadRequestItem(out.body.responses) ? await refusedMsearchParams(deps, run) : undefined;
  if (whole) return { kind: 'answer', status: whole.status, headers: answerHeaders(whole.headers, deps.cors), body: whole.body };
  // items chosen through what an alias names, as kept, that got another pipeline's hits: asked again, once, as a _search is
  await rerunMoved(items, plan, out, deps, run, req.signal);
  return { kind: 'answer', status: 200, headers: out.headers, ...(filterPath ? { body: filtered(out.body, filterPath), whole: out.body } : { body: out.body }) };
}

/** The client's `filter_path` view of an answer, holding its tokens as sent (util/json-tokens.ts). */
function filtered(body: Record<string, unknown>, f: NonNullable<ReturnType<typeof parseFilterPath>>): Record<string, unknown> {
  const out = applyFilterPath(body, f);
  carryTokens(body, out);
  return out;
}
