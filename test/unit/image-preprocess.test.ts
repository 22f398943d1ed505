// Model preprocessing from one decoded image: shapes, value ranges, channel order, crop geometry,
// and EfficientNet pixels equal to the PIL reference stored with the model.
import { describe, expect, it } from 'vitest';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';
import { decodeImage, preprocessForModels, preprocessImage, resizeGeometry, toChwFloat } from '../../src/features/media/image.js';
import type { ImagePreprocess } from '../../src/models/preprocess.js';
import { DATA, MODELS } from '../helpers/paths.js';

const EFFICIENTNET: ImagePreprocess = { width: 260, height: 260, resize: 'shortest-crop', resizeShortest: 297, interpolation: 'bicubic', channelOrder: 'rgb', rescale: 1, mean: [127, 127, 127], std: [128, 128, 128] };
const NANODET: ImagePreprocess = { width: 416, height: 416, resize: 'stretch', interpolation: 'bilinear', channelOrder: 'bgr', rescale: 1, mean: [103.53, 116.28, 123.675], std: [57.375, 57.12, 58.395] };
const CLIP: ImagePreprocess = { width: 224, height: 224, resize: 'shortest-crop', interpolation: 'bicubic', channelOrder: 'rgb', rescale: 1 / 255, mean: [0.48145466, 0.4578275, 0.40821073], std: [0.26862954, 0.26130258, 0.27577711] };

function range(a: Float32Array): [number, number] {
  let lo = Infinity, hi = -Infinity;
  for (const v of a) { if (v < lo) lo = v; if (v > hi) hi = v; }
  return [lo, hi];
}

describe('preprocessImage', () => {
  it('matches the EfficientNet reference pixels (PIL bicubic) on the skimage images to within 2/128', async () => {
    const ref = JSON.parse(readFileSync(join(MODELS, 'efficientnet-lite2-imagenet/reference.json'), 'utf8'));
    const images = ref.inputs.filter((i: { file?: string }) => i.file);
    expect(images.length).toBeGreaterThanOrEqual(2); // chelsea.png, coffee.png
    for (const inp of images) {
      const p = await preprocessImage(readFileSync(join(DATA, inp.file)), EFFICIENTNET);
      const got = Array.from(p.data.slice(0, 4));
      got.forEach((v, k) => expect(Math.abs(v - inp.pixel_values_first4_channel0_row0[k])).toBeLessThanOrEqual(2 / 128 + 1e-6));
    }
  });

  it('one decode serves EfficientNet (260 crop), NanoDet (416 stretch, BGR) and CLIP (224 crop)', async () => {
    const d = await decodeImage(readFileSync(join(DATA, 'coco-captions-mini/images/val2017/000000000139.jpg')));
    const [e, n, c] = await preprocessForModels(d, [EFFICIENTNET, NANODET, CLIP]);
    expect(e!.dims).toEqual([3, 260, 260]);
    expect(n!.dims).toEqual([3, 416, 416]);
    expect(c!.dims).toEqual([3, 224, 224]);
    for (const p of [e!, n!, c!]) {
      expect(p.data.length).toBe(p.dims[0] * p.dims[1] * p.dims[2]);
      expect(p.original).toEqual({ width: d.width, height: d.height });
    }
    // value ranges implied by each normalisation of 0..255
    const [elo, ehi] = range(e!.data);
    expect(elo).toBeGreaterThanOrEqual(-127 / 128 - 1e-6);
    expect(ehi).toBeLessThanOrEqual(128 / 128 + 1e-6);
    const [clo, chi] = range(c!.data);
    expect(clo).toBeGreaterThanOrEqual((0 - 0.48145466) / 0.26130258 - 1e-3);
    expect(chi).toBeLessThanOrEqual((1 - 0.40821073) / 0.26130258 + 1e-3);
    const [nlo, nhi] = range(n!.data);
    expect(nlo).toBeGreaterThanOrEqual(-123.675 / 58.395 - 1e-3);
    expect(nhi).toBeLessThanOrEqual((255 - 103.53) / 57.12 + 1e-3);
  });

  it('writes BGR planes for NanoDet: a pure red image puts 255 in the last plane', async () => {
    const red = await sharp({ create: { width: 50, height: 30, channels: 3, background: '#ff0000' } }).png().toBuffer();
    const p = await preprocessImage(red, NANODET);
    const plane = 416 * 416;
    expect(p.data[0]).toBeCloseTo((0 - 103.53) / 57.375, 4); // B
    expect(p.data[plane]).toBeCloseTo((0 - 116.28) / 57.12, 4); // G
    expect(p.data[2 * plane]).toBeCloseTo((255 - 123.675) / 58.395, 4); // R
  });

  it('center-crops after a shortest-side resize with the reference rounding', () => {
    expect(resizeGeometry(451, 300, EFFICIENTNET)).toEqual({ resizeWidth: 446, resizeHeight: 297, left: 93, top: 18 });
    expect(resizeGeometry(300, 451, EFFICIENTNET)).toEqual({ resizeWidth: 297, resizeHeight: 446, left: 18, top: 93 });
    expect(resizeGeometry(100, 100, CLIP)).toEqual({ resizeWidth: 224, resizeHeight: 224, left: 0, top: 0 });
    expect(resizeGeometry(1000, 10, NANODET)).toEqual({ resizeWidth: 416, resizeHeight: 416, left: 0, top: 0 });
  });

  it('keeps the centre: a wide image with a blue centre and red sides crops to blue', async () => {
    const img = await sharp({ create: { width: 900, height: 300, channels: 3, background: '#ff0000' } })
      .composite([{ input: { create: { width: 300, height: 300, channels: 3, background: '#0000ff' } }, left: 300, top: 0 }])
      .png()
      .toBuffer();
    const spec: ImagePreprocess = { ...EFFICIENTNET, mean: [0, 0, 0], std: [1, 1, 1] };
    const p = await preprocessImage(img, spec);
    const plane = 260 * 260;
    for (const [x, y] of [[5, 5], [254, 130], [130, 254]] as const) {
      expect(p.data[y * 260 + x]).toBeLessThan(20); // R
      expect(p.data[2 * plane + y * 260 + x]).toBeGreaterThan(235); // B
    }
  });

  it('toChwFloat is (px·rescale − mean)/std per channel, planar', () => {
    const rgb = Uint8Array.from([10, 20, 30, 40, 50, 60]);
    const spec: ImagePreprocess = { ...CLIP, width: 2, height: 1 };
    const out = toChwFloat(rgb, 2, 1, spec);
    expect(out[0]).toBeCloseTo((10 / 255 - CLIP.mean[0]) / CLIP.std[0], 5);
    expect(out[1]).toBeCloseTo((40 / 255 - CLIP.mean[0]) / CLIP.std[0], 5);
    expect(out[2]).toBeCloseTo((20 / 255 - CLIP.mean[1]) / CLIP.std[1], 5);
    expect(out[5]).toBeCloseTo((60 / 255 - CLIP.mean[2]) / CLIP.std[2], 5);
  });

  it('handles the real photos of every data set (a sample): right shape, finite values', async () => {
    const dirs = ['grocery-store-products/queries/test/Packages/Milk', 'caltech101-mini/images', 'coco-captions-mini/images/train2017'];
    const files: string[] = [];
    const walk = (d: string, upTo: number) => {
      for (const f of readdirSync(d, { withFileTypes: true })) {
        if (files.length >= upTo) return;
        if (f.isDirectory()) walk(join(d, f.name), upTo);
        else if (/\.(jpe?g|png)$/i.test(f.name)) files.push(join(d, f.name));
      }
    };
    for (const d of dirs) { const before = files.length; walk(join(DATA, d), before + 8); expect(files.length).toBeGreaterThan(before); }
    for (const f of files) {
      const p = await preprocessImage(readFileSync(f), EFFICIENTNET);
      expect(p.dims).toEqual([3, 260, 260]);
      expect(p.data.every(Number.isFinite)).toBe(true);
    }
  });
});
