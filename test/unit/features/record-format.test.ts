/**
 * The feature record's format: a key changes with any producer parameter (and not with key order),
 * a packed record comes back as it went in, and nothing a client or an index could hand back — junk,
 * truncated or foreign data — makes reading a record throw: it is "not a record", with a reason.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { contentId, packRecord, parseRecord, partKey, RECORD_SCHEMA_VERSION, unpackRecord, type FeatureRecord } from '../../../src/features/record/index.js';
import { toFloat16Base64 } from '../../../src/util/vector-codec.js';

const vec = (n: number, seed = 1) => toFloat16Base64(Float32Array.from({ length: n }, (_, i) => Math.sin(seed * (i + 1))));

const record: FeatureRecord = {
  v: RECORD_SCHEMA_VERSION,
  text: { k: partKey('text', { text: 'bge@1' }), h: contentId('hello'), p: vec(384), q: vec(384, 2) },
  image: { k: partKey('image', { a: 1 }), r: contentId('/x.jpg'), e: vec(1280), vp: vec(384, 3), pt: 'a photo of a cat. tabby', br: vec(384, 4), c: ['tabby'] },
};

describe('feature record format', () => {
  it('keys change with every producer parameter, not with key order', () => {
    const base = partKey('video', { text: 'bge@1', fps: 1, maxFrames: 16 });
    expect(partKey('video', { maxFrames: 16, fps: 1, text: 'bge@1' })).toBe(base);
    expect(partKey('video', { text: 'bge@2', fps: 1, maxFrames: 16 })).not.toBe(base);
    expect(partKey('video', { text: 'bge@1', fps: 2, maxFrames: 16 })).not.toBe(base);
    expect(partKey('video', { text: 'bge@1', fps: 1, maxFrames: 8 })).not.toBe(base);
    expect(partKey('image', { text: 'bge@1', fps: 1, maxFrames: 16 })).not.toBe(base);
  });

  it('a packed record unpacks to the same record, and is smaller than its JSON', () => {
    const packed = packRecord(record);
    expect(parseRecord(unpackRecord(packed))).toEqual({ record });
    expect(unpackRecord([packed])).toEqual(record); // a stored field comes back as an array
    expect(packed.length).toBeLessThan(JSON.stringify(record).length);
  });

  it('another schema version or a malformed part is not a record, with the reason', () => {
    expect(parseRecord({ ...record, v: RECORD_SCHEMA_VERSION + 1 }).invalid).toMatch(/version/);
    expect(parseRecord({ ...record, text: { ...record.text, p: 'not base64!' } }).invalid).toMatch(/text\.p/);
    expect(parseRecord(undefined)).toEqual({});
  });

  it('junk never throws: unpack gives undefined or a value parse refuses with a reason', () => {
    fc.assert(
      fc.property(fc.oneof(fc.string(), fc.base64String(), fc.anything()), (x) => {
        const u = unpackRecord(x);
        const p = parseRecord(u ?? x);
        expect(p.record === undefined || p.record.v === RECORD_SCHEMA_VERSION).toBe(true);
        // stored bytes that are no packed record are refused with a reason, never taken for "none" (probe round 13e)
        if (typeof x === 'string' && x !== '' && p.record === undefined) expect(parseRecord(u).invalid).toBeTruthy();
      }),
      { numRuns: 500 },
    );
  });
});
