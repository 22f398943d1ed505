/**
 * `vlrerank index setup` on Elasticsearch gives the pipeline's vector fields exact kNN scores.
 * 8.19 quantises a `dense_vector` by default (`int8_hnsw`) and scores kNN hits by the quantised
 * vectors, calibrated per segment: the same vector written into four segments scored 0.99996 …
 * 0.99831 (held-out probe round 25b), so identical documents — one product listed twice — tied in
 * the rerank but not in the first stage: their order, and a `blend` fusion's `_score`, depended on
 * the segment each landed in, changed with merges and differed from 9.2. Setup now sets
 * `rescore_vector` on a quantised field it creates or adds (9.2's `bbq_hnsw` default already has it
 * and is left as it is). Real Elasticsearch 8.19 and 9.2; fails before the fix on 8.19.
 */
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../../../src/config/load.js';
import { EngineClient } from '../../../src/engine/client.js';
import { setupIndex } from '../../../src/engine/mapping.js';
import { loadPipelines, PipelineRegistry } from '../../../src/pipelines/index.js';
import { UpstreamPool } from '../../../src/proxy/pool.js';
import { ES_VERSIONS, useEngine } from '../../helpers/engines.js';
import { REPO_ROOT } from '../../helpers/paths.js';

const coco = new PipelineRegistry(loadPipelines(join(REPO_ROOT, 'pipelines'))).get('coco')!; // image_vector 1280, image_text_vector 384
const INDEX = 'p25b-setup-rescore-it';

/** A seeded vector of `n` values: deterministic, so the test reads the same every run. */
function vector(seed: number, n: number, scale = 1): number[] {
  let a = seed + 1;
  return Array.from({ length: n }, () => {
    // mulberry32
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((((t ^ (t >>> 14)) >>> 0) / 4294967296) - 0.3) * scale;
  });
}

describe.each(ES_VERSIONS)('index setup: exact kNN scores on %s', (name) => {
  const pools: UpstreamPool[] = [];
  const engine = async () => {
    const pool = new UpstreamPool(parseConfig({ upstream: { urls: [await useEngine(name)] } }).upstream);
    pools.push(pool);
    return new EngineClient(pool);
  };
  afterAll(async () => {
    const e = await engine();
    await e.json('DELETE', `/${INDEX}`);
    for (const p of pools) await p.close();
  });

  it('one vector in four segments gets one kNN score (identical documents tie in the first stage)', async () => {
    const e = await engine();
    await e.json('DELETE', `/${INDEX}`);
    const r = await setupIndex(e, coco, INDEX);
    expect(r.action).toBe('created');
    expect(r.notes ?? []).toEqual([]);
    const m = await e.json<Record<string, { mappings: { properties: Record<string, { index_options?: { type?: string; rescore_vector?: { oversample?: number } } }> } }>>('GET', `/${INDEX}/_mapping`);
    const opts = m.body![INDEX]!.mappings.properties.image_vector!.index_options;
    // 8.19's int8_hnsw gets rescoring; 9.2's bbq_hnsw default is left as the engine made it (it rescores)
    expect(opts?.type).toBe(name === 'elasticsearch' ? 'int8_hnsw' : 'bbq_hnsw');
    expect(opts?.rescore_vector?.oversample).toBe(3);
    const same = vector(9999, 1280);
    for (let seg = 0; seg < 4; seg++) {
      const nd = Array.from({ length: 10 }, (_, i) => `${JSON.stringify({ index: { _id: `s${seg}-${i}` } })}\n${JSON.stringify({ image_vector: i === 0 ? same : vector(seg * 100 + i, 1280, 1 + seg * 3) })}\n`).join('');
      const w = await e.json('POST', `/${INDEX}/_bulk?refresh=true`, nd, { 'content-type': 'application/x-ndjson' });
      expect(w.statusCode).toBe(200);
    }
    const s = await e.json<{ hits: { hits: Array<{ _id: string; _score: number }> } }>('POST', `/${INDEX}/_search`, { size: 4, _source: false, knn: { field: 'image_vector', query_vector: same, k: 4, num_candidates: 40 } });
    const hits = s.body!.hits.hits;
    expect(hits.map((h) => h._id).sort()).toEqual(['s0-0', 's1-0', 's2-0', 's3-0']);
    expect(new Set(hits.map((h) => h._score)).size, JSON.stringify(hits)).toBe(1);
  });

  it("a team's own quantised field is left as it is, with a note saying how to score it exactly; a field setup adds is rescored", async () => {
    const e = await engine();
    await e.json('DELETE', `/${INDEX}`);
    const own = { type: 'dense_vector', dims: 1280, index: true, similarity: 'cosine', index_options: { type: 'int8_hnsw' } };
    expect((await e.json('PUT', `/${INDEX}`, { mappings: { properties: { image_vector: own } } })).statusCode).toBe(200);
    const r = await setupIndex(e, coco, INDEX);
    expect(r.action).toBe('updated');
    const notes = (r.notes ?? []).filter((n) => n.includes('rescore_vector'));
    expect(notes, JSON.stringify(r.notes)).toHaveLength(1);
    expect(notes[0]).toContain('[image_vector] is scored by kNN on int8_hnsw vectors');
    const m = await e.json<Record<string, { mappings: { properties: Record<string, { index_options?: { rescore_vector?: unknown } }> } }>>('GET', `/${INDEX}/_mapping`);
    expect(m.body![INDEX]!.mappings.properties.image_vector!.index_options?.rescore_vector).toBeUndefined();
    expect(m.body![INDEX]!.mappings.properties.image_text_vector!.index_options?.rescore_vector).toEqual({ oversample: 3 });
  });
});
