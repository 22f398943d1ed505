/**
 * A document's media failing for a reason vlrerank did not foresee (not a VlrerankError) is answered
 * as `VLR_INTERNAL: internal error` — and its cause goes to the operator through the reranker's
 * `observe.internalError` hook (the server logs it at error level: rerank/service.ts). Before
 * (held-out probe round 14b: a read-only temporary folder), such a failure was logged nowhere.
 * Real models; the fault — a media port throwing an unforeseen TypeError — is one no real part
 * produces on demand, so the port is wrapped for the one path named after it.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mediaSchema } from '../../src/config/schema.js';
import { FeatureExtractor } from '../../src/features/extractor.js';
import { Models } from '../../src/models/index.js';
import { createMetrics } from '../../src/observability/metrics.js';
import { localPorts } from '../../src/rerank/backends/local.js';
import { Reranker } from '../../src/rerank/reranker.js';
import { DATA } from '../helpers/paths.js';
import { modelsConfig } from '../helpers/models.js';

const UNFORESEEN = 'coco-captions-mini/an-unforeseen-media-failure.jpg';
let models: Models;
let fx: FeatureExtractor;

beforeAll(async () => {
  const metrics = createMetrics({ defaults: false });
  models = await Models.create(modelsConfig(), { metrics });
  fx = await FeatureExtractor.create(models, { media: mediaSchema.parse({ roots: [DATA] }), cacheMaxBytes: 16 * 1024 * 1024 });
});
afterAll(async () => {
  await fx?.close();
  await models?.close();
});

describe('an unforeseen media failure', () => {
  it('is answered VLR_INTERNAL and its cause reaches observe.internalError, naming the document', async () => {
    const seen: Array<{ err: unknown; where: string }> = [];
    const reranker = new Reranker({
      ports: async () => {
        const real = await localPorts({ models, features: fx });
        const image = real.media.image.bind(real.media);
        const media = Object.assign(Object.create(real.media) as typeof real.media, {
          image: (ref: string, o: Parameters<typeof image>[1]) => (ref.endsWith('an-unforeseen-media-failure.jpg') ? Promise.reject(new TypeError('a media port failing in an unforeseen way')) : image(ref, o)),
          seenImage: undefined,
        });
        return { ...real, media };
      },
      observe: { internalError: (err, where) => seen.push({ err, where }) },
    });
    const out = await reranker.process({ query: 'a dog on a couch', documents: [{ text: 'a dog sleeping on a sofa' }, { image: UNFORESEEN }], explain: true });
    expect(out).toHaveLength(2);
    expect(JSON.stringify(out)).toContain('VLR_INTERNAL');
    expect(seen).toHaveLength(1);
    expect(seen[0]!.where).toBe('documents[1]');
    expect((seen[0]!.err as Error).message).toBe('a media port failing in an unforeseen way');
  });
});
