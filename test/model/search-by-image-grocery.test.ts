/**
 * Search by image at the bar of issue 14 §5: all 405 Grocery in-store photos against the 81 catalog
 * products (title, description and photo, made into rerank documents as the shipped grocery.yaml
 * makes them from a hit, scored with its signal weights and raw-cosine fusion) rank their product at
 * least as well as the Python reference on top-1 and top-5 (../shared/ZERO-SHOT-BRIDGE.md:
 * 0.346 / 0.711). Every product is in the window here, so this is the reranker's order without the
 * first stage; through the proxy (window 20, blend 0.1) the figures are the same, 0.358 / 0.726
 * (models/CALIBRATION.md "Search by image"). Decoding the catalog photos with their embedded
 * Adobe RGB profiles applied (sharp's default, before) gave 0.348 / 0.709 and fails here.
 * grocery.yaml weights `image_ocr_text` (what OCR reads on the shopper's photo against each product's
 * text): 0.410 / 0.733 with it, 0.358 / 0.726 without; the reference with its OCR term reaches
 * "about 0.39 / 0.73", so top-1 is held to 0.39 as well (a run without the OCR signal fails there).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { parsePipeline } from '../../src/pipelines/index.js';
import { documentFromSource } from '../../src/pipelines/document.js';
import { scoreFusionOf } from '../../src/search/shape.js';
import { catalog, queryPhotos } from '../helpers/grocery.js';
import { DATA, REPO_ROOT } from '../helpers/paths.js';
import { testReranker } from '../helpers/reranker.js';

const REFERENCE = { top1: 0.346, top5: 0.711 };
/** The reference with its OCR term (+0.3 × cosine of the photo's OCR text and top labels to the catalog text). */
const REFERENCE_OCR_TOP1 = 0.39;

const pipeline = parsePipeline(parseYaml(readFileSync(join(REPO_ROOT, 'pipelines', 'grocery.yaml'), 'utf8')), 'grocery.yaml');
const products = catalog();
const documents = products.map((p) => documentFromSource({ title: p.title, description: p.description, image: join(DATA, 'grocery-store-products', p.iconic_image) }, pipeline)!);
const reranker = testReranker();
afterAll(() => reranker.close());

it('all 405 in-store photos find their product at or above the reference, top-1 and top-5', { timeout: 900_000 }, async () => {
  expect(documents.every((d) => d.text && d.image)).toBe(true);
  const photos = queryPhotos();
  let top1 = 0;
  let top5 = 0;
  for (const q of photos) {
    const out = await reranker.process(
      { query: { image: q.image }, documents, top_n: 5, weights: pipeline.scorer.weights },
      { scoreFusion: scoreFusionOf(pipeline) },
    );
    const ids = out.map((r) => products[r.index]!.class_id);
    expect(out.errors).toEqual([]);
    if (ids[0] === q.classId) top1++;
    if (ids.includes(q.classId)) top5++;
  }
  const n = photos.length;
  console.log(`search by image, ${n} in-store photos → 81 products (grocery.yaml scorer): top-1 ${(top1 / n).toFixed(3)} top-5 ${(top5 / n).toFixed(3)} (reference ${REFERENCE.top1} / ${REFERENCE.top5})`);
  expect(n).toBe(405);
  expect(top1 / n).toBeGreaterThanOrEqual(REFERENCE.top1);
  expect(top5 / n).toBeGreaterThanOrEqual(REFERENCE.top5);
  expect(top1 / n).toBeGreaterThanOrEqual(REFERENCE_OCR_TOP1);
});

it("reads the shopper's photo only when image_ocr_text is weighted, and explains what it read", { timeout: 120_000 }, async () => {
  const photo = queryPhotos().find((q) => q.image.includes('Alpro-Fresh-Soy-Milk_001'))!;
  const alpro = products.findIndex((p) => p.class_id === photo.classId);
  const run = (w: number) => reranker.process({ query: { image: photo.image }, documents, explain: true, weights: { ...pipeline.scorer.weights, image_ocr_text: w } }, { scoreFusion: scoreFusionOf(pipeline) });
  const off = await run(0);
  expect(off.flatMap((r) => r.explanation!.signals.map((s) => s.name))).not.toContain('image_ocr_text');
  const on = await run(pipeline.scorer.weights.image_ocr_text!);
  const signal = on.find((r) => r.index === alpro)!.explanation!.signals.find((s) => s.name === 'image_ocr_text')!;
  expect(signal.compared).toBe('query.image(ocr)↔document.text');
  expect(String(signal.detail!.ocr_text).toLowerCase()).toContain('alpro');
  // the product whose text names what the photo reads scores higher on this signal than a product that does not
  const other = on.find((r) => products[r.index]!.title.toLowerCase().includes('apple'))!.explanation!.signals.find((s) => s.name === 'image_ocr_text')!;
  expect(signal.raw).toBeGreaterThan(other.raw);
});
