/**
 * The strict body reader's header rules, one by one: which Content-Encoding values are one
 * supported coding, which are stacked or unknown (415), which charsets are utf-8; and decoding that
 * stops at the size bound (413) or names a body that is not its coding (400). Also which requests
 * vlrerank reads the body of (an oversized `Expect: 100-continue` is refused only for those).
 */
import type { IncomingMessage } from 'node:http';
import { deflateSync, gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { VlrerankError } from '../../../src/errors.js';
import { checkCharset, contentCoding, decodeBody } from '../../../src/http/body.js';
import { readsBody } from '../../../src/http/handler.js';

const req = (headers: Record<string, string>) => ({ headers }) as unknown as IncomingMessage;

function codeOf(f: () => unknown): string | undefined {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(VlrerankError);
    return (e as VlrerankError).code;
  }
  return undefined;
}

describe('Content-Encoding', () => {
  it.each([
    [undefined, 'identity'],
    ['', 'identity'],
    ['identity', 'identity'],
    ['GZIP', 'gzip'],
    ['x-gzip', 'gzip'],
    [' deflate ', 'deflate'],
    ['br', 'br'],
  ])('%j is %s', (h, want) => {
    expect(contentCoding(req(h === undefined ? {} : { 'content-encoding': h }))).toBe(want);
  });

  it.each(['compress', 'zstd', 'gzip, gzip', 'gzip, br', 'identity, gzip'])('%j → 415', (h) => {
    expect(codeOf(() => contentCoding(req({ 'content-encoding': h })))).toBe('VLR_UNSUPPORTED_ENCODING');
  });
});

describe('charset', () => {
  it.each(['application/json', 'application/json; charset=utf-8', 'application/json;charset="UTF-8"', 'application/json; charset=utf8', 'text/plain; charset=us-ascii', 'application/vnd.elasticsearch+json; compatible-with=8'])('%j is accepted', (ct) => {
    expect(codeOf(() => checkCharset(req({ 'content-type': ct })))).toBeUndefined();
  });
  it.each(['application/json; charset=latin1', 'application/json; charset=utf-16', 'application/json; charset=ISO-8859-1'])('%j → 415', (ct) => {
    expect(codeOf(() => checkCharset(req({ 'content-type': ct })))).toBe('VLR_UNSUPPORTED_ENCODING');
  });
});

describe('decodeBody', () => {
  const r = req({});
  it('decodes within the bound', () => {
    expect(decodeBody(r, 'gzip', gzipSync('{"a":1}'), 100).toString()).toBe('{"a":1}');
    expect(decodeBody(r, 'deflate', deflateSync('{"a":1}'), 100).toString()).toBe('{"a":1}');
  });
  it('stops at the bound (413) and names a lying coding (400)', () => {
    expect(codeOf(() => decodeBody(r, 'gzip', gzipSync(Buffer.alloc(10_000)), 1000))).toBe('VLR_BODY_TOO_LARGE');
    expect(codeOf(() => decodeBody(r, 'gzip', Buffer.from('{"a":1}'), 1000))).toBe('VLR_BODY_DECODE');
    expect(codeOf(() => decodeBody(r, 'br', Buffer.from('not brotli at all'), 1000))).toBe('VLR_BODY_DECODE');
  });
});

describe('readsBody', () => {
  it.each([
    ['POST', '/v1/rerank', true],
    ['POST', '/_vlrerank/rerank', true],
    ['POST', '/idx/_search', true],
    ['POST', '/_msearch?x=1', true],
    ['POST', '/idx/_bulk', false],
    ['PUT', '/idx/_doc/1', false],
    ['GET', '/idx/_doc/1', false],
  ])('%s %s → %s', (m, u, want) => {
    expect(readsBody(m, u)).toBe(want);
  });
});
