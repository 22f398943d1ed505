/**
 * The rerank budget reaches the model queues (real models): when a request's signal aborts, its
 * items leave the batching queues at once and no further model run starts for it; an item another
 * request still waits for (text-vector dedupe, feature-cache single flight) is not cancelled.
 * Counts and queue states only; nothing here measures time.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mediaSchema } from '../../src/config/schema.js';
import { FeatureExtractor } from '../../src/features/extractor.js';
import { Models, type ImageClassifier, type ObjectDetector, type TextEmbedder } from '../../src/models/index.js';
import { createMetrics, type Metrics } from '../../src/observability/metrics.js';
import { localPorts, textPort } from '../../src/rerank/backends/local.js';
import { Reranker } from '../../src/rerank/reranker.js';
import { TextVectorCache } from '../../src/features/text-vectors.js';
import { DATA } from '../helpers/paths.js';
import { cosine, modelsConfig } from '../helpers/models.js';
import { jsonl } from '../helpers/reranker.js';
import { scifactDocs } from '../helpers/scifact-docs.js';

const BATCH = 8;
let metrics: Metrics;
let models: Models;
let fx: FeatureExtractor;
let reranker: Reranker;
let bge: TextEmbedder;
let cls: ImageClassifier;
let det: ObjectDetector;

/** Model runs so far, by model id (the batch-size histogram's count). */
async function runs(model: string): Promise<number> {
  const v = (await metrics.batchSize.get()).values.find((x) => x.metricName === 'vlrerank_batch_size_count' && x.labels.model === model);
  return v?.value ?? 0;
}
const tick = () => new Promise((r) => setImmediate(r));
async function until(cond: () => boolean | Promise<boolean>): Promise<void> {
  while (!(await cond())) await new Promise((r) => setTimeout(r, 5));
}
const idle = (q: { queue(): { pending: number; running: boolean } }) => q.queue().pending === 0 && !q.queue().running;

// disjoint slices of real data per test, so that no test finds another's work in a cache
const abstracts = scifactDocs(400).map((d) => `${d.title}\n${d.text}`);
const photos = jsonl<{ image: string }>('coco-captions-mini/captions.jsonl').map((c) => `coco-captions-mini/${c.image}`);

beforeAll(async () => {
  metrics = createMetrics({ defaults: false });
  models = await Models.create(modelsConfig({ batch: { maxBatchSize: BATCH, maxWaitMs: 2, maxQueue: 1024 } }), { metrics });
  fx = await FeatureExtractor.create(models, { media: mediaSchema.parse({ roots: [DATA] }), cacheMaxBytes: 64 * 1024 * 1024 });
  reranker = new Reranker({ ports: async () => localPorts({ models, features: fx }) });
  await reranker.warmup(); // sessions loaded: what follows is about the queues, not loading
  [bge, cls, det] = await Promise.all([models.textEmbedder(), models.imageClassifier(), models.objectDetector()]);
});
afterAll(async () => {
  await fx?.close();
  await models?.close();
});

describe('a rerank whose budget runs out', () => {
  it('stops the text model: the queue empties at the abort and at most the running batch finishes', async () => {
    const docs = abstracts.slice(0, 100).map((text) => ({ text }));
    const needed = Math.ceil((docs.length + 1) / BATCH); // what the whole request would cost
    const r0 = await runs('bge-small-en-v1.5');
    const d0 = bge.queue().dropped;
    const ac = new AbortController();
    const p = reranker.process({ query: 'vitamin D and bone fractures', documents: docs }, { signal: ac.signal });
    p.catch(() => undefined);
    // the first batch has run and the documents' texts wait in the queue: the query's own run can
    // come before the documents are queued, and an abort then finds nothing to drop (a loaded CI
    // machine did: dropped 0)
    await until(async () => (await runs('bge-small-en-v1.5')) > r0 && bge.queue().pending > 0);
    const reason = new Error('the rerank stage exceeded its budget');
    ac.abort(reason);
    const atAbort = await runs('bge-small-en-v1.5');
    expect(bge.queue().pending).toBe(0); // left the queue on the abort itself
    await expect(p).rejects.toBe(reason);
    await until(() => idle(bge));
    const after = await runs('bge-small-en-v1.5');
    expect(after - atAbort).toBeLessThanOrEqual(1); // only a batch already running at the abort
    expect(after - r0).toBeLessThan(needed);
    expect(bge.queue().dropped - d0).toBeGreaterThan(0);
    await tick();
    expect(await runs('bge-small-en-v1.5')).toBe(after); // the counter stopped growing
  });

  it('stops the image models too: nothing of the request stays queued, no new batch starts', async () => {
    const docs = photos.slice(0, 40).map((image) => ({ image }));
    const c0 = await runs('efficientnet-lite2-imagenet');
    const ac = new AbortController();
    const p = reranker.process({ query: 'a dog on a couch', documents: docs }, { signal: ac.signal });
    p.catch(() => undefined);
    await until(async () => (await runs('efficientnet-lite2-imagenet')) > c0);
    ac.abort(new Error('budget'));
    const atAbort = { cls: await runs('efficientnet-lite2-imagenet'), det: await runs('nanodet-g-coco') };
    expect(cls.queue().pending).toBe(0);
    expect(det.queue().pending).toBe(0);
    await expect(p).rejects.toThrow('budget');
    await until(() => idle(cls) && idle(det) && fx.cache.stats().inflight === 0);
    expect((await runs('efficientnet-lite2-imagenet')) - atAbort.cls).toBeLessThanOrEqual(1);
    expect((await runs('nanodet-g-coco')) - atAbort.det).toBeLessThanOrEqual(1);
    expect((await runs('efficientnet-lite2-imagenet')) - c0).toBeLessThan(Math.ceil(docs.length / BATCH));
  });
});

describe('work shared by two requests', () => {
  it('a text vector another request waits for survives the first request’s abort; texts only it wanted are dropped', async () => {
    const cache = new TextVectorCache(await textPort(models));
    const shared = abstracts.slice(200, 224);
    const onlyA = abstracts.slice(224, 240);
    const d0 = bge.queue().dropped;
    const a = new AbortController();
    const pa = cache.vectors([...shared, ...onlyA], 'passage', a.signal);
    const pb = cache.vectors(shared, 'passage', new AbortController().signal); // joins A's in-flight texts
    a.abort(new Error('A ran out of budget'));
    await expect(pa).rejects.toThrow('A ran out of budget');
    const b = await pb;
    expect(b.hits).toBe(shared.length); // every one of B's texts was A's computation
    expect(bge.queue().dropped - d0).toBe(onlyA.length);
    const alone = await bge.embed(shared, { kind: 'passage' });
    // int8 vectors shift slightly with batch composition (PITFALLS.md): same vector within 0.01
    b.vectors.forEach((v, i) => expect(cosine(v, alone[i]!)).toBeGreaterThan(0.99));
    // the dropped texts were not cached: asking again computes them
    expect((await cache.vectors(onlyA, 'passage')).misses).toBe(onlyA.length);
  });

  it('image features another request waits for survive the first request’s abort', async () => {
    const bytes = readFileSync(join(DATA, photos[100]!));
    const shared0 = fx.cache.stats().shared;
    const a = new AbortController();
    // both calls reach the cache synchronously: A starts both parts (classify, detect), B joins them
    const pa = fx.imageBytes(bytes, { detect: true, signal: a.signal });
    const pb = fx.imageBytes(bytes, { detect: true, signal: new AbortController().signal });
    expect(fx.cache.stats().shared - shared0).toBe(2);
    a.abort(new Error('A gone'));
    await expect(pa).rejects.toThrow('A gone');
    const b = await pb;
    expect(b.cacheHit).toBe(true); // served by A's computation, which went on for B
    expect(b.features.embedding).toHaveLength(1280);
    const again = await fx.imageBytes(bytes, { detect: true });
    expect(again.cacheHit).toBe(true);
    expect(cosine(again.features.embedding, b.features.embedding)).toBeCloseTo(1, 6);
  });
});
