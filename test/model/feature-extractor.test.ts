// FeatureExtractor over the real models and data: image features (embedding, concepts,
// detections, OCR), cached per part; videos per frame with a mean embedding; many images share
// model batches; concurrent identical requests compute once; bad media gives its clear error.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';
import { mediaSchema, type Config } from '../../src/config/schema.js';
import { Models } from '../../src/models/index.js';
import { createMetrics, type Metrics } from '../../src/observability/metrics.js';
import { FeatureExtractor } from '../../src/features/extractor.js';
import type { MediaPort } from '../../src/rerank/ports.js';

// Compile-time check (tsc): the extractor is a drop-in for the reranker's media port.
export const asMediaPort = (x: FeatureExtractor): MediaPort => x;
import { VlrerankError } from '../../src/errors.js';
import { DATA } from '../helpers/paths.js';
import { modelsConfig, cosine } from '../helpers/models.js';

let models: Models;
let metrics: Metrics;
let fx: FeatureExtractor;
const media: Config['media'] = mediaSchema.parse({ roots: [DATA] });

async function batchRuns(model: string): Promise<number> {
  const v = (await metrics.batchSize.get()).values.find((x) => x.metricName === 'vlrerank_batch_size_count' && x.labels.model === model);
  return v?.value ?? 0;
}

beforeAll(async () => {
  metrics = createMetrics({ defaults: false });
  models = await Models.create(modelsConfig({ batch: { maxBatchSize: 16, maxWaitMs: 2, maxQueue: 1024 } }), { metrics });
  fx = await FeatureExtractor.create(models, { media, cacheMaxBytes: 64 * 1024 * 1024, onCacheEvent: (e) => metrics.cacheEvents.inc({ event: e }), registry: metrics.registry });
});
afterAll(async () => {
  await fx.close();
  await models.close();
});

const COFFEE = 'skimage-clip-smoke/images/coffee.png';
const FRIDGE = 'coco-captions-mini/images/val2017/000000000802.jpg';

describe('FeatureExtractor.image', () => {
  it('gives a unit embedding, softmax probabilities and sensible concepts (the coffee cup is espresso)', async () => {
    const r = await fx.image(COFFEE, { detect: false });
    expect(r.features.embedding).toHaveLength(1280);
    const norm = Math.sqrt(r.features.embedding.reduce((a, v) => a + v * v, 0));
    expect(norm).toBeCloseTo(1, 4);
    expect(r.features.probs.reduce((a, v) => a + v, 0)).toBeCloseTo(1, 4);
    expect(r.features.topConcepts[0]!.label).toMatch(/espresso/);
    expect(r.features.topConcepts[0]!.prob).toBeGreaterThan(0.5);
    expect(r.features.detections).toEqual([]);
    expect(r.cacheHit).toBe(false);
  });

  it('detects the refrigerator in COCO 802 and reuses the cached embedding when detections are added later', async () => {
    const first = await fx.image(FRIDGE, { detect: false });
    const before = await batchRuns('efficientnet-lite2-imagenet');
    const r = await fx.image(FRIDGE, { detect: true });
    expect(await batchRuns('efficientnet-lite2-imagenet')).toBe(before); // embedding from the cache
    expect(r.features.embedding).toBe(first.features.embedding);
    expect(r.features.detections.map((d) => d.label)).toContain('refrigerator');
    const again = await fx.image(FRIDGE);
    expect(again.cacheHit).toBe(true);
    expect(again.features.detections).toBe(r.features.detections);
  });

  it('accepts data: URIs and base64 and keys by content: the same bytes hit the cache whatever the reference', async () => {
    const bytes = readFileSync(join(DATA, COFFEE));
    const r1 = await fx.image(`data:image/png;base64,${bytes.toString('base64')}`, { detect: false });
    const r2 = await fx.image(bytes.toString('base64'), { detect: false });
    expect(r1.cacheHit).toBe(true); // same content as the path used above
    expect(r2.features.embedding).toBe(r1.features.embedding);
  });

  it('reads text with OCR when asked', async () => {
    const png = await sharp(Buffer.from('<svg xmlns="http://www.w3.org/2000/svg" width="640" height="160"><rect width="100%" height="100%" fill="white"/><text x="40" y="100" font-family="DejaVu Sans, Liberation Sans, sans-serif" font-size="56">Hello World 2024</text></svg>')).png().toBuffer();
    const r = await fx.image(`data:image/png;base64,${png.toString('base64')}`, { detect: false, ocr: true });
    expect(r.features.ocr).toEqual(['Hello World 2024']);
    expect(r.features.ocrLines![0]!.confidence).toBeGreaterThan(0.9);
  });

  it('batches a request of many images into far fewer model runs, each caller getting its own features', async () => {
    const dir = join(DATA, 'caltech101-mini/images');
    const refs = readdirSync(dir).slice(0, 16).map((c) => `caltech101-mini/images/${c}/${readdirSync(join(dir, c))[0]}`);
    refs.push(COFFEE);
    const before = await batchRuns('efficientnet-lite2-imagenet');
    const results = await fx.images(refs.map((r) => join(DATA, r)), { detect: false });
    const runs = (await batchRuns('efficientnet-lite2-imagenet')) - before;
    expect(runs).toBeLessThanOrEqual(3); // 16 new images (coffee is cached), batches of up to 16: measured 1
    expect(runs).toBeGreaterThan(0);
    const alone = await fx.imageBytes(readFileSync(join(DATA, refs[3]!)), { detect: false });
    expect(cosine(results[3]!.features.embedding, alone.features.embedding)).toBeGreaterThan(0.9999);
    expect(results[16]!.features.topConcepts[0]!.label).toMatch(/espresso/);
  });

  it('computes once for concurrent requests of the same image', async () => {
    const ref = 'skimage-clip-smoke/images/rocket.jpg';
    const s0 = fx.stats();
    const rs = await Promise.all(Array.from({ length: 10 }, () => fx.image(ref, { detect: false })));
    const s1 = fx.stats();
    expect(new Set(rs.map((r) => r.features.embedding)).size).toBe(1);
    expect(s1.misses - s0.misses).toBe(1);
    // the other nine joined the computation or, arriving after it, found its result
    expect(s1.shared - s0.shared + (s1.hits - s0.hits)).toBe(9);
  });

  it('reports its size and events to Prometheus', async () => {
    const text = await metrics.registry.metrics();
    const bytes = Number(/^vlrerank_feature_cache_bytes (\d+)/m.exec(text)?.[1]);
    expect(bytes).toBe(fx.stats().bytes);
    expect(bytes).toBeGreaterThan(0);
    expect(text).toMatch(new RegExp(`^vlrerank_feature_cache_entries ${fx.stats().entries}$`, 'm'));
    expect(text).toMatch(/^vlrerank_feature_cache_events_total\{event="hit"\} [1-9]/m);
  });

  it('answers bad media with its clear error', async () => {
    const fail = async (p: Promise<unknown>) => p.then(() => { throw new Error('expected a rejection'); }, (e: unknown) => e as VlrerankError);
    expect((await fail(fx.image('data:image/jpeg;base64,/9j/4AAQSkZJRgABAQAAAQABAAD/2wBDAAgGBgcGBQgHBwcJCQgKDBQNDAsLDBkSEw8UHRofHh0aHBwgJC4nICIsIxwcKDcpLDAxNDQ0Hyc5PTgyPC4zNDL/'))).code).toBe('VLR_MEDIA_UNSUPPORTED');
    expect((await fail(fx.image('/etc/hostname'))).code).toBe('VLR_MEDIA_FORBIDDEN');
    expect(await fail(fx.image('http://169.254.169.254/latest/meta-data/'))).toMatchObject({ code: 'VLR_MEDIA_FORBIDDEN' });
  });
});

describe('FeatureExtractor.video', () => {
  it('gives per-frame features at fps and a unit mean embedding, cached; a request without detections is served by the entry with them', async () => {
    const ref = 'intel-sample-videos/asl_gestures/thanks.mkv';
    const r = await fx.video(ref, { fps: 2, maxFrames: 8, detect: true });
    expect(r.frames).toHaveLength(Math.floor(r.duration! * 2));
    expect(r.times).toHaveLength(r.frames.length);
    expect(r.frames.some((f) => f.detections.some((d) => d.label === 'person'))).toBe(true);
    const norm = Math.sqrt(r.embedding.reduce((a, v) => a + v * v, 0));
    expect(norm).toBeCloseTo(1, 4);
    for (const f of r.frames) expect(cosine(f.embedding, r.embedding)).toBeGreaterThan(0.5);
    const again = await fx.video(ref, { fps: 2, maxFrames: 8, detect: false });
    expect(again.cacheHit).toBe(true);
    expect(again.embedding).toBe(r.embedding);
    expect(again.frames[0]!.detections).toEqual([]);
    const other = await fx.video(ref, { fps: 1, maxFrames: 8, detect: false });
    expect(other.cacheHit).toBe(false); // fps is part of the key
  });

  it('caps frames at max_frames over a long video', async () => {
    const r = await fx.video('intel-sample-videos/full/car-detection.mp4', { fps: 1, maxFrames: 4, detect: false });
    expect(r.frames).toHaveLength(4);
    expect(r.times[3]!).toBeGreaterThan(20);
  });
});

describe('FeatureExtractor cache bound', () => {
  it('stays under its byte bound under a flood of distinct images', async () => {
    const small = await FeatureExtractor.create(models, { media, cacheMaxBytes: 60_000, ocrId: null });
    const dir = join(DATA, 'caltech101-mini/images');
    const refs = readdirSync(dir).slice(20, 44).map((c) => join(dir, c, readdirSync(join(dir, c))[1]!));
    for (let i = 0; i < refs.length; i += 8) {
      await small.images(refs.slice(i, i + 8), { detect: false });
      expect(small.stats().bytes).toBeLessThanOrEqual(60_000);
    }
    const s = small.stats();
    expect(s.entries).toBeGreaterThan(0);
    expect(s.entries).toBeLessThan(refs.length);
    expect(s.evictions).toBe(refs.length - s.entries);
    await small.close();
  });
});
