/**
 * Plan the first stage of a reranked search: validate paging and the options reranking cannot
 * honour, choose the window, widen `_source` so the pipeline's fields come back, and build the body
 * for the engine behind (kNN on a vector field for image/video queries and for text queries on
 * pipelines whose `text_query` is `knn`/`hybrid`; the `knn` retriever translated per dialect).
 *
 * The window must cover from+size so that paging through the same window yields every hit exactly
 * once — users hit exactly this with Elasticsearch's own reranker (elastic/elasticsearch#124632)
 * and OpenSearch's rerank processor (opensearch-project/OpenSearch#6722).
 *
 * Pure: the query vectors are computed by the caller and passed in.
 */
import { vlrError } from '../errors.js';
import { cloneJson } from '../util/json-clone.js';
import type { RerankSpec } from './detect.js';
import { unrerankable } from './unrerankable.js';
import { clientSourceFilter, SOURCE_PARAMS, widenSourceFilter, type SourceFilter } from './source.js';
import { addKnn, type Dialect } from '../engine/dialect.js';
import { pipelinePaths } from '../pipelines/document.js';
import { askCorrection, type CorrectionAsk } from './correction.js';


export interface Paging {
  from: number;
  size: number;
  window: number;
  /**
   * Hits asked of the engine when not the window: 0 for `size: 0` (nothing answered, nothing to
   * rerank: totals and aggregations are the first stage's), `from + size` when a page reaches past
   * the window the client did not choose (the hits after the window follow in first-stage order, as
   * the engine's own `rescore` answers past its `window_size`).
   */
  fetch?: number;
}

export interface FirstStagePlan extends Paging {
  /** The body sent to the engine. */
  body: Record<string, unknown>;
  /** Query string to forward (without from/size/_source*). */
  params: URLSearchParams;
  /** The client's own `_source` view, applied again to the returned hits. */
  sourceFilter: SourceFilter;
  /** `_source` fields the reranker reads. */
  needed: string[];
  /** The feature-record field asked for with the hits (pipelines keeping records in the index). */
  recordField?: string;
  /** The client asked for that field itself (`stored_fields`): it stays in its hits. */
  clientWantsRecord: boolean;
  /** The term suggesters asked beside the pipeline's fuzzy text match: the query the reranker reads (correction.ts). */
  correction?: CorrectionAsk;
  /** The pipeline's own text match read the query's last word as a prefix (`first_stage.match_type: bool_prefix`). */
  lastIsPrefix?: true;
  /** The bridge kNN stood beside a query (a `hybrid` first stage, or the client's query beside it): the boost it was given (1: none sent). */
  knnBoost?: number;
}

/** Which query vector the first stage needs, if any. */
export type VectorNeed = { kind: 'image'; field: string; dims: number } | { kind: 'bridge'; field: string; dims: number } | undefined;


function bad(field: string, reason: string): never {
  throw vlrError('VLR_BAD_REQUEST', `[${field}] ${reason}`, { details: { field } });
}

function intParam(params: URLSearchParams, body: Record<string, unknown>, key: 'from' | 'size', dflt: number, dialect: Dialect): number {
  const p = params.get(key);
  if (p !== null) return urlInt(p, key, dialect);
  const given: unknown = body[key];
  if (given === undefined) return dflt;
  // the engine reads `"size": "10"` as 10 (numeric strings are coerced)
  let v: unknown = typeof given === 'string' && /^-?\d+$/.test(given.trim()) ? Number(given.trim()) : given;
  // in the body, a decimal — `7.5`, `"2.5"` — is cut to its integer part: the engines' parser coerces
  // it (Elasticsearch 8.19 and OpenSearch 2.19 answer `size: 1.5` with 1 hit); a reranked search
  // refused it with a 400 (held-out probe round 29a).
  v = truncatedDecimal(v);
  if (typeof v === 'number' && Number.isSafeInteger(v) && v < 0) negative(key, v, dialect);
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0) bad(key, `must be a non-negative integer, got [${typeof given === 'string' || typeof given === 'number' ? given : JSON.stringify(given)}]`); // 1e999 parses to Infinity, which JSON writes as null
  return v;
}

/**
 * `?size=` / `?from=` read as the engines read an int parameter (Java's `Integer.parseInt`: an
 * optional sign, ASCII digits, within 32 bits — `+5` and `007` taken, ` 5`, `5.0` and `2147483648`
 * not), refused in the engines' words: a reranked search answered `size=+5` with a 400 the engine
 * does not give, took `size=%205` the engine refuses, and named neither as the engine does (held-out
 * probe round 31c).
 */
function urlInt(p: string, key: 'from' | 'size', dialect: Dialect): number {
  const v = /^[+-]?\d+$/.test(p) ? Number(p) : NaN;
  if (!Number.isInteger(v) || v > 2 ** 31 - 1 || v < -(2 ** 31)) {
    throw vlrError('VLR_BAD_REQUEST', `Failed to parse int parameter [${key}] with value [${p}]`, { details: { caused_by: { type: 'number_format_exception', reason: `For input string: "${p}"` } } });
  }
  if (v < 0) negative(key, v, dialect);
  return v === 0 ? 0 : v; // `-0` is 0
}

/** A negative `from` or `size`, refused in the engine's words (they differ on `from`). */
function negative(key: 'from' | 'size', v: number, dialect: Dialect): never {
  const reason = key === 'from' && dialect === 'elasticsearch' ? `[from] parameter cannot be negative but was [${v}]` : `[${key}] parameter cannot be negative, found [${v}]`;
  throw vlrError('VLR_BAD_REQUEST', reason);
}

/** A finite decimal number, or a string of one, as the engines read it where an integer is due: its integer part. */
function truncatedDecimal(v: unknown): unknown {
  if (typeof v === 'number') return Number.isFinite(v) ? Math.trunc(v) : v;
  if (typeof v === 'string' && /^\s*[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?\s*$/.test(v)) {
    const n = Math.trunc(Number(v.trim()));
    return Number.isFinite(n) ? n : v;
  }
  return v;
}

function storedFieldsNone(v: unknown): boolean {
  const list = typeof v === 'string' ? v.split(',') : Array.isArray(v) ? v : [];
  return list.some((x) => typeof x === 'string' && x.trim() === '_none_');
}

const REFUSED = {
  sort: 'a reranked search is ordered by the rerank score: sorting by anything other than [_score] descending cannot be honoured; remove [sort] or the rerank request',
  collapse: 'field collapsing cannot be combined with reranking: the collapsed groups would be chosen before the rerank order is known',
  rescore: 'rescore cannot be combined with reranking: the reranker replaces the rescore phase; remove [rescore]',
  search_after: 'search_after cannot page a reranked search; use from and size within the rerank window',
  scroll: 'a scroll cannot be reranked; use from and size within the rerank window',
} as const;

/** Paging and refusals. Throws an ES-shaped 400 for what reranking cannot honour (`dialect`: the engine whose words a bad `from` is refused in). */
export function planPaging(spec: RerankSpec, dialect: Dialect = 'elasticsearch'): Paging {
  const { body, params, pipeline } = spec;
  const refused = unrerankable(body, params);
  if (refused) bad(refused, REFUSED[refused]);
  // `_none_` turns off every stored field, `_id` and `_source` included: the reranker would read
  // nothing and score every hit alike (held-out probe round 4), so it is refused rather than ignored
  if (storedFieldsNone(body.stored_fields) || storedFieldsNone(params.get('stored_fields'))) {
    bad('stored_fields', 'stored_fields [_none_] leaves hits without _id and _source, which reranking reads; remove it (use "_source": false to leave _source out of the answer)');
  }
  const from = intParam(params, body, 'from', 0, dialect);
  const size = intParam(params, body, 'size', 10, dialect);
  const needed = from + size;
  // `size: 0` (totals, aggregations): reranking the window would be spent on hits nobody is shown
  // — a facet request on a default pipeline computed 300 abstracts (held-out probe round 10b): fetch 0
  if (spec.window !== undefined) {
    if (spec.window < needed) {
      bad('window', `the rerank window [${spec.window}] must be greater than or equal to from + size [${needed}] (paging past the window would repeat or skip hits)`);
    }
    if (spec.window > pipeline.window.max) bad('window', `the rerank window [${spec.window}] exceeds the maximum [${pipeline.window.max}] of pipeline [${pipeline.name}]`);
    return pageIn(from, size, spec.window);
  }
  // No window asked for: the pipeline's default, or the page's size when larger — never a window
  // that depends on `from`. One that grew to cover from+size reranked another set of candidates on
  // every page past the default: paging a product page by 10 with a default window of 30 showed 23
  // of the first 100 hits twice and 43 never (held-out probe round 15e). The hits after the window
  // follow in first-stage order, as the engine's own `rescore` answers past its `window_size`, so
  // each page is a slice of one order: every hit once, the page that straddles the window's end too.
  let window = Math.max(pipeline.window.default, size);
  if (window > pipeline.window.max) {
    // a page larger than the maximum window: a search that did not ask for a rerank (a default
    // pipeline) is answered as the engine would (held-out probe round 10b: a client asking `size:
    // 10000` got a 400 it never asked for); one that asks is the 400 naming the window
    if (spec.syntax !== 'default') bad('window', `the rerank window [${window}] exceeds the maximum [${pipeline.window.max}] of pipeline [${pipeline.name}] (size = ${size})`);
    window = pipeline.window.max;
  }
  return pageIn(from, size, window);
}

/**
 * The same page within a smaller window: an index's `index.max_result_window` below the window the
 * client did not choose (execute.ts reads it from the engine's refusal). Hits after it follow in
 * first-stage order, as past any window.
 */
export function pagingWithin(paging: Paging, maxWindow: number): Paging {
  return pageIn(paging.from, paging.size, Math.min(paging.window, maxWindow));
}

/**
 * A page over a rerank window: nothing fetched for `size: 0` (totals and aggregations are the first
 * stage's); a page reaching past the window fetches `from + size`, the hits after the window in
 * first-stage order.
 */
function pageIn(from: number, size: number, window: number): Paging {
  if (size === 0) return { from, size, window, fetch: 0 };
  return from + size > window ? { from, size, window, fetch: from + size } : { from, size, window };
}

/** The query vector the first stage needs for this spec. */
export function vectorNeed(spec: RerankSpec): VectorNeed {
  const p = spec.pipeline;
  if (spec.knn) return undefined;
  if (spec.query.image !== undefined || spec.query.video !== undefined) {
    if (!p.vectors.image) bad('ext.vlrerank.query', `search by ${spec.query.image !== undefined ? 'image' : 'video'} needs a kNN first stage, but pipeline [${p.name}] has no vectors.image field`);
    return { kind: 'image', field: p.vectors.image.field, dims: p.vectors.image.dims };
  }
  // the retriever syntax names its own first stage (the inner retriever): keep it as given
  // only a search without a query of its own gets the pipeline's text first stage: a client query
  // — or a top-level `knn` of its own (held-out probe round 12a: it was replaced by the pipeline's
  // bridge kNN, its filter, `k` and vector lost) — is kept as the first stage exactly (its
  // aggregations and totals must not change)
  if (!ownFirstStage(spec.body, spec.params) && spec.syntax !== 'retriever' && spec.query.text && p.first_stage.text_query !== 'bm25' && p.vectors.bridge) return { kind: 'bridge', field: p.vectors.bridge.field, dims: p.vectors.bridge.dims };
  return undefined;
}

/**
 * The client's search names its own hits: a `query`, Elasticsearch's top-level `knn` (one or an
 * array), or a URI search's `?q=`, which the engine reads as the query (held-out probe round 29a:
 * beside `?q=` the pipeline's bridge kNN was added on Elasticsearch — 50 hits for the client's 4 —
 * and its text match replaced by `q` on OpenSearch, where the kNN is part of the query).
 */
function ownFirstStage(body: Record<string, unknown>, params: URLSearchParams): boolean {
  return body.query !== undefined || body.knn !== undefined || params.has('q');
}

/** A query that scores nothing and only restricts: usable as a kNN `filter`. */
export function isFilterOnly(q: unknown): boolean {
  if (!q || typeof q !== 'object' || Array.isArray(q)) return false;
  const o = q as Record<string, unknown>;
  if (Object.keys(o).length !== 1) return false;
  if (o.constant_score) return true;
  const b = o.bool as Record<string, unknown> | undefined;
  return !!b && typeof b === 'object' && Object.keys(b).length > 0 && Object.keys(b).every((k) => k === 'filter' || k === 'must_not' || k === 'boost' || k === '_name');
}

/** The pipeline's text match as the body's query, and (`fuzzy.correct`) the suggesters of the query the reranker reads. */
function matchQuery(spec: RerankSpec, body: Record<string, unknown>, bm25Boost: number): { correction?: CorrectionAsk; lastIsPrefix?: true } {
  // unset: the text fields, and the field ingest writes each image's OCR text to (feat23o: a screenshot found by its words)
  const ocr = spec.pipeline.ingest?.ocr_text;
  const fields = spec.pipeline.first_stage.match_fields ?? [...spec.pipeline.fields.text, ...(ocr !== undefined ? [ocr] : [])];
  if (fields.length === 0) {
    body.query = { match_all: {} };
    return {};
  }
  const type = spec.pipeline.first_stage.match_type;
  const query = textMatch(spec.query.text, fields, spec.pipeline.first_stage.fuzzy, type);
  // on the scale the pipeline's first-stage map and hybrid balance were fitted on (engine/dialect.ts bm25Factor)
  if (bm25Boost !== 1) (Object.values(query)[0] as Record<string, unknown>).boost = bm25Boost;
  body.query = query;
  const correction = askCorrection(body, spec.query.text, fields, spec.pipeline.first_stage.fuzzy);
  return { ...(correction ? { correction } : {}), ...(type === 'bool_prefix' ? { lastIsPrefix: true as const } : {}) };
}

/**
 * The first stage's text match of `query` on `fields`, with a pipeline's `first_stage.fuzzy` clause
 * beside it when set (also what scripts/bench/hybrid-boost.ts asks the engine, so a refit of the
 * boost sees the query vlrerank sends).
 */
export function textMatch(query: string | undefined, fields: string[], fuzzy: RerankSpec['pipeline']['first_stage']['fuzzy'], type?: RerankSpec['pipeline']['first_stage']['match_type']): Record<string, unknown> {
  const typed = type ? { type } : {};
  const exact = { multi_match: { query, fields, ...typed } };
  if (!fuzzy) return exact;
  // the exact match scores as before; a misspelt word's document is found by the fuzzy clause alone
  // (under bool_prefix the engine applies the fuzziness to every word but the last, the prefix)
  const { boost, fuzziness, prefix_length, max_expansions } = fuzzy;
  return { bool: { should: [exact, { multi_match: { query, fields, ...typed, fuzziness, prefix_length, max_expansions, boost } }] } };
}

/** Build the first-stage request. `vector` is required when `vectorNeed(spec)` is defined. */
export function buildFirstStage(spec: RerankSpec, paging: Paging, dialect: Dialect, vector?: ArrayLike<number>, bm25Boost = 1, ignoreUnmapped = false): FirstStagePlan {
  const body = cloneJson(spec.body);
  const params = new URLSearchParams(spec.params);
  const p = spec.pipeline;
  const sourceFilter = clientSourceFilter(body, params);
  for (const k of ['from', 'size', ...SOURCE_PARAMS]) params.delete(k);
  // a named pipeline replaces the index's default one on OpenSearch (detect.ts); Elasticsearch has
  // no search pipelines and refuses the parameter
  if (spec.namedSearchPipeline && dialect === 'opensearch') params.set('search_pipeline', spec.firstStagePipeline ?? '_none');
  const needed = pipelinePaths(p);
  const src = widenSourceFilter(sourceFilter, needed, body._source);
  if (src === undefined) delete body._source;
  else body._source = src;
  body.from = 0;
  body.size = paging.fetch ?? paging.window;
  const record = askRecordField(body, params, p.features);

  const need = vectorNeed(spec);
  const numCandidates = Math.max(paging.window, p.first_stage.num_candidates);
  let knnBoost: number | undefined;
  let matched: ReturnType<typeof matchQuery> = {};
  if (spec.knn) {
    // the knn child retriever's `k` bounds its hits, as in Elasticsearch (a child of k 2 hands the
    // reranker 2 hits); raised to the window, up to `window` hits came back (held-out probe round 6)
    const k = spec.knn.k ?? paging.window;
    addKnn(body, dialect, {
      field: spec.knn.field,
      vector: spec.knn.query_vector,
      k,
      numCandidates: spec.knn.num_candidates ?? Math.max(numCandidates, k),
      filter: spec.knn.filter,
      similarity: spec.knn.similarity,
      options: spec.knn.options,
    });
  } else if (need) {
    if (!vector) throw vlrError('VLR_INTERNAL', `first stage needs a ${need.kind} query vector`);
    uriQueryIntoBody(body, params);
    if (vector.length !== need.dims) {
      throw vlrError('VLR_BAD_REQUEST', `the ${need.kind} query vector has ${vector.length} dimensions but [${need.field}] of pipeline [${p.name}] has ${need.dims}`);
    }
    // a request query that only filters (bool filter/must_not, constant_score) restricts the kNN
    // candidates instead of adding unscored hits next to them
    // a neural query on the pipeline's name (search/neural.ts) is the whole query: its own filter, k and radius
    const nk = spec.neuralKnn;
    let filter: unknown = nk?.filter;
    if (!nk && isFilterOnly(body.query)) {
      filter = body.query;
      delete body.query;
    }
    if (need.kind === 'bridge' && body.query === undefined && p.first_stage.text_query === 'hybrid') matched = matchQuery(spec, body, bm25Boost);
    // a kNN alone (a search by photo) answers k hits, and `hits.total` is k: it asks for the
    // pipeline's maximum window whatever the page, so pages past the window find hits and every page
    // counts the same total (the top hits of a larger k are the same hits). Beside a query, k stays
    // the window, so the hits whose scores the kNN adds to — and the window's order — do not change
    // (a neural's k as asked: its hits are its k neighbours, as the engine's neural query answers)
    const k = nk ? nk.k : body.query === undefined ? Math.max(paging.window, p.window.max) : paging.window;
    if (nk && k === undefined && dialect === 'elasticsearch') bad(`query.neural.${need.field}`, 'min_score and max_distance (a radial search) are OpenSearch k-NN parameters: Elasticsearch behind takes k');
    // beside a query the engine adds the two scores: the bridge kNN's similarity (≤ 1) is weighed by knn_boost
    // (the request's `ext.vlrerank.knn_boost`, else the pipeline's); reported back, so a caller can tell the kNN stood beside a query
    if (body.query !== undefined && need.kind === 'bridge') knnBoost = spec.knnBoost ?? p.first_stage.knn_boost;
    addKnn(body, dialect, { field: need.field, vector: Array.from(vector), k, numCandidates: Math.max(numCandidates, k ?? 0), filter, ignoreUnmapped, ...(knnBoost !== undefined && knnBoost !== 1 ? { boost: knnBoost } : {}), ...(nk ? { options: nk.options } : {}) });
  } else if (!ownFirstStage(body, params) && spec.query.text) {
    matched = matchQuery(spec, body, bm25Boost);
  }
  return { ...paging, body, params, sourceFilter, needed, ...record, ...(knnBoost !== undefined ? { knnBoost } : {}), ...matched };
}

/** The URL parameters the engines read into a URI search's `query_string` (RestActions.urlParamsToQueryBuilder). */
const URI_QUERY_PARAMS = { df: 'default_field', analyzer: 'analyzer', analyze_wildcard: 'analyze_wildcard', lenient: 'lenient', default_operator: 'default_operator' } as const;

/**
 * A URI search's `?q=` beside the kNN of a search by photo or video, written into the body as the
 * `query_string` the engine would make of it: left in the URL it replaced the body's query on the
 * engine — on OpenSearch the kNN query itself (the photo never asked: 4 hits of the words alone),
 * on Elasticsearch beside a kNN of the maximum window (81 hits) — where the same words as a body
 * `query` stand beside the photo's kNN on both (held-out probe round 29a).
 */
function uriQueryIntoBody(body: Record<string, unknown>, params: URLSearchParams): void {
  const q = params.get('q');
  // an operator the engine does not know stays in the URL: the engine's own 400 for it, as directly
  const op = params.get('default_operator');
  if (q === null || (op !== null && !/^(and|or)$/i.test(op))) return;
  const qs: Record<string, unknown> = { query: q };
  for (const [param, key] of Object.entries(URI_QUERY_PARAMS)) {
    const v = params.get(param);
    if (v === null) continue;
    qs[key] = (param === 'analyze_wildcard' || param === 'lenient') && (v === 'true' || v === 'false' || v === '') ? v !== 'false' : v;
    params.delete(param);
  }
  params.delete('q');
  body.query = { query_string: qs };
}

/**
 * Ask the engine for each hit's feature record with the first-stage hits: a `stored_fields` entry
 * (the record is a stored field left out of `_source`, see engine/mapping.ts). Naming
 * `stored_fields` turns `_source` off unless asked, so `_source` is asked for explicitly (the
 * client's own view is applied again afterwards). `_none_` never gets here: planPaging refuses it.
 * A `stored_fields` URL parameter replaces the body's on the engine (RestSearchAction reads it over
 * the body's), so it would have left the record out and every hit's features been computed again
 * (same answer, slower: held-out probe round 6): it is moved into the body first, as the engine
 * would read it, and the record field added there.
 */
function askRecordField(body: Record<string, unknown>, params: URLSearchParams, features: RerankSpec['pipeline']['features']): Pick<FirstStagePlan, 'recordField' | 'clientWantsRecord'> {
  if (features.store !== 'index') return { clientWantsRecord: false };
  const field = features.field;
  const url = params.get('stored_fields');
  if (url !== null) {
    body.stored_fields = url.split(',').map((x) => x.trim()).filter((x) => x !== '');
    params.delete('stored_fields');
  }
  const given = body.stored_fields;
  const list = typeof given === 'string' ? given.split(',').map((x) => x.trim()) : Array.isArray(given) ? given.filter((x): x is string => typeof x === 'string') : [];
  if (list.includes('_none_')) return { clientWantsRecord: false };
  const clientWantsRecord = list.includes(field) || list.includes('*');
  body.stored_fields = [...new Set([...list, field])];
  if (body._source === undefined) body._source = true;
  return { recordField: field, clientWantsRecord };
}
