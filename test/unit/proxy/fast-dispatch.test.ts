/**
 * The fast dispatch in http/app.ts: which requests skip express. A request it leaves to the
 * routers behaves as before; one it takes must be exactly what the routers would have taken.
 */
import { describe, expect, it } from 'vitest';
import { mayIntercept, rerankApiRoute, searchRoute } from '../../../src/http/handler.js';

describe('searchRoute', () => {
  it.each([
    ['POST', '/_search', { kind: 'search', index: undefined }],
    ['GET', '/_search?q=x', { kind: 'search', index: undefined }],
    ['POST', '/products/_search', { kind: 'search', index: 'products' }],
    ['POST', '/a,b*/_search?search_pipeline=p', { kind: 'search', index: 'a,b*' }],
    ['POST', '/_msearch', { kind: 'msearch', index: undefined }],
    ['GET', '/logs/_msearch', { kind: 'msearch', index: 'logs' }],
  ])('%s %s is taken', (method, url, want) => {
    expect(searchRoute(method, url)).toEqual(want);
  });

  it.each([
    ['HEAD', '/products/_search'], // express answers HEAD on GET routes
    ['PUT', '/products/_search'],
    ['POST', '/products/_search/'], // trailing slash: the router's loose match
    ['POST', '/products/_SEARCH'], // case: left to the routers (the search router's match is case-sensitive: the engine's 400)
    ['POST', '/pro%64ucts/_search'], // percent-encoded: the router decodes
    ['POST', '/products/_search/template'],
    ['POST', '/products/_search_shards'],
    ['POST', '/a/b/_search'],
    ['POST', '//_search'],
    ['POST', '/products/_doc/1'],
  ])('%s %s is left to the routers', (method, url) => {
    expect(searchRoute(method, url)).toBeUndefined();
  });
});

describe('mayIntercept', () => {
  it('sends plain reads and writes no router takes straight to the proxy', () => {
    expect(mayIntercept('GET', '/products/_doc/1')).toBe(false);
    expect(mayIntercept('GET', '/_cat/indices?v')).toBe(false);
    expect(mayIntercept('DELETE', '/products')).toBe(false);
  });
  it('keeps every path a router may take', () => {
    for (const [m, u] of [
      ['POST', '/products/_search'],
      ['GET', '/_vlrerank/health'],
      ['POST', '/v1/rerank'],
      ['POST', '/_bulk'],
      ['PUT', '/products/_doc/1'],
      ['POST', '/products/_update/1'],
      ['GET', '/pro%64ucts/_doc/1'],
    ] as const) expect(mayIntercept(m, u), `${m} ${u}`).toBe(true);
  });
  it('sends writes straight to the proxy when no pipeline adds vectors at ingest, and keeps the rest', () => {
    for (const [m, u] of [
      ['POST', '/_bulk'],
      ['PUT', '/products/_bulk'],
      ['PUT', '/products/_doc/1'],
      ['POST', '/products/_create/1'],
      ['POST', '/products/_update/1'],
    ] as const) expect(mayIntercept(m, u, false), `${m} ${u}`).toBe(false);
    for (const [m, u] of [
      ['POST', '/products/_search'],
      ['GET', '/_vlrerank/health'],
      ['POST', '/v1/rerank'],
      ['POST', '/pro%64ucts/_doc/1'],
    ] as const) expect(mayIntercept(m, u, false), `${m} ${u}`).toBe(true);
  });
});

describe('rerankApiRoute (early 429s without express)', () => {
  it.each([
    ['POST', '/v1/rerank', 'compat'],
    ['POST', '/v2/rerank?x=1', 'compat'],
    ['POST', '/rerank', 'compat'],
    ['POST', '/_vlrerank/rerank', 'es'],
  ])('%s %s is taken, answered in the %s shape', (method, url, shape) => {
    expect(rerankApiRoute(method, url)).toBe(shape);
  });

  it.each([
    ['GET', '/v1/rerank'],
    ['POST', '/v1/rerank/'], // the router's loose match refuses it early all the same
    ['POST', '/V1/rerank'],
    ['POST', '/v3/rerank'],
    ['POST', '/products/rerank'],
    ['POST', '/_vlrerank/rerank/x'],
  ])('%s %s is left to the routers', (method, url) => {
    expect(rerankApiRoute(method, url)).toBeUndefined();
  });
});
