/**
 * A document's fields are its own keys (held-out probe round 21c): a pipeline field named like a
 * member every object inherits (`toString`, `constructor`, `__proto__`) read the inherited member
 * (a function scored as the text of every document lacking the field), and a vector field
 * `__proto__.v` written at ingest stepped into Object.prototype — the vectors then showed on every
 * object of the process, for every later request, and were not in the document.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { setPath, valuesAt } from '../../../src/pipelines/document.js';

afterEach(() => {
  delete (Object.prototype as Record<string, unknown>).v; // a failing run must not spoil the others
});

describe('document fields are own keys', () => {
  it('reads no inherited member as a field', () => {
    expect(valuesAt({ title: 'x' }, 'toString')).toEqual([]);
    expect(valuesAt({ title: 'x' }, 'constructor')).toEqual([]);
    expect(valuesAt({ title: 'x' }, '__proto__')).toEqual([]);
    expect(valuesAt({ meta: { a: 1 } }, 'meta.hasOwnProperty')).toEqual([]);
  });

  it('reads such fields when the document has them (as the engine stores them)', () => {
    const doc = JSON.parse('{"toString":"a","constructor":{"name":"b"},"__proto__":{"v":"c"}}');
    expect(valuesAt(doc, 'toString')).toEqual(['a']);
    expect(valuesAt(doc, 'constructor.name')).toEqual(['b']);
    expect(valuesAt(doc, '__proto__.v')).toEqual(['c']);
  });

  it('writes a vector under `__proto__.v` into the document, not into Object.prototype', () => {
    const doc: Record<string, unknown> = { title: 'x' };
    setPath(doc, '__proto__.v', [0.1, 0.2]);
    expect((Object.prototype as Record<string, unknown>).v).toBeUndefined();
    expect(({} as Record<string, unknown>).v).toBeUndefined();
    expect(JSON.parse(JSON.stringify(doc))).toEqual(JSON.parse('{"title":"x","__proto__":{"v":[0.1,0.2]}}'));
    const top: Record<string, unknown> = {};
    setPath(top, '__proto__', 1);
    expect(Object.getPrototypeOf(top)).toBe(Object.prototype);
    expect(JSON.stringify(top)).toBe('{"__proto__":1}');
  });

  it('still writes dotted paths and keys holding the dots as before', () => {
    const doc: Record<string, unknown> = { 'a.b': 1, c: { d: 2 } };
    setPath(doc, 'a.b', 3);
    setPath(doc, 'c.e', 4);
    setPath(doc, 'f.g.h', 5);
    expect(doc).toEqual({ 'a.b': 3, c: { d: 2, e: 4 }, f: { g: { h: 5 } } });
  });
});
