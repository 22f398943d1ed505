// The stored form of a feature part: every kind round-trips (structure exact, vectors within
// float16), a score from a stored vector equals the float32 one within STORED_SCORE_TOLERANCE, and
// bytes the codec did not write are refused with a RangeError (a tier counts them and recomputes).
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { decodePart, encodePart, STORED_SCORE_TOLERANCE } from '../../../src/features/store/codec.js';
import type { Part } from '../../../src/features/parts.js';
import { dot, l2normalize } from '../../../src/util/vector.js';

function unit(n: number, seed: number): Float32Array {
  const v = new Float32Array(n);
  let x = seed;
  for (let i = 0; i < n; i++) {
    x = (x * 1103515245 + 12345) % 2 ** 31;
    v[i] = x / 2 ** 30 - 1;
  }
  return l2normalize(v);
}

const frame = (seed: number) => ({
  embedding: unit(1280, seed),
  logits: unit(1000, seed + 1).map((x) => x * 40),
  probs: unit(1000, seed + 2).map((x) => x * x),
  topConcepts: [{ index: 967, label: 'espresso', prob: 0.83, logit: 9.5 }],
  detections: [{ label: 'cup', classIndex: 41, score: 0.7, box: [1.5, 2, 30, 40] }],
});

/** Structure exactly equal; each float within float16's relative precision (2^-11, rounded to nearest). */
function expectClose(got: unknown, want: unknown, at = '$'): void {
  if (want instanceof Float32Array) {
    expect(got, at).toBeInstanceOf(Float32Array);
    const g = got as Float32Array;
    expect(g.length, at).toBe(want.length);
    for (let i = 0; i < want.length; i++) expect(Math.abs(g[i]! - want[i]!), `${at}[${i}]`).toBeLessThanOrEqual(Math.abs(want[i]!) * 2 ** -11 + 6e-8);
  } else if (want && typeof want === 'object') {
    const keys = Object.keys(want).filter((k) => (want as Record<string, unknown>)[k] !== undefined);
    expect(Object.keys(got as object).sort(), at).toEqual(keys.sort());
    for (const k of keys) expectClose((got as Record<string, unknown>)[k], (want as Record<string, unknown>)[k], `${at}.${k}`);
  } else expect(got, at).toEqual(want);
}

describe('feature part codec', () => {
  it('round-trips every kind: structure exact, vectors within float16', () => {
    const parts: Part[] = [
      { kind: 'classify', value: { embedding: unit(1280, 1), logits: unit(1000, 2), probs: unit(1000, 3), topConcepts: [{ index: 1, label: 'goldfish', prob: 0.5 } as never] } },
      { kind: 'detect', value: [{ label: 'person', score: 0.9, box: [1, 2, 3, 4] } as never] },
      { kind: 'ocr', value: [{ text: 'OAT MILK', score: 0.8 } as never] },
      { kind: 'text', value: unit(384, 4) },
      { kind: 'video', value: { frames: [frame(5), frame(9)] as never, times: [0, 1.5], embedding: unit(1280, 6), duration: 3.2 } },
    ];
    for (const p of parts) {
      // as a tier hands it back: a Buffer at an odd offset of a larger pool (lmdb, ioredis)
      const raw = encodePart(p);
      const pool = Buffer.alloc(raw.byteLength + 11, 0xee);
      pool.set(raw, 5);
      const back = decodePart(pool.subarray(5, 5 + raw.byteLength));
      expect(back.kind).toBe(p.kind);
      expectClose(back, p);
    }
    // logits and probabilities are kept exactly (they rank concepts; float16 flips near-ties)
    const cls = decodePart(encodePart(parts[0]!)) as Extract<Part, { kind: 'classify' }>;
    const orig = parts[0]!.value as Extract<Part, { kind: 'classify' }>['value'];
    expect(Array.from(cls.value.logits)).toEqual(Array.from(orig.logits));
    expect(Array.from(cls.value.probs)).toEqual(Array.from(orig.probs));
    // compact: the 1280-d embedding in float16, 2×1000 class scores in float32 (~10.6 kB, not ~13 kB)
    expect(encodePart(parts[0]!).byteLength).toBeLessThan(2 * 1280 + 4 * 2000 + 400);
  });

  it('keeps a cosine score within the stated tolerance (any unit vectors)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 2 ** 30 }), fc.integer({ min: 1, max: 2 ** 30 }), fc.constantFrom(384, 1280), (a, b, n) => {
        const doc = unit(n, a);
        const query = unit(n, b);
        const stored = decodePart(encodePart({ kind: 'text', value: doc })) as Extract<Part, { kind: 'text' }>;
        expect(Math.abs(dot(stored.value, query) - dot(doc, query))).toBeLessThanOrEqual(STORED_SCORE_TOLERANCE);
        expect(dot(stored.value, doc)).toBeGreaterThan(1 - 1e-3);
      }),
      { numRuns: 200 },
    );
  });

  it('refuses bytes it did not write: foreign, truncated, another version', () => {
    const good = encodePart({ kind: 'text', value: unit(16, 7) });
    expect(() => decodePart(new Uint8Array([1, 2, 3]))).toThrow(RangeError);
    expect(() => decodePart(good.subarray(0, good.byteLength - 2))).toThrow(RangeError);
    for (const version of [1, 3]) {
      const other = good.slice();
      other[3] = version; // 1: format 1, without a checksum
      expect(() => decodePart(other)).toThrow(RangeError);
    }
    expect(() => decodePart(Buffer.from('{"kind":"text"}'))).toThrow(RangeError);
  });

  it('refuses a part with any byte of its header or vectors garbled (a flipped vector byte decoded as a plausible vector before)', () => {
    const good = encodePart({ kind: 'text', value: unit(384, 11) });
    fc.assert(
      fc.property(fc.integer({ min: 12, max: good.byteLength - 1 }), fc.integer({ min: 1, max: 255 }), (at, flip) => {
        const bad = good.slice();
        bad[at]! ^= flip;
        expect(() => decodePart(bad)).toThrow(RangeError);
      }),
      { numRuns: 300 },
    );
  });
});
