// Local files already seen cost a stat() while unchanged (no read, no sha256) and are read again
// when they change; text embeddings pass through with their own cache.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtemp, rm, writeFile, copyFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { mediaSchema } from '../../src/config/schema.js';
import { Models } from '../../src/models/index.js';
import { FeatureExtractor } from '../../src/features/extractor.js';
import { DATA } from '../helpers/paths.js';
import { modelsConfig, cosine } from '../helpers/models.js';

let dir: string;
let models: Models;
let fx: FeatureExtractor;
let reads = 0;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'vlr-fx-'));
  await copyFile(join(DATA, 'skimage-clip-smoke/images/coffee.png'), join(dir, 'item.png'));
  await copyFile(join(DATA, 'intel-sample-videos/asl_gestures/thanks.mkv'), join(dir, 'clip.mkv'));
  models = await Models.create(modelsConfig());
  fx = await FeatureExtractor.create(models, { media: mediaSchema.parse({ roots: [dir] }), cacheMaxBytes: 16 << 20, ocrId: null });
  const resolve = fx.source.resolve.bind(fx.source);
  fx.source.resolve = (ref, o) => (reads++, resolve(ref, o)); // counts media reads
  const openLocal = fx.source.openLocal.bind(fx.source);
  fx.source.openLocal = (ref, max) => (reads++, openLocal(ref, max)); // a local video is opened for ffmpeg, not read (fix23v)
});
afterAll(async () => {
  await fx.close();
  await models.close();
  await rm(dir, { recursive: true, force: true });
});

describe('local files', () => {
  it('serves an unchanged file from the cache without reading it, and re-reads it after a change', async () => {
    const a = await fx.image('item.png', { detect: false });
    expect(reads).toBe(1);
    const b = await fx.image('item.png', { detect: false });
    expect(reads).toBe(1);
    expect(b.cacheHit).toBe(true);
    expect(b.features.embedding).toBe(a.features.embedding);
    await copyFile(join(DATA, 'skimage-clip-smoke/images/rocket.jpg'), join(dir, 'item.png'));
    const c = await fx.image('item.png', { detect: false });
    expect(reads).toBe(2);
    expect(c.cacheHit).toBe(false);
    expect(c.features.topConcepts[0]!.label).not.toBe(a.features.topConcepts[0]!.label);
  });

  it('answers a seen, unchanged, cached file at once (seenImage), and leaves anything else to image()', async () => {
    await copyFile(join(DATA, 'skimage-clip-smoke/images/coffee.png'), join(dir, 'seen.png'));
    expect(fx.seenImage('seen.png', { detect: false })).toBeUndefined(); // never seen by this process
    const a = await fx.image('seen.png', { detect: false });
    reads = 0;
    const b = fx.seenImage('seen.png', { detect: false });
    expect(b?.cacheHit).toBe(true);
    expect(b?.source).toBe('l1');
    expect(b?.features.embedding).toBe(a.features.embedding);
    expect(fx.seenImage('seen.png', { detect: true })).toBeUndefined(); // its detections are not cached yet
    // changed on disk (size and mtime): not answered from the cache; image() reads it again (the rocket's features)
    await copyFile(join(DATA, 'skimage-clip-smoke/images/rocket.jpg'), join(dir, 'seen.png'));
    expect(fx.seenImage('seen.png', { detect: false })).toBeUndefined();
    const c = await fx.image('seen.png', { detect: false });
    expect(reads).toBe(1);
    expect(c.features.topConcepts[0]!.label).not.toBe(a.features.topConcepts[0]!.label);
    expect(fx.seenImage('seen.png', { detect: false })?.features.embedding).toBe(c.features.embedding);
  });

  it('does the same for videos', async () => {
    reads = 0;
    await fx.video('clip.mkv', { fps: 1, maxFrames: 2, detect: false });
    const again = await fx.video('clip.mkv', { fps: 1, maxFrames: 2, detect: false });
    expect(reads).toBe(1);
    expect(again.cacheHit).toBe(true);
    await writeFile(join(dir, 'clip.mkv'), Buffer.from('no longer a video'));
    await expect(fx.video('clip.mkv', { fps: 1, maxFrames: 2, detect: false })).rejects.toMatchObject({ code: 'VLR_MEDIA_UNSUPPORTED' });
  });
});

describe('text passthrough', () => {
  it('embeds with the text model, caches by text + kind, and batches the misses', async () => {
    const emb = await models.textEmbedder();
    const [direct] = await emb.embed(['a red apple'], { kind: 'query' });
    const s0 = fx.stats();
    const v = await fx.text(['a red apple', 'a carton of oat milk'], 'query');
    expect(cosine(v[0]!, direct!)).toBeGreaterThan(0.99); // int8 bge shifts with batch padding (PITFALLS.md)
    const again = await fx.text(['a carton of oat milk', 'a red apple'], 'query');
    expect(again[1]).toBe(v[0]);
    expect(again[0]).toBe(v[1]);
    const passage = await fx.text(['a red apple'], 'passage');
    expect(passage[0]).not.toBe(v[0]); // query and passage differ (bge query prefix)
    const s1 = fx.stats();
    expect(s1.hits - s0.hits).toBe(2);
    expect(s1.misses - s0.misses).toBe(3);
  });
});
