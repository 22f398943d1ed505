import { describe, expect, it } from 'vitest';
import { fromFloat16Base64, fromFloat16Bytes, toFloat16Base64, toFloat16Bytes } from '../../../src/util/vector-codec.js';
import { dot, normalize } from '../../../src/util/vector.js';

function randomUnit(dim: number, seed: number): Float32Array {
  let s = seed;
  const v = new Float32Array(dim);
  for (let i = 0; i < dim; i++) {
    s = (s * 1103515245 + 12345) % 2 ** 31;
    v[i] = s / 2 ** 30 - 1;
  }
  return normalize(v);
}

describe('float16 vector codec', () => {
  it('round-trips exactly representable values bit for bit', () => {
    const v = Float32Array.from([0, 1, -1, 0.5, -2, 65504, 2 ** -14]);
    expect(Array.from(fromFloat16Bytes(toFloat16Bytes(v)))).toEqual(Array.from(v));
  });

  it('writes 2 little-endian bytes per component', () => {
    const bytes = toFloat16Bytes(Float32Array.from([1]));
    expect(Array.from(bytes)).toEqual([0x00, 0x3c]);
  });

  it('keeps the cosine of a unit vector against a float32 query within 1e-3 (dims of our models)', () => {
    for (const dim of [384, 1280]) {
      for (let seed = 1; seed <= 20; seed++) {
        const doc = randomUnit(dim, seed);
        const query = randomUnit(dim, seed + 1000);
        const back = fromFloat16Base64(toFloat16Base64(doc), dim);
        expect(Math.abs(dot(back, query) - dot(doc, query))).toBeLessThan(1e-3);
      }
    }
  });

  it('refuses a wrong dimension and an odd byte length', () => {
    const s = toFloat16Base64(new Float32Array(8));
    expect(() => fromFloat16Base64(s, 9)).toThrow(/9-dimensional/);
    expect(() => fromFloat16Bytes(new Uint8Array(3))).toThrow(/even/);
  });

  it('decodes bytes at an odd offset (a view into a larger buffer) as it decodes aligned ones', () => {
    const v = randomUnit(384, 11);
    const bytes = toFloat16Bytes(v);
    const shifted = new Uint8Array(bytes.byteLength + 1);
    shifted.set(bytes, 1);
    const aligned = fromFloat16Bytes(bytes);
    expect(Array.from(fromFloat16Bytes(shifted.subarray(1)))).toEqual(Array.from(aligned));
    // and the values are the ones written (float16 of each component)
    for (let i = 0; i < v.length; i++) expect(Math.abs(aligned[i]! - v[i]!)).toBeLessThan(1e-3);
  });
});
