/**
 * The feature layer hands each image's own preprocessed tensor to the model (`owned`: a batch of
 * one is transferred to the inference worker, not stacked into a copy). That must change nothing
 * but the copying: the features of photos read together (overlapped decodes, shared classifier
 * batches, one detector run per image, buffers handed over) are byte-equal to those computed one
 * photo at a time from tensors the caller keeps; a kept tensor is still usable after its run, an
 * owned one is not copied (its buffer crosses and is detached). Real photos, real models.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { FeatureExtractor } from '../../src/features/extractor.js';
import { decodeImage, preprocessImage } from '../../src/features/media/image.js';
import { Models } from '../../src/models/index.js';
import { stackImages } from '../../src/models/encoders/common.js';
import { InputPool } from '../../src/models/input-pool.js';
import { ort } from '../../src/models/session.js';
import { DATA } from '../helpers/paths.js';
import { bytes, photoAlone, photoExtractor } from '../helpers/image-features.js';

let models: Models;
let fx: FeatureExtractor;
const dir = join(DATA, 'coco-captions-mini/images/val2017');
// COCO photos and Grocery catalog photos
const grocery = join(DATA, 'grocery-store-products/iconic-images-and-descriptions/Packages');
const photos = [
  ...readdirSync(dir).filter((f) => f.endsWith('.jpg')).sort().slice(0, 8).map((f) => join(dir, f)),
  ...readdirSync(grocery, { recursive: true, withFileTypes: true }).filter((e) => e.isFile() && e.name.endsWith('.jpg')).map((e) => join(e.parentPath, e.name)).sort().slice(0, 3),
];

beforeAll(async () => {
  ({ models, fx } = await photoExtractor());
});
afterAll(async () => {
  await fx.close();
  await models.close();
});

describe('image features with tensors handed over', () => {
  it('equal, byte for byte, those computed one photo at a time from kept tensors', async () => {
    expect(photos.length).toBe(11);
    const together = await fx.images(photos, { detect: true, ocr: false });
    for (const [i, p] of photos.entries()) {
      const { c, d, ...alone } = await photoAlone(fx, p);
      // kept (not owned): still whole after their runs
      expect(c.data.length).toBe(3 * 260 * 260);
      expect(d.data.length).toBe(3 * 416 * 416);
      const t = together[i]!.features;
      expect(bytes(t.embedding).equals(bytes(alone.embedding))).toBe(true);
      expect(bytes(t.logits).equals(bytes(alone.logits))).toBe(true);
      expect(t.detections).toEqual(alone.detections);
    }
    // and each photo got its own features, not a neighbour's
    expect(new Set(together.map((r) => bytes(r.features.logits).toString('base64'))).size).toBe(photos.length);
  });

  it('a batch of one owned tensor is its own buffer, not a copy; anything else is stacked', async () => {
    const img = await decodeImage(readFileSync(photos[0]!));
    const pre = await preprocessImage(img, fx.detector.preprocess);
    const spec = fx.detector.preprocess;
    expect((stackImages([{ ...pre, owned: true }], spec, 'x', new InputPool()) as ort.Tensor).data).toBe(pre.data);
    expect((stackImages([pre], spec, 'x', new InputPool()) as ort.Tensor).data).not.toBe(pre.data);
    // several owned images over shared memory (the input pool's) go as their list, not a stacked copy
    const pool = new InputPool();
    const sharedOwned = [0, 1].map(() => ({ ...pre, data: pool.acquire(pre.data.length).fill(0.5), owned: true }));
    const made = pool.stats().made;
    const parts = stackImages(sharedOwned, spec, 'x', pool);
    expect('parts' in parts && parts.parts).toEqual(sharedOwned.map((im) => im.data));
    expect(parts.dims).toEqual([2, 3, 416, 416]);
    expect(pool.stats().made).toBe(made); // no batch buffer
    // owned but plain memory, or kept: stacked into a copy as before
    expect(stackImages([{ ...pre, data: Float32Array.from(pre.data), owned: true }, sharedOwned[0]!], spec, 'x', pool)).toBeInstanceOf(ort.Tensor);
    expect(stackImages([{ ...sharedOwned[0]!, owned: false }, sharedOwned[1]!], spec, 'x', pool)).toBeInstanceOf(ort.Tensor);
    const owned = { ...pre, data: Float32Array.from(pre.data), owned: true };
    const given = owned.data;
    expect(await fx.detector.detect(owned, owned.original, { scoreThreshold: 0.3 })).toEqual(await fx.detector.detect(pre, pre.original, { scoreThreshold: 0.3 }));
    expect(given.buffer.byteLength).toBe(0); // transferred to the inference worker
    expect(pre.data.length).toBe(3 * 416 * 416);
  });
});
