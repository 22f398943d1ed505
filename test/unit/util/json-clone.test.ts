/**
 * cloneJson, the copy the search room takes of a parsed body before it strips and rewrites it:
 * equal to the original for any JSON value, independent of it (changing the copy's containers
 * leaves the original as it was), a JSON key "__proto__" kept as an own property, and a body
 * nested 100,000 deep copied without recursion.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { cloneJson } from '../../../src/util/json-clone.js';

describe('cloneJson', () => {
  it('equals the original and shares no container with it', () => {
    fc.assert(
      fc.property(fc.jsonValue({ maxDepth: 8 }), (v) => {
        const c = cloneJson(v);
        expect(c).toEqual(v);
        if (v !== null && typeof v === 'object') {
          expect(c).not.toBe(v);
          const before = JSON.stringify(v);
          if (Array.isArray(c)) c.push('changed');
          else (c as Record<string, unknown>).changed = 1;
          expect(JSON.stringify(v)).toBe(before);
        }
      }),
      { numRuns: 300 },
    );
  });

  it('keeps a "__proto__" key an own property, as JSON.parse does', () => {
    const v = JSON.parse('{"__proto__": {"polluted": 1}, "a": [{"__proto__": 2}]}') as Record<string, unknown>;
    const c = cloneJson(v);
    expect(Object.keys(c)).toEqual(['__proto__', 'a']);
    expect(Object.getPrototypeOf(c)).toBe(Object.prototype);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(JSON.stringify(c)).toBe(JSON.stringify(v));
  });

  it('copies a value nested 100,000 levels deep without recursing', () => {
    const deep = JSON.parse('['.repeat(100_000) + ']'.repeat(100_000)) as unknown[];
    const c = cloneJson(deep);
    let a: unknown = c;
    let n = 0;
    while (Array.isArray(a) && a.length) (a = a[0]), n++;
    expect(n).toBe(99_999);
  });
});
