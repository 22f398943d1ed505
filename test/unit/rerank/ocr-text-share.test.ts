// How much a document's OCR text counts against its image bridge (signals/ocr-text.ts, task ocr25).
import { describe, expect, it } from 'vitest';
import { ocrTextChars, ocrTextShare, weightsForOcrShare, OCR_TEXT_FLOOR, OCR_TEXT_FULL } from '../../../src/rerank/signals/ocr-text.js';
import { DEFAULT_WEIGHTS } from '../../../src/rerank/fusion.js';

describe('how much OCR text counts', () => {
  it('counts letters and digits only', () => {
    expect(ocrTextChars('Hello, world 42!\n—')).toBe(12);
  });
  it('is 0 up to the floor, 1 from the full amount, linear between', () => {
    expect(ocrTextShare(OCR_TEXT_FLOOR)).toBe(0);
    expect(ocrTextShare(OCR_TEXT_FULL)).toBe(1);
    expect(ocrTextShare(5000)).toBe(1);
    expect(ocrTextShare((OCR_TEXT_FLOOR + OCR_TEXT_FULL) / 2)).toBeCloseTo(0.5, 9);
  });
  it('moves ocr_text to text_text\'s weight and the image bridge to 0 as the share grows', () => {
    expect(weightsForOcrShare(DEFAULT_WEIGHTS, 0)).toBe(DEFAULT_WEIGHTS);
    const full = weightsForOcrShare(DEFAULT_WEIGHTS, 1);
    expect(full.ocr_text).toBe(DEFAULT_WEIGHTS.text_text);
    expect(full.text_image).toBe(0);
    const half = weightsForOcrShare(DEFAULT_WEIGHTS, 0.5);
    expect(half.ocr_text).toBeCloseTo((DEFAULT_WEIGHTS.ocr_text! + DEFAULT_WEIGHTS.text_text!) / 2, 9);
    expect(half.text_image).toBeCloseTo(DEFAULT_WEIGHTS.text_image! / 2, 9);
    // a pipeline that weighs OCR 0 keeps it at 0
    expect(weightsForOcrShare({ ...DEFAULT_WEIGHTS, ocr_text: 0 }, 1).ocr_text).toBe(0);
  });
});
