import { Float16Array, getFloat16, setFloat16 } from '@petamoriken/float16';
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

  it('decodes every float16 bit pattern to the value the library gives it', () => {
    const bytes = new Uint8Array(65536 * 2);
    const view = new DataView(bytes.buffer);
    for (let b = 0; b < 65536; b++) view.setUint16(b * 2, b, true);
    const all = fromFloat16Bytes(bytes);
    for (let b = 0; b < 65536; b++) {
      const want = getFloat16(view, b * 2, true);
      if (Number.isNaN(want)) expect(Number.isNaN(all[b]!)).toBe(true);
      else expect(Object.is(all[b], want)).toBe(true);
    }
  });

  it('encodes a whole vector to the bytes setFloat16 writes per component (rounding, overflow, subnormals)', () => {
    const v = randomUnit(1280, 5).map((x, i) => x * (1 + (i % 9) * 700));
    v.set([65519, 65520, -1e6, 1e-8, -0, Infinity, 2 ** -25, 3 * 2 ** -25, 6.1e-5], 0);
    const want = new Uint8Array(v.length * 2);
    const view = new DataView(want.buffer);
    for (let i = 0; i < v.length; i++) setFloat16(view, i * 2, v[i]!, true);
    expect(Buffer.from(toFloat16Bytes(v)).equals(Buffer.from(want))).toBe(true);
  });

  it('encodes every sign, exponent and low mantissa pattern to the bits the library writes (its rounding, NaN, infinities, subnormals)', () => {
    // the rounding reads the 13 (normal) or up to 24 (subnormal) bits dropped: every low 14-bit
    // pattern at the exponents where float16 starts, ends and turns subnormal, a sample elsewhere
    const edges = new Set([0, 100, 101, 102, 103, 104, 110, 111, 112, 113, 114, 115, 127, 140, 141, 142, 143, 144, 254, 255]);
    const words: number[] = [];
    let seed = 7;
    const rnd = (n: number) => ((seed = (seed * 1103515245 + 12345) % 2 ** 31), seed % n);
    for (let sign = 0; sign < 2; sign++) {
      for (let e = 0; e < 256; e++) {
        const count = edges.has(e) ? 1 << 14 : 256;
        for (let j = 0; j < count; j++) {
          const low = edges.has(e) ? j : rnd(1 << 14);
          words.push(((sign << 31) | (e << 23) | (rnd(512) << 14) | low) >>> 0);
        }
      }
    }
    const v = new Float32Array(Uint32Array.from(words).buffer);
    const want = new Uint8Array(new Float16Array(v).buffer);
    const got = toFloat16Bytes(v);
    expect(got.byteLength).toBe(want.byteLength);
    expect(Buffer.from(got).equals(Buffer.from(want))).toBe(true);
    // a view into a larger buffer encodes its own components only
    const inner = v.subarray(5, 9);
    expect(Array.from(toFloat16Bytes(inner))).toEqual(Array.from(want.subarray(10, 18)));
  });
});
