/**
 * OCR of a photo whose pixels the image worker holds (perf22: OCR requests, search by image with
 * `image_ocr_text`, backfill of an OCR pipeline no longer decode on the main thread). That must
 * change nothing but where the pixels live: the detector's planes are byte-equal to this thread's
 * (resize to multiples of 32, BGR, PaddleOCR's mean/std), the text boxes' crops are byte-equal, and
 * so the lines read (text, confidence, box) are equal — on real grocery shelf photos with packaging
 * text, a COCO photo and a rendered page; every request lets go of the pixels it held.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';
import { decodeImage, dropDecoded, ocrPixels } from '../../src/features/media/image.js';
import { heldCount } from '../../src/features/media/prep-worker.js';
import { OcrEngine, pixelsHere } from '../../src/models/encoders/ocr.js';
import { planeTable } from '../../src/models/pixels.js';
import { ModelRegistry } from '../../src/models/registry.js';
import { DATA, MODELS } from '../helpers/paths.js';
import { mediaSchema } from '../../src/config/schema.js';
import { FeatureExtractor } from '../../src/features/extractor.js';
import { Models } from '../../src/models/index.js';
import { bytes } from '../helpers/image-features.js';
import { modelsConfig } from '../helpers/models.js';

const grocery = join(DATA, 'grocery-store-products');
const shelf = ['Alpro-Fresh-Soy-Milk_001', 'Oatly-Oat-Milk_003', 'Arla-Standard-Milk_002', 'Tropicana-Apple-Juice_001']
  .map((name) => readFileSync(join(grocery, 'queries.tsv'), 'utf8').split('\n').find((l) => l.includes(`/${name}.jpg`))!.split('\t')[0]!)
  .map((p) => join(grocery, p));
const coco = join(DATA, 'coco-captions-mini/images/val2017/000000000139.jpg');

let registry: ModelRegistry;
let ocr: OcrEngine;
beforeAll(async () => {
  registry = await ModelRegistry.create({ dir: MODELS, intraOpThreads: 2 });
  ocr = await OcrEngine.create({ registry, batch: { maxBatchSize: 8, maxWaitMs: 2, maxQueue: 64 } }, 'ppocr-v4-ch');
});
afterAll(() => registry.close());

const page = () =>
  sharp(Buffer.from('<svg xmlns="http://www.w3.org/2000/svg" width="700" height="300"><rect width="100%" height="100%" fill="white"/><text x="30" y="90" font-family="DejaVu Sans" font-size="44">Oat milk 1 litre</text><g transform="rotate(180 350 200)"><text x="120" y="220" font-family="DejaVu Sans" font-size="36">Upside down 2026</text></g></svg>'))
    .png()
    .toBuffer();

describe('OCR of pixels held by the image worker', () => {
  it('reads the same lines, from byte-equal detector planes and crops', { timeout: 120_000 }, async () => {
    const inputs = [...shelf.map((p) => readFileSync(p)), readFileSync(coco), await page()];
    let lines = 0;
    for (const buf of inputs) {
      const here = await decodeImage(buf);
      const held = await decodeImage(buf, undefined, { held: true });
      expect(held.data.length).toBe(0);
      const a = pixelsHere(here);
      const b = ocrPixels(held);
      const table = planeTable((v, c) => v / 255 - c);
      for (const [w, h] of [[here.width, here.height], [352, 288], [32, 64]] as const) {
        expect(bytes(await b.planes(w, h, [2, 1, 0], table)).equals(bytes(await a.planes(w, h, [2, 1, 0], table)))).toBe(true);
      }
      const boxes = await ocr.detect(here);
      expect(await ocr.detect(b)).toEqual(boxes);
      const [ca, cb] = [await a.crops(boxes), await b.crops(boxes)];
      expect(cb.map((c) => [c.width, c.height])).toEqual(ca.map((c) => [c.width, c.height]));
      cb.forEach((c, i) => expect(Buffer.from(c.data).equals(Buffer.from(ca[i]!.data))).toBe(true));
      const read = await ocr.recognize(here);
      expect(await ocr.recognize(b)).toEqual(read);
      lines += read.length;
      dropDecoded(held);
    }
    expect(lines).toBeGreaterThan(5); // real text was read, not only empty pages
    expect(await heldCount()).toBe(0);
  });

  it('an OCR request holds its photos in the worker and lets go of them', { timeout: 120_000 }, async () => {
    const models = await Models.create(modelsConfig({}));
    const fx = await FeatureExtractor.create(models, { media: mediaSchema.parse({ roots: [DATA] }), cacheMaxBytes: 64 << 20 });
    try {
      const res = await fx.images(shelf, { detect: true, ocr: true });
      expect(res.every((r) => !r.cacheHit && Array.isArray(r.features.ocr))).toBe(true);
      expect(res.flatMap((r) => r.features.ocr!).join(' ').toLowerCase()).toContain('alpro');
      expect(await heldCount()).toBe(0);
    } finally {
      await fx.close();
      await models.close();
    }
  });
});
