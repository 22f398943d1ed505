/**
 * The fast dispatch in http/app.ts: which requests skip express. A request it leaves to the
 * routers behaves as before; one it takes must be exactly what the routers would have taken.
 */
import { describe, expect, it } from 'vitest';
import { changesPipelines, intercepts, mayIntercept, rerankApiRoute, searchRoute, targetFacts, TARGETS_KEPT, type TargetFacts } from '../../../src/http/handler.js';
import { changesIndexPipelines } from '../../../src/ingest/index-pipelines.js';
import { isNodesHttp } from '../../../src/http/nodes-http.js';

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
      // OpenAI's and vLLM's model list (rerank-routes.ts discoveryRoutes), any case and a trailing slash as express matches
      ['GET', '/v1/models'],
      ['GET', '/V1/Models/?x=1'],
      // a body's ext.vlrerank is taken out there (search/query-only.ts, held-out probe round 31e)
      ['POST', '/products/_count'],
      ['GET', '/_count'],
      ['POST', '/products/_explain/1'],
      ['POST', '/products/_validate/query?explain=true'],
      // ml-commons' _predict on a pipeline's name (inference-routes.ts, held-out probe round 32b)
      ['POST', '/_plugins/_ml/models/grocery/_predict'],
      ['POST', '/_plugins/_ml/_predict/text_similarity/grocery'],
    ] as const) expect(mayIntercept(m, u), `${m} ${u}`).toBe(true);
    // one segment is GET /{index} to the engine: never taken by a proxy's routers
    for (const u of ['/info', '/models', '/health', '/v1/models/m1']) expect(mayIntercept('GET', u), u).toBe(false);
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

describe('the facts kept per request target (issue 13: asked once per target, not per request)', () => {
  const targets = [
    '/', '/_search', '/products/_search', '/products/_search?q=x', '/a,b*/_msearch', '/products/_doc/1', '/products/_bulk',
    '/products/_create/1', '/products/_update/1', '/_cat/indices?v', '/_nodes/http', '/_nodes/_all/http,os', '/_nodes/stats',
    '/v1/rerank', '/v2/rerank?x=1', '/rerank', '/score', '/v1/score/', '/_vlrerank/rerank', '/_vlrerank/health', '/_vlrerank/_search',
    '/pro%64ucts/_search', '/products/_rank_eval', '/products/_SEARCH', '/products/_search/', '',
    // writes that change which pipelines an index runs (ingest/index-pipelines.ts changesIndexPipelines)
    '/products', '/products/', '/products/_settings?flat_settings=true', '/_index_template/t', '/_aliases', '/_index_template/_simulate_index/x', '/logs/_rollover',
  ];
  const methods = ['GET', 'POST', 'PUT', 'DELETE', 'HEAD', undefined];

  it.each(targets)('%s: the same answers as asking per request, for every method and ingest', (url) => {
    const kept = new Map<string, TargetFacts>();
    for (const method of methods) {
      for (const ingest of [true, false]) {
        const f = targetFacts(kept, url);
        expect(intercepts(f, method, () => ingest)).toBe(mayIntercept(method, url, ingest));
      }
      const f = targetFacts(kept, url);
      if (method === 'GET' || method === 'POST') expect(f.search).toEqual(url.startsWith('/_vlrerank') ? undefined : searchRoute(method, url));
      expect(method === 'POST' ? f.api : undefined).toBe(rerankApiRoute(method, url));
      expect(f.nodes && method === 'GET').toBe(isNodesHttp(method, url));
      for (const m of [method, 'PATCH', 'OPTIONS']) expect(changesPipelines(f, m)).toBe(changesIndexPipelines(m, url));
    }
    expect(kept.size).toBe(1);
  });

  it('keeps a bounded number of targets (they come from clients)', () => {
    const kept = new Map<string, TargetFacts>();
    for (let i = 0; i < 3 * TARGETS_KEPT; i++) targetFacts(kept, `/i${i}/_search`);
    expect(kept.size).toBeLessThanOrEqual(TARGETS_KEPT);
    expect(targetFacts(kept, '/i1/_search').search).toEqual({ kind: 'search', index: 'i1' });
  });
});
