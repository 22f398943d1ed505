import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { softmax, topK } from '../../../src/util/vector.js';

/** The definition: every index sorted by value, largest first, ties by lower index, the first k. */
function byFullSort(values: ArrayLike<number>, k: number): number[] {
  const idx = Array.from({ length: values.length }, (_, i) => i);
  idx.sort((a, b) => values[b]! - values[a]! || a - b);
  return idx.slice(0, Math.max(0, k));
}

describe('topK (partial selection)', () => {
  it('equals a full sort for any values, ties and k (selection and sort paths)', () => {
    // small integers make ties frequent; k up to past the length covers both paths and k > n
    fc.assert(
      fc.property(fc.array(fc.integer({ min: -5, max: 5 }), { maxLength: 300 }), fc.integer({ min: 0, max: 320 }), (xs, k) => {
        expect(topK(Float32Array.from(xs), k)).toEqual(byFullSort(xs, k));
      }),
      { numRuns: 400 },
    );
  });

  it('picks the 20 most probable of 1,000 classes as a sort does', () => {
    const logits = new Float32Array(1000);
    let s = 7;
    for (let i = 0; i < logits.length; i++) {
      s = (s * 1103515245 + 12345) % 2 ** 31;
      logits[i] = (s / 2 ** 31) * 12 - 6;
    }
    const p = softmax(logits, 2);
    expect(topK(p, 20)).toEqual(byFullSort(p, 20));
    expect(topK(p, 5)).toEqual(byFullSort(p, 5));
  });
});
