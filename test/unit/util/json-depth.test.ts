/**
 * The JSON depth scan that guards every body vlrerank parses: exact depths for objects, arrays,
 * NDJSON and brackets inside strings (escaped quotes included), the scan stopping past its limit,
 * and a 100,000-deep body refused with VLR_JSON_TOO_DEEP instead of a stack overflow.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { assertJsonDepth, jsonDepth, parseJsonBounded } from '../../../src/util/json-depth.js';
import { VlrerankError } from '../../../src/errors.js';

function nested(n: number): string {
  return '['.repeat(n) + ']'.repeat(n);
}

/** Reference depth of a parsed value, written recursively (fine for the small values fast-check makes). */
function refDepth(v: unknown): number {
  if (Array.isArray(v)) return 1 + Math.max(0, ...v.map(refDepth));
  if (v !== null && typeof v === 'object') return 1 + Math.max(0, ...Object.values(v).map(refDepth));
  return 0;
}

describe('jsonDepth', () => {
  it('counts objects and arrays, not brackets inside strings', () => {
    expect(jsonDepth('1')).toBe(0);
    expect(jsonDepth('{}')).toBe(1);
    expect(jsonDepth('{"a":[{"b":1}]}')).toBe(3);
    expect(jsonDepth('{"a":"[[[{{{"}')).toBe(1);
    expect(jsonDepth('{"a":"\\"[[[","b":[]}')).toBe(2);
    expect(jsonDepth('{"a":1}\n{"b":[2]}\n')).toBe(2); // NDJSON: the deepest line
    // runs of backslashes before a quote: even → the quote closes the string, odd → it is escaped
    expect(jsonDepth(JSON.stringify({ a: '\\', b: [[1]] }))).toBe(3);
    expect(jsonDepth(JSON.stringify({ a: '\\\"[[', b: [1] }))).toBe(2);
    expect(jsonDepth(JSON.stringify(['\\\\"]]', [['x']]]))).toBe(3);
  });

  it('agrees with a reference walk on values whose strings are full of quotes, backslashes and brackets', () => {
    const tricky = fc.string({ unit: fc.constantFrom('"', '\\', '[', ']', '{', '}', 'a'), maxLength: 12 });
    fc.assert(
      fc.property(fc.letrec((tie) => ({ v: fc.oneof({ depthSize: 'small' }, tricky, fc.array(tie('v'), { maxLength: 3 }), fc.dictionary(tricky, tie('v'), { maxKeys: 3 })) })).v, (v) => {
        expect(jsonDepth(JSON.stringify(v))).toBe(refDepth(v));
      }),
      { numRuns: 500 },
    );
  });

  it('agrees with a reference walk on any JSON value', () => {
    fc.assert(
      fc.property(fc.jsonValue({ maxDepth: 8 }), (v) => {
        expect(jsonDepth(JSON.stringify(v))).toBe(refDepth(v));
      }),
      { numRuns: 300 },
    );
  });

  it('stops once past the limit', () => {
    expect(jsonDepth(nested(5000), 1000)).toBe(1001);
  });

  it('refuses a 100,000-deep body with VLR_JSON_TOO_DEEP, and parses one at the limit', () => {
    let err: unknown;
    try {
      parseJsonBounded(nested(100_000), 1000);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(VlrerankError);
    expect((err as VlrerankError).code).toBe('VLR_JSON_TOO_DEEP');
    expect((err as VlrerankError).status).toBe(400);
    expect(() => assertJsonDepth(nested(1000), 1000)).not.toThrow();
    expect(JSON.stringify(parseJsonBounded(nested(1000), 1000))).toBe(nested(1000));
  });
});
