/**
 * An image only the classifier reads (no detections, no OCR) is decoded and resized in one sharp
 * call in the image worker where that gives the same bytes (image.ts `oneCallResize`: an upright
 * 8-bit sRGB JPEG reduced by less than 2), instead of a decode to full size and a resize of those
 * pixels (issue 12, `bench:features`: one sharp call and the 0.9 MB of full-size pixels a COCO photo
 * less). The model's input must not change: `preprocessBytes` equals `preprocessImage(decodeImage())`
 * byte for byte for both image models, on photos that take the one call and on those that do not
 * (greyscale, PNG, EXIF-rotated, reduced by 2 or more), and a classification alone through the
 * feature layer equals the one computed beside detections from the held decode. Real photos, real models.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';
import { FeatureExtractor } from '../../src/features/extractor.js';
import { decodeImage, dropDecoded, oneCallResize, preprocessBytes, preprocessImage, probeImage } from '../../src/features/media/image.js';
import { heldCount } from '../../src/features/media/prep-worker.js';
import { Models } from '../../src/models/index.js';
import { DATA } from '../helpers/paths.js';
import { bytes, photoExtractor } from '../helpers/image-features.js';

let models: Models;
let fx: FeatureExtractor;
const coco = join(DATA, 'coco-captions-mini/images/val2017');
const cocoPhotos = readdirSync(coco).filter((f) => f.endsWith('.jpg')).sort().slice(0, 12).map((f) => readFileSync(join(coco, f)));
const grey = readFileSync(join(DATA, 'caltech101-mini/images/cup/image_0007.jpg'));
/** Photos made from a COCO one: just under 2× EfficientNet's 297 (one call), 2× and more (two), EXIF-rotated (two), a PNG (two). */
let made: Record<'under2x' | 'over2x' | 'rotated' | 'png', Buffer>;

beforeAll(async () => {
  ({ models, fx } = await photoExtractor());
  const src = cocoPhotos[0]!;
  made = {
    under2x: await sharp(src).resize(590, 590, { fit: 'fill' }).jpeg({ quality: 90 }).toBuffer(),
    over2x: await sharp(src).resize(1300, 975, { fit: 'fill' }).jpeg({ quality: 90 }).toBuffer(),
    rotated: await sharp(src).jpeg({ quality: 90 }).withMetadata({ orientation: 6 }).toBuffer(),
    png: await sharp(src).png().toBuffer(),
  };
});
afterAll(async () => {
  await fx.close();
  await models.close();
});

describe('a classification alone: decode and resize in one sharp call', () => {
  it('is taken for COCO photos and a JPEG reduced by less than 2, and not for greyscale, PNG, rotated or larger ones', async () => {
    const spec = fx.classifier.preprocess;
    for (const b of [...cocoPhotos, made.under2x]) expect(oneCallResize(await probeImage(b), spec)).toBeDefined();
    for (const b of [grey, made.over2x, made.rotated, made.png]) expect(oneCallResize(await probeImage(b), spec)).toBeUndefined();
  });

  it('gives the model input of decode-then-resize, byte for byte, for both image models', async () => {
    const all = [...cocoPhotos, grey, made.under2x, made.over2x, made.rotated, made.png];
    for (const spec of [fx.classifier.preprocess, fx.detector.preprocess]) {
      for (const b of all) {
        const img = await decodeImage(b, undefined, { held: true });
        const two = await preprocessImage(img, spec);
        dropDecoded(img);
        const one = await preprocessBytes(b, spec);
        expect(one.dims).toEqual(two.dims);
        expect(one.original).toEqual(two.original);
        expect(bytes(one.data).equals(bytes(two.data))).toBe(true);
      }
    }
    expect(await heldCount()).toBe(0);
  });

  it('through the feature layer: a classification alone equals the one computed beside detections, and holds no pixels', async () => {
    const photos = [...cocoPhotos.slice(0, 6), grey, made.under2x, made.rotated];
    // each set computed in its own extractor's cache: the second asks detections too, so its
    // classification comes from the held decode (two calls)
    const alone = await Promise.all(photos.map((b) => fx.imageBytes(b, { detect: false, ocr: false })));
    expect(await heldCount()).toBe(0);
    const { models: m2, fx: fx2 } = await photoExtractor();
    try {
      const beside = await Promise.all(photos.map((b) => fx2.imageBytes(b, { detect: true, ocr: false })));
      photos.forEach((_, i) => {
        expect(alone[i]!.cacheHit).toBe(false);
        expect(bytes(alone[i]!.features.embedding).equals(bytes(beside[i]!.features.embedding))).toBe(true);
        expect(bytes(alone[i]!.features.logits).equals(bytes(beside[i]!.features.logits))).toBe(true);
      });
    } finally {
      await fx2.close();
      await m2.close();
    }
    expect(await heldCount()).toBe(0);
  });
});
