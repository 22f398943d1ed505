import { describe, expect, it } from 'vitest';
import { hasDuplicateKeys } from '../../../src/util/json-duplicate-keys.js';

describe('hasDuplicateKeys', () => {
  it('finds a key repeated in one object, at any depth and inside arrays', () => {
    expect(hasDuplicateKeys('{"title":"a","image":5,"image":"x.jpg"}')).toBe(true);
    expect(hasDuplicateKeys('{"a":{"b":1,"c":[{"d":1},{"d":2,"d":3}]}}')).toBe(true);
    expect(hasDuplicateKeys('{"doc":{"image":"x"},"doc":{"title":"y"}}')).toBe(true);
  });

  it('reads escapes as the engine does: "a" and "\\u0061" are one key', () => {
    expect(hasDuplicateKeys('{"a":1,"\\u0061":2}')).toBe(true);
    expect(hasDuplicateKeys('{"a\\"b":1,"a\\\\":2}')).toBe(false);
  });

  it('is not fooled by keys in other objects, by string values, or by keys spelled inside strings', () => {
    expect(hasDuplicateKeys('{"a":{"x":1},"b":{"x":2},"c":[{"x":1},{"x":1}]}')).toBe(false);
    expect(hasDuplicateKeys('{"a":"a","b":["a","a"],"c":"{\\"d\\":1,\\"d\\":2}"}')).toBe(false);
    expect(hasDuplicateKeys('{ "a" : 1 ,\n "b" : { } , "c" : [ ] }')).toBe(false);
  });

  it('answers false for what is not JSON (the engine reports that itself) and never recurses', () => {
    expect(hasDuplicateKeys('{"a":')).toBe(false);
    expect(hasDuplicateKeys('{"a')).toBe(false);
    const deep = `${'{"a":'.repeat(100_000)}1${'}'.repeat(100_000)}`;
    expect(hasDuplicateKeys(deep)).toBe(false);
    expect(hasDuplicateKeys(`${'['.repeat(100_000)}{"k":1,"k":2}${']'.repeat(100_000)}`)).toBe(true);
  });
});
