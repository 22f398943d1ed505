/**
 * NanoDet's detect() asks the inference worker for only the anchor rows whose best class score
 * passes its threshold (row-select.ts; the worker carries the same algorithm as plain JavaScript).
 * That must change nothing but the bytes that cross: on real photos, at a low, the default and a
 * high threshold, the detections equal, to the bit, those decoded from the whole head outputs
 * (`raw()`, the path before), on the worker and on the main-thread path; and what crosses is the
 * rows the TypeScript selection keeps from the whole outputs, gathered, not the whole tensors.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { decodeImage, preprocessImage } from '../../src/features/media/image.js';
import { decodeDetections, type ObjectDetector } from '../../src/models/encoders/object-detector.js';
import type { Models } from '../../src/models/index.js';
import { gatherRows, keptRows, ROWS_SUFFIX } from '../../src/models/row-select.js';
import type { PreprocessedImage } from '../../src/models/preprocess.js';
import { DATA } from '../helpers/paths.js';
import { sharedModels } from '../helpers/models.js';

const dir = join(DATA, 'coco-captions-mini/images/val2017');
const grocery = join(DATA, 'grocery-store-products/iconic-images-and-descriptions/Packages');
const photos = [
  ...readdirSync(dir).filter((f) => f.endsWith('.jpg')).sort().slice(0, 8).map((f) => join(dir, f)),
  ...readdirSync(grocery, { recursive: true, withFileTypes: true }).filter((e) => e.isFile() && e.name.endsWith('.jpg')).map((e) => join(e.parentPath, e.name)).sort().slice(0, 2),
];
let inWorker: Models;
let onMain: Models;
let worker: ObjectDetector;
let main: ObjectDetector;
const pre: PreprocessedImage[] = [];

beforeAll(async () => {
  inWorker = await sharedModels();
  onMain = await sharedModels({ inferenceThread: 'main' });
  worker = await inWorker.objectDetector();
  main = await onMain.objectDetector();
  for (const p of photos) pre.push(await preprocessImage(await decodeImage(readFileSync(p)), worker.preprocess));
});
afterAll(async () => {
  await inWorker.close();
  await onMain.close();
});

describe('NanoDet rows selected where the model ran', () => {
  it('give the detections of the whole outputs, to the bit, in the worker and on the main thread', async () => {
    let found = 0;
    for (const im of pre) {
      const whole = await worker.raw(im);
      for (const scoreThreshold of [0.05, worker.spec.scoreThreshold, 0.6]) {
        const before = decodeDetections(whole, worker.spec, worker.preprocess, im.original, worker.classNames, { scoreThreshold });
        expect(await worker.detect(im, im.original, { scoreThreshold })).toEqual(before);
        expect(await main.detect(im, im.original, { scoreThreshold })).toEqual(before);
        found += before.length;
      }
      // the default threshold when none is given
      expect(await worker.detect(im)).toEqual(decodeDetections(whole, worker.spec, worker.preprocess, im.original, worker.classNames));
    }
    expect(found).toBeGreaterThan(30); // the photos do have objects at these thresholds
  });

  it('send back only the kept rows, gathered, with their row numbers', async () => {
    const im = pre[0]!;
    const whole = await worker.raw(im);
    const threshold = worker.spec.scoreThreshold;
    const groups = worker.spec.strides.map((s) => ({ by: `cls_s${s}`, width: 80, with: [`reg_s${s}`] }));
    const io = worker.manifest.io.model!;
    const { ort } = await import('../../src/models/session.js');
    const out = await worker.session.run({ [io.inputs[0]!]: new ort.Tensor('float32', im.data, [1, 3, 416, 416]) }, io.outputs, { select: { threshold, groups } });
    let kept = 0;
    for (const g of groups) {
      const cls = whole[g.by]!.data as Float32Array;
      const rows = keptRows(cls, 80, threshold);
      kept += rows.length;
      expect(Array.from(out[g.by + ROWS_SUFFIX]!.data as Int32Array)).toEqual(Array.from(rows));
      expect(out[g.by]!.dims).toEqual([rows.length, 80]);
      expect(Buffer.from((out[g.by]!.data as Float32Array).buffer).equals(Buffer.from(gatherRows(cls, rows, 80).buffer))).toBe(true);
      const reg = whole[g.with[0]!]!.data as Float32Array;
      const width = reg.length / (cls.length / 80);
      expect(Buffer.from((out[g.with[0]!]!.data as Float32Array).buffer).equals(Buffer.from(gatherRows(reg, rows, width).buffer))).toBe(true);
    }
    expect(kept).toBeGreaterThan(0);
    expect(kept).toBeLessThan((52 * 52 + 26 * 26 + 13 * 13) / 10);
  });
});
