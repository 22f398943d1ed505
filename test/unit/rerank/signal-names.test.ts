/**
 * Weights name signals: a name that is no signal (`text_txt`) was accepted and never read, so the
 * weight meant for a signal silently did nothing (held-out probe round 7). A request's `weights`
 * with such a name is a 400 naming it and the signals there are; known names pass.
 */
import { describe, expect, it } from 'vitest';
import { DEFAULT_WEIGHTS, SIGNAL_NAMES, unknownSignals } from '../../../src/rerank/fusion.js';
import { validateRerankInput } from '../../../src/rerank/types.js';
import { VlrerankError } from '../../../src/errors.js';

const LIMITS = { maxDocuments: 100 };

function rejectionSync(f: () => unknown): VlrerankError {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(VlrerankError);
    return e as VlrerankError;
  }
  throw new Error('expected a throw');
}

describe('signal names in weights', () => {
  it('every default weight is a signal name, and nothing else is', () => {
    expect(SIGNAL_NAMES).toEqual(Object.keys(DEFAULT_WEIGHTS));
    expect(unknownSignals({ text_text: 1, image_ocr_text: 0 })).toEqual([]);
    expect(unknownSignals({ text_txt: 1, TEXT_TEXT: 1, toString: 1 })).toEqual(['text_txt', 'TEXT_TEXT', 'toString']);
  });

  it('a request weighting an unknown signal is a 400 naming it', () => {
    const e = rejectionSync(() => validateRerankInput({ query: 'oat milk', documents: ['a'], weights: { text_text: 1, text_imag: 0.4 } }, LIMITS));
    expect(e.code).toBe('VLR_BAD_REQUEST');
    expect(e.status).toBe(400);
    expect(e.message).toMatch(/^\[weights\.text_imag\] unknown signal "text_imag"; one of text_text, text_image, /);
  });

  it('known names pass', () => {
    expect(validateRerankInput({ query: 'oat milk', documents: ['a'], weights: { text_text: 2, text_image: 0 } }, LIMITS).weights).toEqual({ text_text: 2, text_image: 0 });
  });
});
