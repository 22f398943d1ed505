/**
 * The image pipeline hands classifier tensors to the model in small chunks while other images of
 * the request still decode (`pipelineChunk`), so decode and inference overlap. Overlapped or not,
 * every caller must get the features of its own image, in input order, equal to those of the
 * take-turns pipeline (chunk = the whole batch); and an image that cannot be decoded fails alone:
 * the others of its request still get their features. Real photos, real models.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { mediaSchema } from '../../src/config/schema.js';
import { FeatureExtractor } from '../../src/features/extractor.js';
import { Models } from '../../src/models/index.js';
import { createMetrics, type Metrics } from '../../src/observability/metrics.js';
import { isVlrerankError } from '../../src/errors.js';
import { DATA } from '../helpers/paths.js';
import { cosine, modelsConfig } from '../helpers/models.js';

let models: Models;
let metrics: Metrics;
let overlapped: FeatureExtractor;
let takeTurns: FeatureExtractor;
const media = mediaSchema.parse({ roots: [DATA] });
const dir = join(DATA, 'coco-captions-mini/images/val2017');
const photos = readdirSync(dir).filter((f) => f.endsWith('.jpg')).sort().slice(0, 12).map((f) => join(dir, f));
// a JPEG cut after its first kilobytes: its header parses, its pixels do not
const truncated = `data:image/jpeg;base64,${readFileSync(photos[0]!).subarray(0, 4000).toString('base64')}`;
const refs = [...photos.slice(0, 5), truncated, ...photos.slice(5)];

async function runs(): Promise<number> {
  const v = (await metrics.batchSize.get()).values.find((x) => x.metricName === 'vlrerank_batch_size_count' && x.labels.model === 'efficientnet-lite2-imagenet');
  return v?.value ?? 0;
}

beforeAll(async () => {
  metrics = createMetrics({ defaults: false });
  models = await Models.create(modelsConfig({ batch: { maxBatchSize: 16, maxWaitMs: 2, maxQueue: 1024 } }), { metrics });
  overlapped = await FeatureExtractor.create(models, { media, cacheMaxBytes: 64 << 20, ocrId: null, pipelineChunk: 2 });
  takeTurns = await FeatureExtractor.create(models, { media, cacheMaxBytes: 64 << 20, ocrId: null, pipelineChunk: 16 });
});
afterAll(async () => {
  await overlapped.close();
  await takeTurns.close();
  await models.close();
});

describe('overlapped image pipeline', () => {
  it('gives each image its own features, in input order, as the take-turns pipeline does; a broken image fails alone', async () => {
    const r0 = await runs();
    const a = await Promise.allSettled(refs.map((r) => overlapped.image(r, { detect: false })));
    const overlappedRuns = (await runs()) - r0;
    const b = await Promise.allSettled(refs.map((r) => takeTurns.image(r, { detect: false })));
    for (const res of [a, b]) {
      const bad = res[5]!;
      expect(bad.status).toBe('rejected');
      const e = (bad as PromiseRejectedResult).reason;
      expect(isVlrerankError(e) && e.code).toBe('VLR_MEDIA_UNSUPPORTED');
      expect(res.filter((x) => x.status === 'fulfilled')).toHaveLength(12);
    }
    // chunks of 2 reach the model while the rest decode: several runs for 12 photos
    expect(overlappedRuns).toBeGreaterThan(1);
    for (let i = 0; i < refs.length; i++) {
      if (i === 5) continue;
      const x = (a[i] as PromiseFulfilledResult<Awaited<ReturnType<FeatureExtractor['image']>>>).value.features;
      const y = (b[i] as PromiseFulfilledResult<Awaited<ReturnType<FeatureExtractor['image']>>>).value.features;
      expect(cosine(x.embedding, y.embedding)).toBeGreaterThan(0.99999);
      expect(x.topConcepts[0]!.label).toBe(y.topConcepts[0]!.label);
      // and not another photo's features: each photo differs from its neighbour in the list
      const next = (b[i === refs.length - 1 ? 0 : i === 4 ? 6 : i + 1] as PromiseFulfilledResult<Awaited<ReturnType<FeatureExtractor['image']>>>).value.features;
      expect(cosine(x.embedding, next.embedding)).toBeLessThan(0.99);
    }
  });
});
