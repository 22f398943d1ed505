/** Fusion: a weighted mean of calibrated signals in [0, 1], independent of other candidates. */
import { expect, it } from 'vitest';
import fc from 'fast-check';
import { fuse, resolveWeights } from '../../../src/rerank/fusion.js';

it('is the weighted mean of the calibrated signals with positive weight', () => {
  expect(fuse([{ name: 'a', calibrated: 0.9, weight: 1 }, { name: 'b', calibrated: 0.3, weight: 2 }])).toBeCloseTo(0.5, 10);
  expect(fuse([{ name: 'a', calibrated: 0.9, weight: 0 }, { name: 'b', calibrated: 0.3, weight: 1 }])).toBeCloseTo(0.3, 10);
  expect(fuse([])).toBe(0);
});

it('always lands in [0, 1]', () => {
  fc.assert(
    fc.property(fc.array(fc.record({ calibrated: fc.double({ min: 0, max: 1, noNaN: true }), weight: fc.double({ min: 0, max: 10, noNaN: true }) })), (xs) => {
      const s = fuse(xs.map((x, i) => ({ name: `s${i}`, ...x })));
      return s >= 0 && s <= 1;
    }),
  );
});

it('per-request weights override configured ones, which override the defaults', () => {
  const w = resolveWeights({ text_text: 3 }, { remote: 0 });
  expect(w.text_text).toBe(3);
  expect(w.remote).toBe(0);
  expect(w.image_image).toBe(1);
});
