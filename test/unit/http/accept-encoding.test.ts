/** Which coding a reranked answer goes out in, read from the client's Accept-Encoding (src/http/compress.ts). */
import { gunzipSync, inflateSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { acceptedCoding, encode } from '../../../src/http/compress.js';

describe('acceptedCoding', () => {
  it.each([
    [undefined, undefined],
    ['', undefined],
    ['identity', undefined],
    ['br', undefined],
    ['*', undefined],
    ['gzip', 'gzip'],
    ['x-gzip', 'gzip'],
    ['GZip', 'gzip'],
    ['deflate', 'deflate'],
    ['gzip, deflate', 'gzip'],
    ['deflate, gzip', 'gzip'],
    ['gzip;q=0.5, deflate', 'deflate'],
    ['gzip;q=0, deflate;q=0', undefined],
    ['gzip ; q=0', undefined],
    ['br, gzip, identity;q=0', 'gzip'],
    ['deflate;q=0.9, gzip;q=0.9', 'gzip'],
    ['gzip;q=abc', undefined],
  ])('%j → %j', (header, want) => {
    expect(acceptedCoding(header)).toBe(want);
  });

  it('a header sent twice is read as one list', () => {
    expect(acceptedCoding(['identity', 'deflate'])).toBe('deflate');
  });

  it('encodes what it names', async () => {
    const b = Buffer.from(JSON.stringify({ hits: { hits: [{ _id: '1' }] } }));
    expect(gunzipSync(await encode(b, 'gzip'))).toEqual(b);
    expect(inflateSync(await encode(b, 'deflate'))).toEqual(b);
  });
});
