/**
 * Spaces between the words of an OCR line (issue 14 §4, task ocr25). PP-OCRv4-ch's recognizer emits
 * CTC blanks, not its space class, between Latin words at body sizes (`Microstructuraldevelopmentof…`
 * on 18 px DejaVu Sans screenshots of SciFact abstracts; a 56 px line keeps them), and bge reads the
 * glued words poorly. The crop's blank columns say where its words are: a space is put back between
 * two emitted characters that a word gap (blank columns at least `WORD_GAP` of the crop's height)
 * separates, only where neither is CJK (Chinese has no spaces; its gaps are not word gaps).
 * Pure functions over RGB pixels and CTC step positions; no model here.
 */
import type { RgbImage } from './ocr-crop.js';

/** A run of blank columns at least this share of the crop's height is a word gap (letters: ≤ ~0.15; a space at 18 px: ~0.35). */
export const WORD_GAP = 0.25;
/**
 * How lines are read, named in the OCR cache key and in feature records' OCR parts: results read before
 * spaces were put back, or before a line called upside down was read both ways (ocr.ts), differ.
 */
export const LINE_READING = `gaps:${WORD_GAP};flipped:both`;

/** Column ranges [start, end) of the crop's word gaps, between its first and last inked column. */
export function wordGaps(crop: RgbImage): Array<[number, number]> {
  const { width: w, height: h, data } = crop;
  const lo = new Uint8Array(w).fill(255);
  const hi = new Uint8Array(w);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const i = (y * w + x) * 3;
      const g = (data[i]! * 77 + data[i + 1]! * 150 + data[i + 2]! * 29) >> 8;
      if (g < lo[x]!) lo[x] = g;
      if (g > hi[x]!) hi[x] = g;
    }
  }
  let span = 0;
  for (let x = 0; x < w; x++) span = Math.max(span, hi[x]! - lo[x]!);
  // a column is blank when its contrast is a small part of the line's (dark on light or light on dark alike)
  const blank = (x: number) => hi[x]! - lo[x]! < Math.max(24, span * 0.2);
  let first = 0;
  while (first < w && blank(first)) first++;
  let last = w - 1;
  while (last > first && blank(last)) last--;
  const gaps: Array<[number, number]> = [];
  const min = Math.max(2, WORD_GAP * h);
  for (let x = first; x <= last; ) {
    if (!blank(x)) {
      x++;
      continue;
    }
    const s = x;
    while (x <= last && blank(x)) x++;
    if (x - s >= min) gaps.push([s, x]);
  }
  return gaps;
}

const CJK = /[\u3000-\u9fff\uac00-\ud7af\uff00-\uffef]/;

/**
 * The decoded characters with spaces put back at word gaps. `steps[i]` is the CTC step that emitted
 * `chars[i]`; `stepWidth` is how many crop columns one step covers. A gap yields one space, between
 * the last character emitted before its middle and the first after, unless a space is already there
 * or either is CJK.
 */
export function spaceAtGaps(chars: readonly string[], steps: readonly number[], gaps: ReadonlyArray<[number, number]>, stepWidth: number): string {
  const spaceAfter = new Set<number>();
  for (const [a, b] of gaps) {
    const at = (a + b) / 2 / stepWidth - 0.5; // the step whose centre is the gap's middle
    let i = -1;
    while (i + 1 < steps.length && steps[i + 1]! < at) i++;
    if (i < 0 || i + 1 >= chars.length) continue;
    const l = chars[i]!;
    const r = chars[i + 1]!;
    if (l === ' ' || r === ' ' || CJK.test(l) || CJK.test(r)) continue;
    spaceAfter.add(i);
  }
  let out = '';
  chars.forEach((c, i) => {
    out += c;
    if (spaceAfter.has(i)) out += ' ';
  });
  return out;
}
