/**
 * A full-page screenshot — much taller than wide — is read by OCR (held-out probe round 22a). The
 * detector sees an image at most 960 px on its longest side: a 1280×20000 page shrank to 61×960
 * and OCR read nothing from it (0 characters; a 1280×1280 cut of the same page read 2,568). Now a
 * tall page is read in bands as wide as the page (src/features/ocr-bands.ts). Real PP-OCRv4
 * through the feature extractor, text rendered by librsvg; the band geometry checked on its own.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import sharp from 'sharp';
import { mediaSchema } from '../../src/config/schema.js';
import { FeatureExtractor } from '../../src/features/extractor.js';
import { MAX_CHARS, ocrBands, recognizeInBands } from '../../src/features/ocr-bands.js';
import { pixelsHere, type OcrLine } from '../../src/models/encoders/ocr.js';
import { Models } from '../../src/models/index.js';
import { modelsConfig } from '../helpers/models.js';

let models: Models;
let fx: FeatureExtractor;
beforeAll(async () => {
  models = await Models.create(modelsConfig({ batch: { maxBatchSize: 8, maxWaitMs: 2, maxQueue: 256 } }));
  fx = await FeatureExtractor.create(models, { media: mediaSchema.parse({}), cacheMaxBytes: 16 << 20 });
}, 120_000);
afterAll(async () => {
  await fx?.close?.();
  await models?.close();
});

const LINES: Array<[number, string]> = [
  [120, 'Reset the router first'],
  [1800, 'Then update the firmware'],
  [4050, 'Check the cable again'],
  [5940, 'Call support at last'],
];

describe('OCR of a tall page', () => {
  it('reads the lines at the top, in the middle (one on a band edge) and at the bottom of a 1000×6000 page, in order, boxes in page coordinates', async () => {
    const text = LINES.map(([y, t]) => `<text x="40" y="${y}" font-family="DejaVu Sans" font-size="30">${t}</text>`).join('');
    const png = await sharp(Buffer.from(`<svg xmlns="http://www.w3.org/2000/svg" width="1000" height="6000"><rect width="100%" height="100%" fill="white"/>${text}</svg>`)).png().toBuffer();
    const r = await fx.image(`data:image/png;base64,${png.toString('base64')}`, { detect: false, ocr: true });
    // spaces compared loosely: PP-OCRv4-ch drops some between Latin words at this size (its own habit)
    const squeeze = (t: string) => t.replace(/\s+/g, '');
    expect(r.features.ocr!.map(squeeze)).toEqual(LINES.map(([, t]) => squeeze(t)));
    const ys = r.features.ocrLines!.map((l) => l.box.reduce((s, p) => s + p[1], 0) / 4);
    LINES.forEach(([y], i) => expect(Math.abs(ys[i]! - (y - 10)), `line ${i} at ${ys[i]}`).toBeLessThan(25));
  }, 300_000);

  it('cuts only pages more than twice as tall as max(width, 960); bands overlap and cover the page', () => {
    expect(ocrBands(1280, 800)).toEqual([[0, 800]]);
    expect(ocrBands(200, 1100)).toEqual([[0, 1100]]); // text turned 90° on a narrow strip: read whole
    expect(ocrBands(1280, 2560)).toEqual([[0, 2560]]);
    const b = ocrBands(1280, 20000);
    expect(b[0]).toEqual([0, 1280]);
    expect(b.at(-1)![1]).toBe(20000);
    for (let i = 1; i < b.length; i++) expect(b[i]![0]).toBe(b[i - 1]![1] - 128);
  });
});

describe('OCR of a tall page, bounded', () => {
  it('stops reading bands once the text read passes MAX_CHARS (the text model reads ~2,000 characters of it)', async () => {
    // an engine that reads one 1,500-character line in every band it is given: how many bands are asked for
    let calls = 0;
    const wordyPage = { recognize: async () => { calls++; return [{ text: 'x'.repeat(1500), confidence: 1, box: [[0, 500], [10, 500], [10, 510], [0, 510]] as OcrLine['box'] }]; } };
    const size = { width: 1280, height: 20000 };
    const lines = await recognizeInBands(wordyPage, size, (rows) => pixelsHere({ data: new Uint8Array(0), width: size.width, height: rows ? rows[1] - rows[0] : size.height }));
    expect(ocrBands(1280, 20000).length).toBeGreaterThan(10);
    expect(calls).toBe(Math.ceil(MAX_CHARS / 1500));
    expect(lines.map((l) => l.text).join('').length).toBeGreaterThanOrEqual(MAX_CHARS);
  });
});
