// PP-OCRv4 through the project's own loader and pre/post-processing: rendered text is read back
// exactly, lines come in reading order with boxes where the text is, an upside-down line is
// turned by the direction classifier, packaging text is read from a real grocery photo, and a page
// of body text is read whole, its words apart.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';
import { ModelRegistry } from '../../src/models/registry.js';
import { OcrEngine } from '../../src/models/encoders/ocr.js';
import { decodeImage } from '../../src/features/media/image.js';
import { DATA, MODELS } from '../helpers/paths.js';
import { pagePng } from '../helpers/screenshots.js';

let registry: ModelRegistry;
let ocr: OcrEngine;

beforeAll(async () => {
  registry = await ModelRegistry.create({ dir: MODELS, intraOpThreads: 2 });
  ocr = await OcrEngine.create({ registry, batch: { maxBatchSize: 8, maxWaitMs: 2, maxQueue: 64 } }, 'ppocr-v4-ch');
});
afterAll(async () => {
  await registry.close();
});

const render = async (w: number, h: number, body: string) =>
  decodeImage(await sharp(Buffer.from(`<svg xmlns="http://www.w3.org/2000/svg" width="${w}" height="${h}"><rect width="100%" height="100%" fill="white"/>${body}</svg>`)).png().toBuffer());

describe('OCR (ppocr-v4-ch)', () => {
  it('reads "Hello World 2024" rendered in DejaVu Sans, with a box around it', async () => {
    const img = await render(640, 160, '<text x="40" y="100" font-family="DejaVu Sans, Liberation Sans, sans-serif" font-size="56">Hello World 2024</text>');
    const lines = await ocr.recognize(img);
    expect(lines).toHaveLength(1);
    expect(lines[0]!.text).toBe('Hello World 2024');
    expect(lines[0]!.confidence).toBeGreaterThan(0.9);
    const xs = lines[0]!.box.map((p) => p[0]);
    const ys = lines[0]!.box.map((p) => p[1]);
    expect(Math.min(...xs)).toBeLessThan(60);
    expect(Math.max(...xs)).toBeGreaterThan(480);
    expect(Math.min(...ys)).toBeGreaterThan(40);
    expect(Math.max(...ys)).toBeLessThan(125);
  });

  it('returns several lines top to bottom, and turns an upside-down line with the direction classifier', async () => {
    const img = await render(
      800,
      400,
      '<text x="40" y="80" font-family="DejaVu Sans, Liberation Sans, sans-serif" font-size="40">Invoice number 4711</text>' +
        '<text x="40" y="170" font-family="DejaVu Sans, Liberation Sans, sans-serif" font-size="40">Paid 2026</text>' +
        '<g transform="rotate(180 400 300)"><text x="200" y="320" font-family="DejaVu Sans, Liberation Sans, sans-serif" font-size="36">Upside down line</text></g>',
    );
    const lines = await ocr.recognize(img);
    // The Chinese+Latin recogniser sometimes drops narrow spaces, so compare without them.
    const squash = (t: string) => t.replace(/\s+/g, '');
    expect(lines.map((l) => squash(l.text))).toEqual(['Invoicenumber4711', 'Paid2026', 'Upsidedownline']);
    const without = await ocr.recognize(img, { useAngleClassifier: false, minConfidence: 0 });
    expect(without.map((l) => squash(l.text))).not.toContain('Upsidedownline');
  });

  it('finds no text in a blank image', async () => {
    expect(await ocr.recognize(await render(300, 200, ''))).toEqual([]);
  });

  it('reads the brand on a real in-store photo of a milk carton (Grocery Store Dataset)', async () => {
    const file = join(DATA, 'grocery-store-products/queries/test/Packages/Milk/Arla-Standard-Milk/Arla-Standard-Milk_001.jpg');
    const lines = await ocr.recognize(await decodeImage(readFileSync(file)));
    expect(lines.map((l) => l.text.toLowerCase()).join(' ')).toContain('arla');
  });
});

type Doc = { _id: string; title: string; text: string };
const corpus = readFileSync(join(DATA, 'scifact-beir', 'corpus.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Doc);
const words = (t: string) => t.toLowerCase().match(/[a-z]{3,}/g) ?? [];

// A SciFact abstract rendered as a page (18 px DejaVu Sans by librsvg, at test time, never kept), task
// ocr25: before, the direction classifier — which sees a long line squeezed into 192 columns — called
// about half of the upright lines upside down, and they were read turned as noise and dropped; and the
// recognizer glued the words of every line together (`Microstructuraldevelopmentofhuman…`). Now a line
// called upside down is read both ways and the likelier read kept, and spaces are put back at the
// line's word gaps (src/models/encoders/ocr-words.ts).
describe('OCR of a page of body text', () => {
  it('reads every line of a SciFact abstract, its words apart', { timeout: 300_000 }, async () => {
    const doc = corpus.find((d) => d._id === '14717500')!; // the answer to test claim 3
    const lines = await ocr.recognize(await decodeImage(await pagePng(doc.title, [doc.text], 18)));
    const read = new Set(lines.flatMap((l) => words(l.text)));
    const shown = words(`${doc.title} ${doc.text}`);
    const found = shown.filter((w) => read.has(w)).length / shown.length;
    // before: 0.12 (the words at lines' ends, and the title); misread letters (MDsC, ITiM) keep it under 1
    expect(found, lines.map((l) => l.text).join('\n')).toBeGreaterThan(0.9);
    // every line of the page read (before: 9 of its 20 lines dropped)
    const chars = lines.reduce((n, l) => n + l.text.replace(/\s/g, '').length, 0);
    expect(chars).toBeGreaterThan(0.95 * `${doc.title}${doc.text}`.replace(/\s/g, '').length);
  });
});
