/**
 * A hit whose pipeline fields its index keeps out of `_source` is stood in for by its feature record
 * (rerank/records/use.ts `standInDocument`) only when the record can give everything the request
 * compares: parts made under the running keys (text model and chunking, image models, video
 * sampling), the query-side text vector for an image or video query, OCR when asked; never when a
 * CLIP model or the remote backend reads the document itself. Otherwise the reason, for the hit's
 * explanation. `storedFeatures` takes a stand-in's parts without the content check, and refuses one
 * whose record cannot give a part it names (never computed from the stand-in's placeholder).
 */
import { describe, expect, it } from 'vitest';
import { encodeVector, encodeVisual, RECORD_SCHEMA_VERSION } from '../../../src/features/record/index.js';
import { standInDocument, storedFeatures, type StandInContext } from '../../../src/rerank/records/use.js';
import type { RecordKeys } from '../../../src/rerank/records/keys.js';
import type { RequestPlan } from '../../../src/rerank/stages/request.js';

const keys: RecordKeys = { text: 'kt', textFor: (c) => (c ? `kt-${c.maxTokens}` : 'kt'), image: 'ki', video: (fps, mf) => `kv-${fps}-${mf}` };
const vec = encodeVector(new Float32Array([0.6, 0.8]));
const frame = encodeVisual({ embedding: new Float32Array([1, 0]), passage: new Float32Array([0, 1]), passageText: 'a photo of oats', bridge: new Float32Array([1, 0]), concepts: ['oat'] });
const ctx: StandInContext = { qHasText: true, qHasVisual: false, fps: 1, maxFrames: 32, ocr: false, clip: false, remote: false };
const text = { k: 'kt', h: 'whatever', p: vec };
const rec = (parts: object) => ({ v: RECORD_SCHEMA_VERSION, ...parts });

describe('a feature record standing in for a document kept out of _source', () => {
  it('stands in with every part current, naming only the parts it has', () => {
    expect(standInDocument(rec({ text }), keys, ctx)).toEqual({ document: { text: '' } });
    expect(standInDocument(rec({ text, image: { ...frame, k: 'ki', r: 'ref' } }), keys, ctx)).toEqual({ document: { text: '', image: 'record:ref' } });
    expect(standInDocument(rec({ video: { k: 'kv-1-32', r: 'vid', fps: 1, mf: 32, t: [0], f: [frame] } }), keys, ctx)).toEqual({ document: { video: 'record:vid' } });
  });

  it('says why it cannot', () => {
    const why = (x: unknown, c: Partial<StandInContext> = {}) => (standInDocument(x, keys, { ...ctx, ...c }) as { reason?: string }).reason;
    expect(why(undefined)).toBe('it has no feature record');
    expect(why({ v: 99 })).toMatch(/^its feature record is unusable \(feature-schema version 99/);
    expect(why(rec({}))).toBe('its feature record holds no part');
    expect(why(rec({ text: { ...text, k: 'other' } }))).toMatch(/text part was made by another text model or chunking/);
    expect(why(rec({ text }), { chunking: { maxTokens: 64, overlap: 8, aggregate: 'max', maxChunks: 32, firstIsWhole: false } })).toMatch(/text part was made by another text model or chunking/);
    expect(why(rec({ text }), { qHasVisual: true })).toMatch(/holds no query-side vector/);
    expect(why(rec({ text: { ...text, p: 'AAAA' } }))).toMatch(/^its feature record is unusable/);
    expect(why(rec({ image: { ...frame, k: 'old', r: 'ref' } }))).toMatch(/image part was made by other models/);
    expect(why(rec({ image: { ...frame, k: 'ki', r: 'ref' } }), { ocr: true })).toMatch(/holds no OCR/);
    expect(why(rec({ image: { ...frame, k: 'ki', r: 'ref' } }), { clip: true })).toMatch(/CLIP model reads the image itself/);
    expect(why(rec({ video: { k: 'kv-2-32', r: 'vid', fps: 2, mf: 32, t: [0], f: [frame] } }))).toMatch(/video part was made by other models or sampling/);
    expect(why(rec({ text }), { remote: true })).toBe('the remote backend reads each document itself');
  });

  it('storedFeatures takes a stand-in without the content check, and refuses one its record cannot fill', () => {
    const plan = (documents: object[]) => ({ req: { documents }, useLocal: true }) as unknown as RequestPlan;
    const trusted = storedFeatures(plan([{ text: '' }]), [rec({ text })], keys, [true]);
    expect(trusted.used).toBe(1);
    expect(trusted.docs[0]?.text?.passage).toBeDefined();
    // the same record for a document of that text: its content check rejects it
    const checked = storedFeatures(plan([{ text: '' }]), [rec({ text })], keys);
    expect(checked.used).toBe(0);
    expect(checked.firstRejection).toMatch(/made from another text/);
    expect(() => storedFeatures(plan([{ text: '', image: 'record:x' }]), [rec({ text })], keys, [true])).toThrow(/documents\[0\] stands in for a feature record that cannot give every part it names/);
  });
});

// ocr25 changed how OCR reads a line (spaces put back, upside-down lines read both ways): a record's
// OCR text read before says so by lacking the reading (or naming another), and is recomputed where
// OCR is asked — its image part's key is unchanged, so records of pipelines without OCR stay current.
describe("a record's OCR text read another way", () => {
  const reading: RecordKeys = { ...keys, ocrReading: 'gaps:0.25;flipped:both' };
  const image = (ocr: object) => rec({ image: { ...frame, k: 'ki', r: 'ref', ocr } });
  const plan = { req: { documents: [{ image: 'record:ref' }] }, useLocal: true, ocr: true } as unknown as RequestPlan;

  it('is not stood in for, and says why', () => {
    const why = (x: unknown) => (standInDocument(x, reading, { ...ctx, ocr: true }) as { reason?: string }).reason;
    expect(why(image({ t: 'OAT DRINK' }))).toMatch(/OCR text was read another way/);
    expect(why(image({ t: 'OAT DRINK', g: 'gaps:0.3' }))).toMatch(/OCR text was read another way/);
    expect(standInDocument(image({ t: 'OAT DRINK', g: 'gaps:0.25;flipped:both' }), reading, { ...ctx, ocr: true })).toEqual({ document: { image: 'record:ref' } });
    // OCR not asked: the image part serves as it is
    expect(standInDocument(image({ t: 'OAT DRINK' }), reading, ctx)).toEqual({ document: { image: 'record:ref' } });
  });

  it('storedFeatures refuses its image part where OCR is asked, takes it read the current way', () => {
    expect(() => storedFeatures(plan, [image({ t: 'OATDRINK' })], reading, [true])).toThrow(/holds no OCR read as this OCR reads/);
    const current = storedFeatures(plan, [image({ t: 'OAT DRINK', g: 'gaps:0.25;flipped:both' })], reading, [true]);
    expect(current.docs[0]?.image?.ocrText).toBe('OAT DRINK');
  });
});
