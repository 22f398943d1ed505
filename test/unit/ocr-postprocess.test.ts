// The pure parts of the OCR pipeline: CTC decoding, DB boxes from a probability map, geometry.
import { describe, expect, it } from 'vitest';
import { ctcDecode } from '../../src/models/encoders/ocr.js';
import { convexHull, dbPostprocess, minAreaRect, orderCorners, sortReadingOrder, type Point } from '../../src/models/encoders/ocr-boxes.js';
import { cropQuad } from '../../src/models/encoders/ocr-crop.js';

describe('ctcDecode', () => {
  const charset = ['', 'a', 'b', ' '];
  const steps = (ids: number[], p = 0.9) => {
    const out = new Float32Array(ids.length * 4);
    ids.forEach((id, t) => {
      for (let c = 0; c < 4; c++) out[t * 4 + c] = c === id ? p : (1 - p) / 3;
    });
    return out;
  };
  it('collapses repeats, drops blanks, keeps doubled letters separated by a blank', () => {
    expect(ctcDecode(steps([1, 1, 0, 1, 2, 2, 3, 2]), 8, 4, charset).text).toBe('aab b');
    expect(ctcDecode(steps([0, 0, 0]), 3, 4, charset)).toEqual({ text: '', confidence: 0 });
  });
  it('averages the max probability of the kept steps', () => {
    expect(ctcDecode(steps([1, 0, 2], 0.8), 3, 4, charset).confidence).toBeCloseTo(0.8, 5);
  });
});

describe('DB post-processing', () => {
  it('turns a bright rectangle in the probability map into one unclipped box around it', () => {
    const w = 200, h = 80;
    const prob = new Float32Array(w * h);
    for (let y = 30; y < 50; y++) for (let x = 40; x < 160; x++) prob[y * w + x] = 0.95;
    const boxes = dbPostprocess(prob, w, h, { binThreshold: 0.3, boxThreshold: 0.6, unclipRatio: 1.5 });
    expect(boxes).toHaveLength(1);
    const [tl, tr, br, bl] = boxes[0]!;
    // region 119×19 (pixel centres) grows by d = 119·19·1.5/(2·138) ≈ 12.3 on each side
    expect(tl[0]).toBeCloseTo(40 - 12.3, 0);
    expect(tl[1]).toBeCloseTo(30 - 12.3, 0);
    expect(br[0]).toBeCloseTo(159 + 12.3, 0);
    expect(br[1]).toBeCloseTo(49 + 12.3, 0);
    expect(tr[1]).toBeCloseTo(tl[1], 5);
    expect(bl[0]).toBeCloseTo(tl[0], 5);
  });
  it('drops regions whose mean probability is under the box threshold, and specks', () => {
    const w = 100, h = 40;
    const prob = new Float32Array(w * h);
    for (let y = 10; y < 20; y++) for (let x = 10; x < 60; x++) prob[y * w + x] = 0.4; // above 0.3, mean under 0.6
    prob[30 * w + 80] = 0.99; // one pixel
    expect(dbPostprocess(prob, w, h, { binThreshold: 0.3, boxThreshold: 0.6, unclipRatio: 1.5 })).toEqual([]);
  });
});

describe('geometry', () => {
  it('finds the rotated minimum-area rectangle of a tilted rectangle', () => {
    const a = Math.PI / 8;
    const pts: Point[] = [];
    for (let u = 0; u <= 100; u += 5) for (let v = 0; v <= 20; v += 5) pts.push([u * Math.cos(a) - v * Math.sin(a), u * Math.sin(a) + v * Math.cos(a)]);
    const r = minAreaRect(convexHull(pts));
    expect(Math.max(r.w, r.h)).toBeCloseTo(100, 5);
    expect(Math.min(r.w, r.h)).toBeCloseTo(20, 5);
  });
  it('orders corners tl, tr, br, bl and lines in reading order', () => {
    expect(orderCorners([[10, 10], [0, 10], [0, 0], [10, 0]])).toEqual([[0, 0], [10, 0], [10, 10], [0, 10]]);
    const box = (x: number, y: number): [Point, Point, Point, Point] => [[x, y], [x + 5, y], [x + 5, y + 5], [x, y + 5]];
    expect(sortReadingOrder([box(50, 3), box(0, 40), box(0, 0)]).map((b) => b[0])).toEqual([[0, 0], [50, 3], [0, 40]]);
  });
  it('crops an axis-aligned quad exactly', () => {
    const w = 10, h = 6;
    const data = new Uint8Array(w * h * 3);
    for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) data[(y * w + x) * 3] = x * 10 + y;
    const c = cropQuad({ data, width: w, height: h }, [[2, 1], [8, 1], [8, 4], [2, 4]]);
    expect([c.width, c.height]).toEqual([6, 3]);
    expect(c.data[0]).toBe(2 * 10 + 1);
    expect(c.data[(2 * 6 + 5) * 3]).toBe(7 * 10 + 3);
  });
});
