/**
 * A text search whose pipeline's first stage is `knn` or `hybrid` runs a kNN on the bridge vector
 * field. On an index that does not map that field (never set up with `vlrerank index setup`, made by
 * hand) Elasticsearch drops the kNN part silently (a `knn` first stage: no hits at all) and
 * OpenSearch refuses the whole search with "Field … is not knn_vector type" (held-out probe round
 * 12c). A text query still has a first stage there — its BM25 on the pipeline's match fields — so
 * that is what runs, reranked as usual, and the response says so (`vlrerank.first_stage: "text"` and
 * a note naming the field, the index and `vlrerank index setup`): a reranked answer is worth more to
 * whoever forgot the setup than an error, and it is never silently the kNN's empty answer. (A search
 * by photo has no such fallback: photo-field.ts answers its 400.)
 *
 * The mapping is read with the client's credentials (photo-field.ts's read) before the query text is
 * embedded, and kept a second (as `pipelines.mappingCacheMs` keeps a write's) per upstream, credentials, index expression and field, so a busy
 * index costs one mapping read per TTL, not one per search. An index set up meanwhile gets its kNN
 * back within that TTL. Any doubt (the read refused or failed) keeps the pipeline's first stage.
 */
import { LRUCache } from 'lru-cache';
import type { UpstreamPool } from '../proxy/pool.js';
import { credentialHeaders } from '../engine/targets.js';
import { vectorFieldMapped } from './photo-field.js';

/** How long a mapping answer is kept (ms). */
export const BRIDGE_MAPPING_TTL_MS = 1_000;
/** One cache per upstream pool (so per server), the project's LRU with a time to live. */
const caches = new WeakMap<object, LRUCache<string, { mapped: boolean }>>();

/** Does some index of `index` map the bridge vector `field`? undefined: the read did not tell. Cached (see above). */
export async function bridgeFieldMapped(pool: Pick<UpstreamPool, 'request'>, index: string | undefined, field: string, headers: readonly string[], signal?: AbortSignal): Promise<boolean | undefined> {
  let cache = caches.get(pool);
  if (!cache) caches.set(pool, (cache = new LRUCache({ max: 1_000, ttl: BRIDGE_MAPPING_TTL_MS })));
  const key = JSON.stringify([index ?? '_all', field, credentialHeaders(headers)]);
  const hit = cache.get(key);
  if (hit) return hit.mapped;
  const mapped = await vectorFieldMapped(pool, index, field, headers, signal);
  if (mapped === undefined) cache.delete(key);
  else cache.set(key, { mapped });
  return mapped;
}

/** The response's note for a first stage that ran on text only. */
export function textOnlyNote(index: string | undefined, field: string, pipeline: string, textQuery: string): string {
  const i = index ?? '<index>';
  return (
    `[${index ?? '_all'}] does not map [${field}] as a vector, so the ${textQuery} first stage of pipeline [${pipeline}] ran on text only (BM25), without its kNN. ` +
    `Run "vlrerank index setup ${i} --pipeline ${pipeline}" to add the field, then "vlrerank index backfill ${i}" to add the vectors of the documents already in it`
  );
}
