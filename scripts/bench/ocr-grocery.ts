/**
 * A small OCR quality check on real packaging (not run in CI): for the in-store photos of the
 * packaged products in the Grocery Store Dataset (milk, juice, yoghurt, oat milk …), how often does
 * PP-OCRv4 read at least one word (≥ 4 letters) of the product's brand/title from the photo?
 * Also prints OCR time per image. Usage: npx tsx scripts/bench/ocr-grocery.ts [photos per product, default 2] [recMinWidth, default 0; 320 = PaddleOCR's padding]
 */
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { ModelRegistry } from '../../src/models/registry.js';
import { OcrEngine } from '../../src/models/encoders/ocr.js';
import { decodeImage } from '../../src/features/media/image.js';

const DATA = resolve(process.env.VLRERANK_DATA_DIR ?? '../shared/data', 'grocery-store-products');
const perProduct = Number(process.argv[2] ?? 2);
const recMinWidth = Number(process.argv[3] ?? 0);
const catalog = readFileSync(join(DATA, 'catalog.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { class_id: number; class_name: string; title: string; top_category: string });
const queries = readFileSync(join(DATA, 'queries.tsv'), 'utf8').trim().split('\n').slice(1).map((l) => l.split('\t')).map(([image, classId]) => ({ image: image!, classId: Number(classId) }));
const registry = await ModelRegistry.create({ dir: resolve(process.env.VLRERANK_MODELS_DIR ?? '../shared/models'), intraOpThreads: 2 });
const ocr = await OcrEngine.create({ registry, batch: { maxBatchSize: 8, maxWaitMs: 2, maxQueue: 64 } }, 'ppocr-v4-ch');
const words = (s: string) => new Set(s.toLowerCase().normalize('NFD').replace(/[\u0300-\u036f]/g, '').split(/[^a-z]+/).filter((w) => w.length >= 4));

let photos = 0, withText = 0, matched = 0, ms = 0;
for (const p of catalog.filter((c) => c.top_category === 'Packages')) {
  const want = new Set([...words(p.title), ...words(p.class_name.replace(/-/g, ' '))]);
  for (const q of queries.filter((x) => x.classId === p.class_id).slice(0, perProduct)) {
    const t0 = performance.now();
    const lines = await ocr.recognize(await decodeImage(readFileSync(join(DATA, q.image))), { recMinWidth });
    ms += performance.now() - t0;
    photos++;
    if (lines.length) withText++;
    const got = words(lines.map((l) => l.text).join(' '));
    const hit = [...got].filter((w) => want.has(w));
    if (hit.length) matched++;
    console.log(`${p.class_name.padEnd(36)} ${hit.length ? 'match' : '     '} ${JSON.stringify(lines.map((l) => l.text)).slice(0, 90)}`);
  }
}
console.log(`\nrecMinWidth ${recMinWidth}: ${photos} packaging photos: some text read in ${withText} (${((100 * withText) / photos).toFixed(0)}%), a title word read in ${matched} (${((100 * matched) / photos).toFixed(0)}%); ${(ms / photos).toFixed(0)} ms per photo`);
await registry.close();
