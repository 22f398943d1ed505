/**
 * A cold photo's pixels are decoded and kept in the image worker (prep-worker.ts, perf21), off the
 * main isolate's heap, where ≈ 80 MB of decoded and resized pixels a cold 50-photo request started
 * 6–8 mark-compacts of the whole main heap. That must change nothing but where the pixels live: the
 * tensors are byte-equal to this thread's decode and preprocessing (JPEG, PNG, greyscale with alpha
 * flattened), a photo that does not decode fails with the same error, and every request lets go of
 * the pixels it held. Real photos, real models' preprocessing.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';
import { FeatureExtractor } from '../../src/features/extractor.js';
import { decodeImage, dropDecoded, preprocessImage } from '../../src/features/media/image.js';
import { heldCount } from '../../src/features/media/prep-worker.js';
import { Models } from '../../src/models/index.js';
import { DATA } from '../helpers/paths.js';
import { bytes, photoExtractor } from '../helpers/image-features.js';

const coco = join(DATA, 'coco-captions-mini/images/val2017');
const photos = readdirSync(coco).filter((f) => f.endsWith('.jpg')).sort().slice(40, 46).map((f) => join(coco, f));
const skimage = join(DATA, 'skimage-clip-smoke/images');
let models: Models;
let fx: FeatureExtractor;
beforeAll(async () => void ({ models, fx } = await photoExtractor()));
afterAll(() => Promise.all([fx.close(), models.close()]));

describe('pixels held by the image worker', () => {
  it('give tensors byte-equal to this thread’s decode, for both image models', async () => {
    const greyAlpha = await sharp(readFileSync(join(skimage, 'camera.png'))).ensureAlpha(0.5).png().toBuffer();
    const inputs = [...photos.map((p) => readFileSync(p)), readFileSync(join(skimage, 'coffee.png')), greyAlpha];
    for (const buf of inputs) {
      const here = await decodeImage(buf);
      const held = await decodeImage(buf, undefined, { held: true });
      expect(held.held).toBeDefined();
      expect(held.data.length).toBe(0); // no pixels on this thread
      expect([held.width, held.height, held.format]).toEqual([here.width, here.height, here.format]);
      for (const spec of [fx.classifier.preprocess, fx.detector.preprocess]) {
        const a = await preprocessImage(here, spec);
        const b = await preprocessImage(held, spec, undefined, (n) => models.inputs.acquire(n));
        expect(b.dims).toEqual(a.dims);
        expect(b.original).toEqual(a.original);
        expect(bytes(b.data).equals(bytes(a.data))).toBe(true);
        models.inputs.release(b.data);
      }
      dropDecoded(held);
    }
    expect(await heldCount()).toBe(0);
  });

  it('fail as this thread’s decode fails', async () => {
    const whole = readFileSync(photos[0]!);
    const cut = Buffer.from(whole.subarray(0, Math.floor(whole.length / 2)));
    const failure = (p: Promise<unknown>) =>
      p.then(
        () => ({ code: 'decoded', message: '' }),
        (e: unknown) => e as { code: string; message: string },
      );
    const here = await failure(decodeImage(cut));
    const held = await failure(decodeImage(cut, undefined, { held: true }));
    expect(here.code).toBe('VLR_MEDIA_UNSUPPORTED');
    expect([held.code, held.message]).toEqual([here.code, here.message]);
  });

  it('are let go once every part of the request has answered', async () => {
    const res = await fx.images(photos, { detect: true, ocr: false });
    expect(res.every((r) => !r.cacheHit)).toBe(true);
    expect(await heldCount()).toBe(0);
  });
});
