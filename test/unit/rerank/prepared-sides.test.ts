/**
 * The kept document sides' own rules (rerank/prepared.ts), without models: a side is found again
 * only under the same shape, for the same text and reference, and — for a photo — only while the
 * media port gives the content hash it was built from (an unchanged file); a video or a photo
 * without its hash is never kept; the byte budget evicts the least recently used.
 */
import { describe, expect, it } from 'vitest';
import { PreparedSides, type KeptSide } from '../../../src/rerank/prepared.js';

const vec = (n: number, x = 1) => new Float32Array(n).fill(x);
const textSide = (): KeptSide => ({ side: { textPassageVec: vec(384) }, image: false, parts: 1, texts: 1 });
const photoSide = (hash: string): KeptSide => ({ side: { visualEmb: [vec(1280)], visualText: [vec(384)] }, contentHash: hash, image: true, parts: 2, texts: 1 });
const files = new Map<string, string>();
const media = { seenContentHash: (ref: string) => files.get(ref) };

describe('PreparedSides', () => {
  it('finds a text document again under the same shape only, by its exact text', () => {
    const s = new PreparedSides();
    const k = textSide();
    s.keep('a', { text: 'a red car' }, k);
    const found = s.find('a', [{ text: 'a red car' }, { text: 'a red car ' }], media);
    expect(found.found).toBe(1);
    expect(found.sides[0]).toBe(k);
    expect(found.sides[1]).toBeUndefined();
    expect(s.find('b', [{ text: 'a red car' }], media).found).toBe(0);
  });

  it('finds a photo only while its file has the content hash the side was built from', () => {
    const s = new PreparedSides();
    files.set('p.jpg', 'h1');
    s.keep('a', { image: 'p.jpg' }, photoSide('h1'));
    expect(s.find('a', [{ image: 'p.jpg' }], media).found).toBe(1);
    files.set('p.jpg', 'h2'); // the file changed (other size / mtime → the port reads it again)
    expect(s.find('a', [{ image: 'p.jpg' }], media).found).toBe(0);
    files.delete('p.jpg'); // changed and not read again yet: the port knows no hash
    expect(s.find('a', [{ image: 'p.jpg' }], media).found).toBe(0);
    expect(s.find('a', [{ image: 'p.jpg' }], {}).found).toBe(0); // a port that cannot check: nothing is used
  });

  it('keeps no video, and no photo without its content hash', () => {
    const s = new PreparedSides();
    s.keep('a', { video: 'v.mp4' }, textSide());
    s.keep('a', { image: 'q.jpg' }, { ...photoSide('h'), contentHash: undefined });
    expect(s.size).toBe(0);
  });

  it('stays within its byte budget, the least recently used out', () => {
    const s = new PreparedSides({ maxBytes: 4 * (384 * 4 + 600) });
    for (let i = 0; i < 10; i++) s.keep('a', { text: `t${i}` }, textSide());
    expect(s.size).toBeLessThanOrEqual(4);
    expect(s.find('a', [{ text: 't9' }], media).found).toBe(1);
    expect(s.find('a', [{ text: 't0' }], media).found).toBe(0);
  });
});
