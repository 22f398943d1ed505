/**
 * The encoders of http/answer-format.ts against references of their own formats: CBOR (cbor-x) against
 * the examples of RFC 8949 Appendix A and the bytes the engines' values need, YAML read back by the `yaml` package (keys and strings YAML would
 * read as something else), and which format a request asks for. That the engines read the answers
 * (Smile included) is test/integration/search/answer-formats.test.ts.
 */
import { describe, expect, it } from 'vitest';
import { decode as decodeCbor } from 'cbor-x';
import { parse } from 'yaml';
import { askedFormat, encodeAnswer } from '../../../src/http/answer-format.js';
import { bindTokens, holdsTokens, sentTokens } from '../../../src/util/json-tokens.js';

/** `{"v": x}` in CBOR is a1 61 76 (a map of one, the key "v") followed by x. */
const cborOf = (v: unknown) => encodeAnswer({ v }, 'cbor').toString('hex').replace(/^a16176/, '');

describe('answer formats', () => {
  it('CBOR: the RFC 8949 Appendix A examples', () => {
    const cases: Array<[unknown, string]> = [
      [0, '00'], [23, '17'], [24, '1818'], [100, '1864'], [1000, '1903e8'], [1000000, '1a000f4240'], [1000000000000, '1b000000e8d4a51000'],
      [-1, '20'], [-10, '29'], [-100, '3863'], [-1000, '3903e7'], [1.1, 'fb3ff199999999999a'], [-4.1, 'fbc010666666666666'], [1e300, 'fb7e37e43c8800759c'],
      [false, 'f4'], [true, 'f5'], [null, 'f6'], ['', '60'], ['a', '6161'], ['IETF', '6449455446'], ['\u00fc', '62c3bc'], ['\u6c34', '63e6b0b4'],
      [[], '80'], [[1, 2, 3], '83010203'], [{}, 'a0'], [{ a: 1, b: [2, 3] }, 'a26161016162820203'],
    ];
    for (const [v, hex] of cases) expect(cborOf(v), JSON.stringify(v)).toBe(hex);
  });

  it('CBOR and YAML: longs past 2^53 and 2^64, an integer double reads as past 2^53, a 1.0 and a -0.0 are written as the engines write them', () => {
    const text = '{"v":[18446744073709551615,9007199254740993,1.0,-0.0,9007199254740994,5000000000,-3000000000,1e21]}';
    const answer = JSON.parse(text) as Record<string, unknown>;
    bindTokens(answer, sentTokens(text)!);
    holdsTokens(answer);
    // the engines (ES 8.19, OS 2.19, `format=cbor`/`yaml` on a document holding these values) write
    // 2^64 - 1 as an integer (CBOR: a bignum, here the equal uint64; it was a double 1.8446744073709552e19),
    // 2^53 + 1 and 2^53 + 2 (no token: JSON.parse reads it exactly) as longs (the second was a double),
    // 5e9 and -3e9 as longs of their width (CBOR: 1b + 8 bytes, 3a + 4), 1.0, -0.0 and 1e21 as doubles (-0.0 was 0.0 in YAML)
    expect(encodeAnswer(answer, 'cbor').toString('hex')).toBe(
      'a1617688' + '1bffffffffffffffff' + '1b0020000000000001' + 'fb3ff0000000000000' + 'fb8000000000000000' + '1b0020000000000002' + '1b000000012a05f200' + '3ab2d05dff' + 'fb444b1ae4d6e2ef50',
    );
    expect(encodeAnswer(answer, 'yaml').toString()).toBe('---\nv:\n- 18446744073709551615\n- 9007199254740993\n- 1.0\n- -0.0\n- 9007199254740994\n- 5000000000\n- -3000000000\n- 1.0e+21\n');
    expect(decodeCbor(encodeAnswer(answer, 'cbor'))).toEqual({ v: [2n ** 64n - 1n, 2n ** 53n + 1n, 1, -0, 2n ** 53n + 2n, 5_000_000_000n, -3_000_000_000, 1e21] });
  });

  it('Smile: integers past a long are BigIntegers (0x26), byte for byte as the engines write them', () => {
    const text = '{"a":18446744073709551615,"b":-18446744073709551616,"e":123456789012345678901234567890,"f":9223372036854775807}';
    const answer = JSON.parse(text) as Record<string, unknown>;
    bindTokens(answer, sentTokens(text)!);
    holdsTokens(answer);
    // ES 8.19 and OS 2.19: that document indexed as JSON, `GET …/_source/1?format=smile` (header byte 3 aside:
    // the engines allow shared names, vlrerank writes none). It was written as doubles.
    const engines = '3a290a05' + 'fa' + '8061' + '2689003f7f7f7f7f7f7f7f7f03' + '8062' + '26897f40000000000000000000' + '8065' + '268d00635d107f5b0673703b4963782b12' + '8066' + '25037f7f7f7f7f7f7f7fbe' + 'fb';
    expect(encodeAnswer(answer, 'smile').toString('hex')).toBe(engines.replace(/^3a290a05/, '3a290a00'));
  });

  it('a key `__proto__` (JSON.parse makes it an own key) is written, not lost', () => {
    const answer = JSON.parse('{"_source":{"__proto__":{"a":1},"b":2}}') as Record<string, unknown>;
    expect(parse(encodeAnswer(answer, 'yaml').toString())).toEqual(answer);
    expect(encodeAnswer(answer, 'cbor').toString('hex')).toContain(Buffer.from('__proto__').toString('hex'));
  });

  it('YAML: keys and strings that YAML would read as something else come back as they were', () => {
    const strings = ['', 'null', 'true', 'yes', '~', '123', '1e3', '0x1f', 'a: b', '- x', '#c', '"q"', "'s'", 'line\nbreak', 'tab\there', '\u00fc \u6c34 \ud83d\ude00', ' lead', 'trail ', '*ref', '&anchor', '!tag', '%dir', '@at', '`tick`', '{x}', '[y]', '|', '>', '?', ',', '\\'];
    const answer: Record<string, unknown> = { took: 3, list: strings, nested: [[], {}, [1, [2, { a: null }]], { b: [] }], doubles: [0.5, -2.25, 1e21, 5e-324], big: 5_000_000_000 };
    for (const k of strings) answer[`k${k}`] = k;
    for (const k of strings.filter((x) => x !== '')) answer[k] = k;
    answer[''] = 'empty key';
    const text = encodeAnswer(answer, 'yaml').toString();
    expect(text.startsWith('---\n')).toBe(true);
    expect(parse(text)).toEqual(answer);
  });

  it('the format asked: ?format= first (any case), then Accept, else JSON', () => {
    const q = (s: string) => new URLSearchParams(s);
    expect(askedFormat(q('format=YAML'), 'application/cbor')).toBe('yaml');
    expect(askedFormat(q('format=json'), 'application/smile')).toBe('json');
    expect(askedFormat(q(''), 'application/smile')).toBe('smile');
    expect(askedFormat(q(''), 'application/cbor; charset=x')).toBe('cbor');
    expect(askedFormat(q('format=txt'), 'application/yaml')).toBe('yaml');
    expect(askedFormat(q(''), 'application/vnd.elasticsearch+smile; compatible-with=8')).toBe('json');
    expect(askedFormat(q(''), '*/*')).toBe('json');
    expect(askedFormat(q(''), undefined)).toBe('json');
  });
});
