/**
 * A JSON value vlrerank parsed and changed is written back with what the client sent kept: numbers
 * JSON.stringify would write otherwise (longs past 2^53, `-0.0`, `1.0`, exponents, 19 digits) and
 * strings with escapes it would not keep, wherever the value there is unchanged; what vlrerank added
 * or changed is JSON.stringify's (held-out probe round 21a).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { bindTokens, holdsTokens, sameTokens, sentTokens, stringifyAnswer, stringifyAsSent } from '../../../src/util/json-tokens.js';

describe('stringifyAsSent', () => {
  it('keeps every token the client sent where the value is unchanged', () => {
    const text = '{"id":1234567890123456789,"v":[-0.0,1.0,2.5E-1,-0.2672612419124243965,true,null],"n":{"x":9007199254740993,"s":"caf\\u00e9"},"a":[[1.50]]}';
    const doc = JSON.parse(text) as Record<string, any>;
    doc.image_vector = [0.1, 2]; // added by vlrerank
    expect(stringifyAsSent(doc, text)).toBe(`${text.slice(0, -1)},"image_vector":[0.1,2]}`);
  });

  it('writes what vlrerank changed as JSON.stringify does, not the stale token', () => {
    const text = '{"a":1.0,"b":[1.0,2.0],"c":"\\u0041","d":{"e":-0.0}}';
    const doc = JSON.parse(text) as Record<string, any>;
    doc.a = 2;
    doc.b.push(3.5);
    doc.c = 'B';
    delete doc.d.e;
    expect(stringifyAsSent(doc, text)).toBe('{"a":2,"b":[1.0,2.0,3.5],"c":"B","d":{}}');
  });

  it('keeps a long past 2^53 that vlrerank moved to another place (a retriever child query made the query)', () => {
    const text = '{"retriever":{"standard":{"query":{"term":{"sku":1234567890123456789}}}},"size":10}';
    const moved = { query: (JSON.parse(text) as any).retriever.standard.query, size: 50 };
    expect(stringifyAsSent(moved, text)).toBe('{"query":{"term":{"sku":1234567890123456789}},"size":50}');
    // two spellings of one double: neither is kept by value (at its own place each still is)
    const two = '{"a":1234567890123456789,"b":1234567890123456790}';
    expect(stringifyAsSent({ c: 1234567890123456789 }, two)).toBe('{"c":1234567890123456800}');
    expect(stringifyAsSent(JSON.parse(two), two)).toBe(two);
  });

  it('answers no tokens (plain JSON.stringify) when every token prints back as sent', () => {
    expect(sentTokens('{"a":1,"b":[0.5,-2,1e-7],"c":"x\\n","d":true,"e":null}')).toBeUndefined();
    expect(sentTokens('not json')).toBeUndefined();
  });

  it('any JSON text: the value read back is the value, and a text JSON.stringify wrote is unchanged', () => {
    // numbers spelled as other serializers spell them: a trailing ".0", an upper-case exponent
    const respell = (t: string) => t.replace(/(?<=[:[,])(-?\d+)(?=[,\]}])/g, '$1.0').replace(/e([+-])/g, 'E$1');
    fc.assert(
      fc.property(fc.json(), (json) => {
        const value = JSON.parse(json) as unknown;
        expect(stringifyAsSent(value, json)).toBe(JSON.stringify(value));
        const text = respell(json);
        const out = stringifyAsSent(JSON.parse(text), text);
        expect(JSON.parse(out)).toEqual(JSON.parse(text));
      }),
      { numRuns: 300 },
    );
  });
});

describe('sentTokens on a large answer', () => {
  // each string's escape test ran lastIndexOf('\\') back from the string's end, to the start of the
  // text when it held no backslash: quadratic — 35 s of main thread for this 1 MB answer of 60,000
  // strings (an engine answer to a reranked search with a large window reads so); now one forward cursor
  it('reads 60,000 strings without a backslash in one pass, and still finds an escape at the end', { timeout: 10_000 }, () => {
    const hits = Array.from({ length: 20_000 }, (_, i) => ({ _id: `doc-${i}`, title: 'a title of some words' }));
    const text = JSON.stringify({ hits });
    expect(sentTokens(text)).toBeUndefined();
    const escaped = `${text.slice(0, -1)},"last":"\\u00e9"}`;
    expect(sentTokens(escaped)?.tree).toEqual(new Map([['last', '"\\u00e9"']]));
  });
});

describe('stringifyAnswer', () => {
  it("writes an engine answer's tokens as it sent them, wherever vlrerank moved or copied their holders", () => {
    const text = '{"hits":{"hits":[{"_id":"a","_score":1.0,"_source":{"sku":1234567890123456789,"v":[-0.0,1.0]}},{"_id":"b","_score":0.5,"_source":{"sku":7}}]}}';
    const upstream = JSON.parse(text) as any;
    bindTokens(upstream, sentTokens(text)!);
    const [a, b] = upstream.hits.hits;
    const copy = { ...a._source };
    sameTokens(a._source, copy); // a filtered copy
    const answer = { hits: { hits: [{ ...b, _score: 0.9 }, { ...a, _score: 0.1, _source: copy }] } };
    expect(stringifyAnswer(answer)).toBe(JSON.stringify(answer)); // not said to hold any: JSON.stringify's
    holdsTokens(answer);
    expect(stringifyAnswer(answer)).toBe('{"hits":{"hits":[{"_id":"b","_score":0.9,"_source":{"sku":7}},{"_id":"a","_score":0.1,"_source":{"sku":1234567890123456789,"v":[-0.0,1.0]}}]}}');
    expect(JSON.parse(stringifyAnswer(answer, 2))).toEqual(JSON.parse(stringifyAnswer(answer)));
  });
});
