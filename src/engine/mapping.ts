/**
 * The index mapping a pipeline needs on the engine behind: its vector fields as `dense_vector` on
 * Elasticsearch, or as `knn_vector` with the lucene HNSW engine on OpenSearch (the k-NN plugin's
 * native engines — faiss, the default, and nmslib — are not available on every install, and a
 * faiss field kills a node without its native library), plus its media fields as stored, unindexed
 * keywords. `setupIndex` creates the index or adds the missing fields to an existing one.
 */
import { vlrError } from '../errors.js';
import type { Pipeline } from '../pipelines/index.js';
import type { EngineClient } from './client.js';
import { vectorMapping, type Dialect } from './dialect.js';

/** `properties` for the pipeline's fields, as nested objects for dotted paths. */
export function pipelineProperties(p: Pipeline, dialect: Dialect): Record<string, unknown> {
  const props: Record<string, unknown> = {};
  const put = (path: string, mapping: Record<string, unknown>) => {
    const keys = path.split('.');
    let cur = props;
    for (const k of keys.slice(0, -1)) {
      const o = (cur[k] ??= { properties: {} }) as { properties: Record<string, unknown> };
      cur = o.properties;
    }
    cur[keys[keys.length - 1]!] = mapping;
  };
  for (const f of p.fields.text) put(f, { type: 'text' });
  for (const f of [...p.fields.image, ...p.fields.video]) put(f, { type: 'keyword', index: false, doc_values: false });
  for (const v of [p.vectors.image, p.vectors.bridge]) if (v) put(v.field, vectorMapping(v.dims, v.similarity, dialect));
  return props;
}

export interface SetupResult {
  index: string;
  action: 'created' | 'updated';
  dialect: Dialect;
  mapping: Record<string, unknown>;
}

export async function setupIndex(engine: EngineClient, pipeline: Pipeline, index: string): Promise<SetupResult> {
  const { distribution: dialect } = await engine.info();
  const properties = pipelineProperties(pipeline, dialect);
  const exists = await engine.json('HEAD', `/${encodeURIComponent(index)}`);
  if (exists.statusCode === 404) {
    const settings: Record<string, unknown> = {};
    if (dialect === 'opensearch' && (pipeline.vectors.image || pipeline.vectors.bridge)) settings['index.knn'] = true;
    const body = { settings, mappings: { properties } };
    const r = await engine.json('PUT', `/${encodeURIComponent(index)}`, body);
    if (r.statusCode >= 300) throw vlrError('VLR_UPSTREAM_ERROR', `creating index [${index}] failed: ${JSON.stringify(r.body).slice(0, 500)}`, { status: r.statusCode });
    return { index, action: 'created', dialect, mapping: body };
  }
  // existing index: add only the fields it does not have (a mapping cannot change a field's type)
  const cur = await engine.json<Record<string, { mappings?: { properties?: Record<string, unknown> } }>>('GET', `/${encodeURIComponent(index)}/_mapping`);
  const have = Object.values(cur.body ?? {})[0]?.mappings?.properties ?? {};
  const missing = Object.fromEntries(Object.entries(properties).filter(([k]) => !(k in have)));
  if (dialect === 'opensearch' && Object.values(missing).some((m) => (m as { type?: string }).type === 'knn_vector')) {
    const s = await engine.json<Record<string, { settings?: { index?: { knn?: string } } }>>('GET', `/${encodeURIComponent(index)}/_settings`);
    if (Object.values(s.body ?? {})[0]?.settings?.index?.knn !== 'true') {
      throw vlrError('VLR_BAD_REQUEST', `index [${index}] exists without index.knn: true, which OpenSearch only sets at creation; reindex into a new index created by "vlrerank index setup"`);
    }
  }
  if (Object.keys(missing).length) {
    const r = await engine.json('PUT', `/${encodeURIComponent(index)}/_mapping`, { properties: missing });
    if (r.statusCode >= 300) throw vlrError('VLR_UPSTREAM_ERROR', `updating the mapping of [${index}] failed: ${JSON.stringify(r.body).slice(0, 500)}`, { status: r.statusCode });
  }
  return { index, action: 'updated', dialect, mapping: { properties: missing } };
}
