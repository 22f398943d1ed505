/**
 * The record signature kept beside each stored record (rerank/records/keys.ts): the same for the
 * same configuration, different as soon as any part key, the chunking, the video sampling, OCR or
 * the query-side vectors or the source fields differ — so backfill's `term` query finds every record made otherwise.
 */
import { describe, expect, it } from 'vitest';
import { recordSignature, type RecordKeys, type RecordShape } from '../../../src/rerank/records/keys.js';

/** Part keys as recordKeys makes them: the text key names the chunking it was made with. */
const textKeys = (t: string): Pick<RecordKeys, 'text' | 'textFor'> => ({ text: t, textFor: (c) => (c ? `${t}-chunks-${c.maxTokens}-${c.overlap}` : t) });
const keys: RecordKeys = { ...textKeys('t1'), image: 'i1', video: (fps, mf) => `v-${fps}-${mf}` };
const shape: RecordShape = { image: true, video: true, fps: 1, maxFrames: 16, ocr: false, queryVectors: true };

describe('record signature', () => {
  it('is stable for one configuration and changes with each thing that made the record', () => {
    const base = recordSignature(keys, shape);
    expect(recordSignature({ ...keys }, { ...shape })).toBe(base);
    const variants = [
      recordSignature({ ...keys, ...textKeys('t2') }, shape),
      recordSignature(keys, { ...shape, chunking: { maxTokens: 512, overlap: 128, aggregate: 'max', firstIsWhole: true } as NonNullable<RecordShape['chunking']> }),
      recordSignature({ ...keys, image: 'i2' }, shape),
      recordSignature(keys, { ...shape, fps: 2 }),
      recordSignature(keys, { ...shape, maxFrames: 8 }),
      recordSignature(keys, { ...shape, ocr: true }),
      recordSignature(keys, { ...shape, queryVectors: false }),
      recordSignature(keys, { ...shape, video: false }),
      // the fields the record was read from (held-out probe round 6: backfill took a record of
      // [title, text] for current under a pipeline that reads [text])
      recordSignature(keys, { ...shape, sources: { text: ['title', 'text'], image: ['image'], video: [] } }),
      recordSignature(keys, { ...shape, sources: { text: ['text'], image: ['image'], video: [] } }),
      recordSignature(keys, { ...shape, sources: { text: ['text', 'title'], image: ['image'], video: [] } }),
    ];
    expect(new Set([base, ...variants]).size).toBe(variants.length + 1);
  });

  it('holds the OCR text field (ingest.ocr_text) only where OCR runs on an image: other signatures stay as they were', () => {
    const withOcr = { ...shape, ocr: true };
    // feat23o: a document written before the setting lacks the field, so its record is stale once (backfill fills it)
    expect(recordSignature(keys, { ...withOcr, ocrText: 'shot_text' })).not.toBe(recordSignature(keys, withOcr));
    expect(recordSignature(keys, { ...withOcr, ocrText: 'shot_text' })).not.toBe(recordSignature(keys, { ...withOcr, ocrText: 'page_text' }));
    // no OCR (nothing to write) or no image: the signature of the pipeline without the setting
    expect(recordSignature(keys, { ...shape, ocrText: 'shot_text' })).toBe(recordSignature(keys, shape));
    expect(recordSignature(keys, { ...withOcr, image: false, ocrText: 'shot_text' })).toBe(recordSignature(keys, { ...withOcr, image: false }));
  });

  it('ignores what the pipeline does not hold (no video field: video sampling does not matter)', () => {
    const noVideo = { ...shape, video: false };
    expect(recordSignature(keys, { ...noVideo, fps: 5 })).toBe(recordSignature(keys, noVideo));
    expect(recordSignature(textKeys('t1'), { ...noVideo, image: false, ocr: true })).toBe(recordSignature(textKeys('t1'), { ...noVideo, image: false }));
  });
});
