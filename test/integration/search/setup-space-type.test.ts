/**
 * `vlrerank index setup` on an index made beforehand whose vector field compares by another
 * similarity than the pipeline's (OpenSearch's default `space_type: l2`, `innerproduct`;
 * Elasticsearch's `l2_norm`) says so in a note: the kNN neighbours come in the same order, but the
 * engine's first-stage scores differ (0.81 under l2 where cosinesimil gives 0.94), which a blend
 * fusion and a kNN `min_score` read. Before (held-out probe round 11c) it answered "updated" without
 * a word. Not refused: the index works. A vector field of **byte** elements (OpenSearch
 * `data_type: byte`, Elasticsearch `element_type: byte`) is refused, naming it: every float vector
 * vlrerank writes there is the engine's 400 (`mapper_parsing_exception`), and setup answered
 * "updated"; so are vector fields kNN cannot search (an OpenSearch index made without `index.knn`,
 * an Elasticsearch `dense_vector` with `index: false`: every search by photo was the engine's 400,
 * "not built for ANN search"). Real OpenSearch 2.19 and 3.6 (`knn_vector`, lucene; the space type in `method` and left
 * to its default) and Elasticsearch 8.19 (`dense_vector`).
 */
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../../../src/config/load.js';
import { EngineClient } from '../../../src/engine/client.js';
import { setupIndex } from '../../../src/engine/mapping.js';
import { loadPipelines, PipelineRegistry } from '../../../src/pipelines/index.js';
import { UpstreamPool } from '../../../src/proxy/pool.js';
import { distributionOf, useEngine, type EngineName } from '../../helpers/engines.js';
import { REPO_ROOT } from '../../helpers/paths.js';

const coco = new PipelineRegistry(loadPipelines(join(REPO_ROOT, 'pipelines'))).get('coco')!; // image_vector 1280, image_text_vector 384, cosine
const INDEX = 'p11c-setup-space-it';

describe.each(['opensearch', 'opensearch3', 'elasticsearch'] as EngineName[])('index setup on an index comparing vectors otherwise (%s)', (name) => {
  const os = distributionOf(name) === 'opensearch';
  const pools: UpstreamPool[] = [];
  const engine = async () => {
    const pool = new UpstreamPool(parseConfig({ upstream: { urls: [await useEngine(name)] } }).upstream);
    pools.push(pool);
    return new EngineClient(pool);
  };
  const create = async (e: EngineClient, properties: Record<string, unknown>) => {
    await e.json('DELETE', `/${INDEX}`);
    const r = await e.json('PUT', `/${INDEX}`, { settings: os ? { 'index.knn': true } : {}, mappings: { properties } });
    expect(r.statusCode, JSON.stringify(r.body)).toBe(200);
  };
  afterAll(async () => {
    const e = await engine();
    await e.json('DELETE', `/${INDEX}`);
    for (const p of pools) await p.close();
  });

  it('names the field and both similarities (a note, not a refusal)', async () => {
    const e = await engine();
    const cases: Array<[Record<string, unknown>, string]> = os
      ? [
          [{ type: 'knn_vector', dimension: 1280, method: { name: 'hnsw', engine: 'lucene' } }, 'l2'], // OpenSearch's default space type
          [{ type: 'knn_vector', dimension: 1280, method: { name: 'hnsw', engine: 'lucene', space_type: 'innerproduct' } }, 'innerproduct'],
        ]
      : [[{ type: 'dense_vector', dims: 1280, index: true, similarity: 'l2_norm' }, 'l2_norm']];
    for (const [mapping, got] of cases) {
      await create(e, { image_vector: mapping });
      const r = await setupIndex(e, coco, INDEX);
      expect(r.action).toBe('updated');
      const note = (r.notes ?? []).find((n) => n.includes('[image_vector]'));
      expect(note, `${got}: ${JSON.stringify(r.notes)}`).toBeDefined();
      expect(note).toContain(`by ${got} where pipeline [coco]`);
      expect(note).toContain(os ? 'cosinesimil' : 'cosine');
      expect((r.notes ?? []).some((n) => n.includes('[image_text_vector]')), 'a field setup adds itself gets no note').toBe(false);
    }
  });

  it('refuses a vector field of byte elements, naming it; float said outright is fine', async () => {
    const e = await engine();
    const byte = os
      ? { type: 'knn_vector', dimension: 1280, data_type: 'byte', method: { name: 'hnsw', engine: 'lucene', space_type: 'cosinesimil' } }
      : { type: 'dense_vector', dims: 1280, index: true, similarity: 'cosine', element_type: 'byte' };
    await create(e, { image_vector: byte });
    await expect(setupIndex(e, coco, INDEX)).rejects.toThrow(/\[image_vector\] as \w+ of 1280 dims of byte elements/i);
    const float = os
      ? { type: 'knn_vector', dimension: 1280, data_type: 'float', method: { name: 'hnsw', engine: 'lucene', space_type: 'cosinesimil' } }
      : { type: 'dense_vector', dims: 1280, index: true, similarity: 'cosine', element_type: 'float' };
    await create(e, { image_vector: float });
    expect((await setupIndex(e, coco, INDEX)).action).toBe('updated');
  });

  it('refuses vector fields kNN cannot search: OpenSearch without index.knn, Elasticsearch with index: false', async () => {
    const e = await engine();
    await e.json('DELETE', `/${INDEX}`);
    const noKnn = (dims: number) => (os ? { type: 'knn_vector', dimension: dims } : { type: 'dense_vector', dims, index: false });
    // both of the pipeline's vector fields there (none for setup to add), made without index.knn on
    // OpenSearch (the engine then builds no graph: every kNN query is its 400)
    expect((await e.json('PUT', `/${INDEX}`, { mappings: { properties: { image_vector: noKnn(1280), image_text_vector: noKnn(384) } } })).statusCode).toBe(200);
    await expect(setupIndex(e, coco, INDEX)).rejects.toThrow(os ? /without index\.knn: true/ : /\[image_vector\] as dense_vector with index: false/);
  });

  it('an index setup made, set up again: no similarity note', async () => {
    const e = await engine();
    await e.json('DELETE', `/${INDEX}`);
    expect((await setupIndex(e, coco, INDEX)).action).toBe('created');
    const again = await setupIndex(e, coco, INDEX);
    expect((again.notes ?? []).filter((n) => n.includes('compares vectors'))).toEqual([]);
  });
});
