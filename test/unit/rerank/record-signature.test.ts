/**
 * The record signature kept beside each stored record (rerank/records/keys.ts): the same for the
 * same configuration, different as soon as any part key, the video sampling, OCR or the
 * query-side vectors differ — so backfill's `term` query finds every record made otherwise.
 */
import { describe, expect, it } from 'vitest';
import { recordSignature, type RecordKeys, type RecordShape } from '../../../src/rerank/records/keys.js';

const keys: RecordKeys = { text: 't1', image: 'i1', video: (fps, mf) => `v-${fps}-${mf}` };
const shape: RecordShape = { image: true, video: true, fps: 1, maxFrames: 16, ocr: false, queryVectors: true };

describe('record signature', () => {
  it('is stable for one configuration and changes with each thing that made the record', () => {
    const base = recordSignature(keys, shape);
    expect(recordSignature({ ...keys }, { ...shape })).toBe(base);
    const variants = [
      recordSignature({ ...keys, text: 't2' }, shape),
      recordSignature({ ...keys, image: 'i2' }, shape),
      recordSignature(keys, { ...shape, fps: 2 }),
      recordSignature(keys, { ...shape, maxFrames: 8 }),
      recordSignature(keys, { ...shape, ocr: true }),
      recordSignature(keys, { ...shape, queryVectors: false }),
      recordSignature(keys, { ...shape, video: false }),
    ];
    expect(new Set([base, ...variants]).size).toBe(variants.length + 1);
  });

  it('ignores what the pipeline does not hold (no video field: video sampling does not matter)', () => {
    const noVideo = { ...shape, video: false };
    expect(recordSignature(keys, { ...noVideo, fps: 5 })).toBe(recordSignature(keys, noVideo));
    expect(recordSignature({ text: 't1' }, { ...noVideo, image: false, ocr: true })).toBe(recordSignature({ text: 't1' }, { ...noVideo, image: false }));
  });
});
