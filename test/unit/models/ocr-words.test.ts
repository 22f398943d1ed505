// Spaces put back at a line's word gaps (ocr-words.ts, task ocr25), on hand-made crops and step positions.
import { describe, expect, it } from 'vitest';
import { spaceAtGaps, wordGaps } from '../../../src/models/encoders/ocr-words.js';

/** A 20 px tall crop, `ink` columns dark on white (or light on dark when `dark`). */
function crop(width: number, ink: (x: number) => boolean, dark = false) {
  const data = new Uint8Array(width * 20 * 3).fill(dark ? 20 : 250);
  for (let y = 4; y < 16; y++) for (let x = 0; x < width; x++) if (ink(x)) data.fill(dark ? 230 : 10, (y * width + x) * 3, (y * width + x) * 3 + 3);
  return { data, width, height: 20 };
}

describe('wordGaps', () => {
  // two "words" of 1-px-gapped letters, 8 blank columns between them, margins either side
  const letters = (x: number) => (x >= 5 && x < 40 && x % 4 !== 0) || (x >= 48 && x < 80 && x % 4 !== 3);
  it('finds the gap between words, not the gaps between letters nor the margins', () => {
    expect(wordGaps(crop(90, letters))).toEqual([[40, 48]]);
  });
  it('reads light text on a dark ground the same', () => {
    expect(wordGaps(crop(90, letters, true))).toEqual([[40, 48]]);
  });
  it('finds no gap in a crop without ink', () => {
    expect(wordGaps(crop(50, () => false))).toEqual([]);
  });
});

describe('spaceAtGaps', () => {
  it('puts a space between the characters emitted either side of a gap', () => {
    // steps of 8 crop columns; "ab" at steps 1–2, "cd" at steps 7–8, gap at columns 32–48 (steps 4–6)
    expect(spaceAtGaps(['a', 'b', 'c', 'd'], [1, 2, 7, 8], [[32, 48]], 8)).toBe('ab cd');
  });
  it('leaves a space the model emitted, and puts none between CJK characters', () => {
    expect(spaceAtGaps(['a', ' ', 'c'], [1, 4, 7], [[32, 48]], 8)).toBe('a c');
    expect(spaceAtGaps(['退', '货'], [1, 7], [[32, 48]], 8)).toBe('退货');
  });
  it('ignores a gap before the first or after the last character', () => {
    expect(spaceAtGaps(['a', 'b'], [5, 6], [[0, 16]], 8)).toBe('ab');
    expect(spaceAtGaps(['a', 'b'], [1, 2], [[64, 80]], 8)).toBe('ab');
  });
});
