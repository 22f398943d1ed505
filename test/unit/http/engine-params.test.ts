/**
 * engineParams: the query string as the engines read it (a repeated name's last value), with and
 * without a query string — the path without one makes no list of names (issue 13: passthrough CPU).
 */
import type { IncomingMessage } from 'node:http';
import { describe, expect, it } from 'vitest';
import { engineParams } from '../../../src/http/request.js';

const req = (url: string) => ({ url }) as IncomingMessage;
const pairs = (p: URLSearchParams) => [...p];

describe('engineParams', () => {
  it.each([
    ['/idx/_search', []],
    ['/idx/_search?', []],
    ['/idx/_search?size=3', [['size', '3']]],
    ['/idx/_search?size=1&size=3', [['size', '3']]],
    ['/idx/_search?_source=false&q=x&_source=title', [['_source', 'title'], ['q', 'x']]],
    ['/idx/_search?a=1&b=2&c=%20', [['a', '1'], ['b', '2'], ['c', ' ']]],
    ['/idx/_search?flag', [['flag', '']]],
  ])('%s', (url, want) => {
    expect(pairs(engineParams(req(url)))).toEqual(want);
  });

  it('reads the URL as the client sent it (express rewrites req.url under a mount point)', () => {
    const r = Object.assign(req('/_search'), { originalUrl: '/idx/_search?size=1&size=2' });
    expect(pairs(engineParams(r))).toEqual([['size', '2']]);
  });

  it('gives each request its own parameters (callers may change them)', () => {
    const a = engineParams(req('/idx/_search'));
    a.set('x', '1');
    expect(pairs(engineParams(req('/idx/_search')))).toEqual([]);
  });
});
