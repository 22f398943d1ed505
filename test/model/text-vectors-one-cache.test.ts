// One text-vector cache: a reranker on the local backend keeps its text vectors in the feature
// extractor's cache (the L1 tier a feature store slots under), so a text it embedded is a hit for
// every other user of that extractor with the same model, and costs no further model run.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mediaSchema } from '../../src/config/schema.js';
import { FeatureExtractor } from '../../src/features/extractor.js';
import { Models } from '../../src/models/index.js';
import { createMetrics, type Metrics } from '../../src/observability/metrics.js';
import { localPorts, textPort } from '../../src/rerank/backends/local.js';
import { Reranker } from '../../src/rerank/reranker.js';
import { DATA } from '../helpers/paths.js';
import { modelsConfig } from '../helpers/models.js';

let metrics: Metrics;
let models: Models;
let fx: FeatureExtractor;
let reranker: Reranker;

async function textRuns(): Promise<number> {
  const v = (await metrics.batchSize.get()).values.find((x) => x.metricName === 'vlrerank_batch_size_count' && x.labels.model === 'bge-small-en-v1.5');
  return v?.value ?? 0;
}

beforeAll(async () => {
  metrics = createMetrics({ defaults: false });
  models = await Models.create(modelsConfig(), { metrics });
  fx = await FeatureExtractor.create(models, { media: mediaSchema.parse({ roots: [DATA] }), cacheMaxBytes: 16 << 20, ocrId: null });
  reranker = new Reranker({ ports: () => localPorts({ models, features: fx }) });
});
afterAll(async () => {
  await fx.close();
  await models.close();
});

describe('the text vectors of a reranker on the local backend', () => {
  it('live in the feature cache and are hits for the extractor’s other users', async () => {
    const docs = ['oat milk in a carton, one litre', 'a loaf of sourdough bread'];
    const e0 = fx.stats().entries;
    const first = await reranker.process({ query: 'dairy-free milk', documents: docs });
    expect(first.usage.cache_misses).toBe(2); // usage counts the documents' texts
    expect(fx.stats().entries - e0).toBe(3); // the query's vector is kept too

    const runs = await textRuns();
    const s0 = fx.stats();
    const again = await fx.textVectors(await textPort(models)).vectors(docs, 'passage');
    expect(again.hit).toEqual([true, true]);
    expect(fx.stats().hits - s0.hits).toBe(2);
    expect(await textRuns()).toBe(runs); // no model run

    const second = await reranker.process({ query: 'dairy-free milk', documents: docs });
    expect(second.usage).toMatchObject({ cache_hits: 2, cache_misses: 0 });
    expect(second.scores).toEqual(first.scores);
  });
});
