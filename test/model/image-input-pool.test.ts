/**
 * The image models' inputs are written into reused buffers of shared memory (input-pool.ts) and
 * given back when their run has answered. That must change nothing but the allocations: features
 * of photos read in two rounds (the second on buffers the first gave back, while other photos'
 * tensors are being written) are byte-equal to those computed one photo at a time from fresh
 * tensors the caller keeps; and a run fed from shared memory answers exactly as one fed from
 * plain memory, in the inference worker and on the main thread. Real photos, real models.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { FeatureExtractor } from '../../src/features/extractor.js';
import { decodeImage, preprocessImage } from '../../src/features/media/image.js';
import { Models } from '../../src/models/index.js';
import { ModelSession, ort } from '../../src/models/session.js';
import { DATA, MODELS } from '../helpers/paths.js';
import { bytes, photoAlone, photoExtractor } from '../helpers/image-features.js';

const dir = join(DATA, 'coco-captions-mini/images/val2017');
const photos = readdirSync(dir).filter((f) => f.endsWith('.jpg')).sort().slice(20, 32).map((f) => join(dir, f));
let models: Models;
let fx: FeatureExtractor;

beforeAll(async () => {
  ({ models, fx } = await photoExtractor());
});
afterAll(async () => {
  await fx.close();
  await models.close();
});

describe('image model inputs in reused shared buffers', () => {
  it('give features byte-equal to fresh, kept tensors, photo by photo, when the buffers are reused', async () => {
    expect(fx.classifier.inputs).toBe(models.inputs); // one pool per Models, built with it: both image models write into it
    expect(fx.detector.inputs).toBe(models.inputs);
    const first = await fx.images(photos.slice(0, 6), { detect: true, ocr: false });
    const reused0 = models.inputs.stats().reused;
    const second = await fx.images(photos.slice(6), { detect: true, ocr: false });
    expect(models.inputs.stats().reused).toBeGreaterThan(reused0); // the second round ran on buffers the first gave back
    const together = [...first, ...second];
    for (const [i, p] of photos.entries()) {
      const { c, d, ...alone } = await photoAlone(fx, p);
      expect(c.data.buffer).toBeInstanceOf(ArrayBuffer); // fresh, not pooled
      const t = together[i]!.features;
      expect(bytes(t.embedding).equals(bytes(alone.embedding))).toBe(true);
      expect(bytes(t.logits).equals(bytes(alone.logits))).toBe(true);
      expect(t.detections).toEqual(alone.detections);
    }
    expect(new Set(together.map((r) => bytes(r.features.logits).toString('base64'))).size).toBe(photos.length);
  });

  it('a run fed from shared memory (one array, or a batch as its parts) answers as one fed from plain memory, in the worker and on the main thread', async () => {
    const file = `${MODELS}/efficientnet-lite2-imagenet/image.onnx`;
    const img = await decodeImage(readFileSync(photos[0]!));
    const plain = (await preprocessImage(img, fx.classifier.preprocess)).data;
    for (const thread of ['worker', 'main'] as const) {
      const s = new ModelSession(file, { name: `pool-${thread}`, modelId: 'efficientnet-lite2-imagenet', device: 'cpu', intraOpThreads: 2, thread });
      try {
        const shared = models.inputs.acquire(plain.length);
        shared.set(plain);
        const a = await s.run({ pixel_values: new ort.Tensor('float32', Float32Array.from(plain), [1, 3, 260, 260]) }, ['logits'], { handOver: true });
        const b = await s.run({ pixel_values: new ort.Tensor('float32', shared, [1, 3, 260, 260]) }, ['logits'], { handOver: true });
        expect(bytes(b.logits!.data as Float32Array).equals(bytes(a.logits!.data as Float32Array))).toBe(true);
        expect(bytes(shared).equals(bytes(plain))).toBe(true); // shared, not transferred: still here, untouched
        models.inputs.release(shared);
        // a batch given as its parts (each a view of shared memory) answers as the same batch stacked
        const two = (await preprocessImage(await decodeImage(readFileSync(photos[1]!)), fx.classifier.preprocess)).data;
        const parts = [plain, two].map((p) => {
          const a = models.inputs.acquire(p.length);
          a.set(p);
          return a;
        });
        const stacked = new Float32Array(2 * plain.length);
        stacked.set(plain);
        stacked.set(two, plain.length);
        const c = await s.run({ pixel_values: new ort.Tensor('float32', stacked, [2, 3, 260, 260]) }, ['logits'], { handOver: true });
        const d = await s.run({ pixel_values: { type: 'float32', dims: [2, 3, 260, 260], parts } }, ['logits'], { handOver: true });
        expect(bytes(d.logits!.data as Float32Array).equals(bytes(c.logits!.data as Float32Array))).toBe(true);
        expect(bytes(parts[1]!).equals(bytes(two))).toBe(true); // shared, untouched
        // parts that do not fill the dims are refused, not run on stale staging memory
        await expect(s.run({ pixel_values: { type: 'float32', dims: [2, 3, 260, 260], parts: [parts[0]!] } }, ['logits'])).rejects.toThrow(/need/);
        for (const p of parts) models.inputs.release(p);
      } finally {
        await s.unload();
      }
    }
  });
});
