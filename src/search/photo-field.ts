/**
 * A search by photo (or clip) runs a kNN on the pipeline's image vector field. On an index that does
 * not map that field (made by hand, auto-created, set up for another pipeline) Elasticsearch answers
 * no hits (200) and OpenSearch a 400 "Field … is not knn_vector type", and neither says what to do
 * (held-out probe round 11a). When that first stage came back empty or refused, the field's mapping
 * is read (with the client's credentials): if no index searched maps it as a vector, the search is
 * vlrerank's 400 naming the field, the index and `vlrerank index setup`, the same on both engines.
 * A first stage with hits, or an index that does map the field (an empty one, say), is not touched.
 */
import { isVectorType } from '../engine/mapping.js';
import { indexExprSegment, onBehalfHeaders } from '../engine/targets.js';
import { vlrError } from '../errors.js';
import type { UpstreamPool } from '../proxy/pool.js';
import type { RerankSpec } from './detect.js';

/** Does some index of a `GET /{index}/_mapping/field/{field}` answer map `field` as a vector? undefined: the answer does not tell (no index named). */
export function someIndexMapsVector(answer: unknown, field: string): boolean | undefined {
  if (!answer || typeof answer !== 'object' || Array.isArray(answer)) return undefined;
  const indices = Object.values(answer as Record<string, { mappings?: Record<string, { mapping?: Record<string, { type?: unknown }> }> }>);
  if (!indices.length) return undefined;
  const leaf = field.split('.').pop()!;
  return indices.some((i) => isVectorType(i?.mappings?.[field]?.mapping?.[leaf]?.type));
}

/**
 * Does some index of `index` (undefined: `_all`) map `field` as a vector? Read with the client's
 * credentials; undefined when the read does not tell (refused, failed, nothing named).
 */
export async function vectorFieldMapped(pool: Pick<UpstreamPool, 'request'>, index: string | undefined, field: string, headers: readonly string[], signal?: AbortSignal): Promise<boolean | undefined> {
  const target = index ? indexExprSegment(index) : '_all';
  try {
    const res = await pool.request({ method: 'GET', path: `/${target}/_mapping/field/${encodeURIComponent(field)}`, headers: { ...onBehalfHeaders(headers), accept: 'application/json' }, signal, idempotent: true });
    const text = await res.body.text();
    if (res.statusCode !== 200) return undefined;
    return someIndexMapsVector(JSON.parse(text), field);
  } catch (e) {
    if (signal?.aborted) throw e; // the client went away: as any other step of the search
    return undefined;
  }
}

/** Throws the 400 when no index searched maps the pipeline's image vector field; any doubt (the read failed, nothing named) leaves the engine's answer. */
export async function assertPhotoFieldMapped(pool: Pick<UpstreamPool, 'request'>, spec: RerankSpec, index: string | undefined, field: string, headers: readonly string[], signal?: AbortSignal): Promise<void> {
  if ((await vectorFieldMapped(pool, index, field, headers, signal)) !== false) return;
  const p = spec.pipeline.name;
  const what = spec.query.image !== undefined ? 'image' : 'video';
  const named = index ?? '_all';
  throw vlrError(
    'VLR_BAD_REQUEST',
    `search by ${what} runs a kNN on [${field}] (pipeline [${p}]), which [${named}] does not map as a vector: the first stage can find nothing there. ` +
      `Run "vlrerank index setup ${index ?? '<index>'} --pipeline ${p}" to add the field, then "vlrerank index backfill ${index ?? '<index>'}" to add the vectors of the documents already in it`,
    { details: { index: named, field } },
  );
}
