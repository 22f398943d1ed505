/**
 * Dynamic batching through a real model: concurrent callers are grouped into one EfficientNet run
 * and each gets its own result (identical to running its image alone); a full queue rejects at once
 * with VLR_OVERLOADED and the ES-shaped 429 body.
 */
import { afterAll, describe, expect, it } from 'vitest';
import type { ImageFeatures, PreprocessedImage } from '../../src/models/index.js';
import { Models } from '../../src/models/index.js';
import { createMetrics } from '../../src/observability/metrics.js';
import { maxAbsDiff, modelsConfig, synthetic } from '../helpers/models.js';

function image(seed: number): PreprocessedImage {
  const x = synthetic(260, 260);
  for (let i = 0; i < x.length; i++) x[i] = Math.sin(x[i]! * (seed + 1) + seed);
  return { data: x, dims: [3, 260, 260], original: { width: 260, height: 260 } };
}

const open: Models[] = [];
afterAll(async () => {
  for (const m of open) await m.close();
});

describe('batching queue', () => {
  it('groups concurrent callers into batches and gives each its own result', async () => {
    const metrics = createMetrics({ defaults: false });
    const models = await Models.create(modelsConfig({ batch: { maxBatchSize: 8, maxWaitMs: 20, maxQueue: 64 } }), { metrics });
    open.push(models);
    const ic = await models.imageClassifier();
    const imgs = Array.from({ length: 6 }, (_, i) => image(i));
    const alone: ImageFeatures[] = [];
    for (const im of imgs) alone.push((await ic.embed([im]))[0]!);
    const before = (await metrics.batchSize.get()).values.find((v) => v.metricName === 'vlrerank_batch_size_count')?.value ?? 0;
    // six independent callers at once
    const together = await Promise.all(imgs.map((im) => ic.embed([im]).then((r) => r[0]!)));
    const after = (await metrics.batchSize.get()).values.find((v) => v.metricName === 'vlrerank_batch_size_count')!.value;
    expect(after - before).toBeLessThan(6); // fewer model runs than callers
    together.forEach((f, i) => {
      expect(maxAbsDiff(f.embedding, alone[i]!.embedding)).toBeLessThan(1e-4);
      expect(maxAbsDiff(f.logits, alone[i]!.logits)).toBeLessThan(1e-3);
    });
    // and the results really differ between callers (no mix-up hidden by identical inputs)
    expect(maxAbsDiff(together[0]!.embedding, together[1]!.embedding)).toBeGreaterThan(0.01);
  });

  it('a wrongly sized image is refused alone and does not fail the other callers of its batch', async () => {
    const models = await Models.create(modelsConfig({ batch: { maxBatchSize: 8, maxWaitMs: 20, maxQueue: 64 } }));
    open.push(models);
    const ic = await models.imageClassifier();
    const wrong: PreprocessedImage = { data: new Float32Array(3 * 224 * 224), dims: [3, 224, 224], original: { width: 224, height: 224 } };
    const [a, bad, b] = await Promise.allSettled([ic.embed([image(1)]), ic.embed([wrong]), ic.embed([image(2)])]);
    expect(a.status).toBe('fulfilled');
    expect(b.status).toBe('fulfilled');
    expect((bad as PromiseRejectedResult).reason).toMatchObject({ code: 'VLR_BAD_REQUEST', message: expect.stringContaining('[3, 260, 260], got [3, 224, 224]') });
  });

  it('a full queue rejects with VLR_OVERLOADED (429, es_rejected_execution_exception)', async () => {
    const models = await Models.create(modelsConfig({ batch: { maxBatchSize: 1, maxWaitMs: 50, maxQueue: 2 } }));
    open.push(models);
    const ic = await models.imageClassifier();
    const results = await Promise.allSettled(Array.from({ length: 5 }, (_, i) => ic.embed([image(i)])));
    const rejected = results.filter((r) => r.status === 'rejected') as PromiseRejectedResult[];
    const ok = results.filter((r) => r.status === 'fulfilled');
    expect(ok.length).toBeGreaterThanOrEqual(2);
    expect(rejected.length).toBeGreaterThan(0);
    for (const r of rejected) {
      expect(r.reason).toMatchObject({ code: 'VLR_OVERLOADED', status: 429 });
      expect(r.reason.toJSON().error.type).toBe('es_rejected_execution_exception');
      expect(r.reason.message).toMatch(/overloaded/);
    }
  });
});
