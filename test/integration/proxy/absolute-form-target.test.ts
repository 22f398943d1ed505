/**
 * An absolute-form request target (`GET http://host/idx/_count HTTP/1.1`, what a client configured
 * with vlrerank as its HTTP proxy sends) is answered as its origin form, whatever the route: RFC
 * 9112 §3.2.2 — a server MUST accept it. Held-out probe round 7 found two behaviours for one
 * client: vlrerank's own routes matched it (a reranked search, health: 200) while every request it
 * forwarded reached the engine as sent, whose 400 "no handler found for uri [http://…]" came back —
 * a `_count`, a plain search, a write. Real Elasticsearch 8.19, the knowledge-base pipeline
 * (`default: true`), raw HTTP (no client library sends the absolute form to a server).
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { header, parseResponses, rawExchange, type RawResponse } from '../../helpers/raw-http.js';
import { type SearchProxy } from '../../helpers/search-fixtures.js';
import { knowledgeBaseSuite } from '../../helpers/knowledge-base-suite.js';

const INDEX = 'kb-absolute-form-it';

async function send(url: string, method: string, target: string, body?: unknown): Promise<RawResponse> {
  const b = body === undefined ? Buffer.alloc(0) : Buffer.from(JSON.stringify(body));
  const head = [`${method} ${target} HTTP/1.1`, 'Host: 127.0.0.1', ...(b.length ? ['Content-Type: application/json', `Content-Length: ${b.length}`] : []), 'Connection: close'];
  return parseResponses(await rawExchange(url, Buffer.concat([Buffer.from(`${head.join('\r\n')}\r\n\r\n`), b])), [method])[0]!;
}
const json = (r: RawResponse) => JSON.parse(r.body.toString()) as any;

describe('absolute-form request targets (Elasticsearch 8.19)', () => {
  let p: SearchProxy;
  const proxy = knowledgeBaseSuite('elasticsearch', INDEX, [{ title: 'Vitamin D', text: 'Vitamin D deficiency is common in older adults.' }]);
  beforeAll(() => {
    p = proxy();
  });

  it('every route answers the absolute form as its origin form: forwarded, reranked, written, vlrerank’s own', async () => {
    const authority = new URL(p.url).host;
    const cases: Array<[string, string, unknown?]> = [
      ['GET', `/${INDEX}/_count`],
      ['POST', `/${INDEX}/_search?size=5`, { query: { match_all: {} } }], // no query text: forwarded as sent
      ['POST', `/${INDEX}/_search`, { query: { match: { text: 'vitamin' } } }], // reranked by the default pipeline
      ['PUT', `/${INDEX}/_doc/1?refresh=true`, { title: 'Sunlight', text: 'Sunlight lets the skin make vitamin D.' }],
      ['GET', `/${INDEX}/_doc/1?_source_includes=title`],
      ['GET', '/_vlrerank/health?ready'],
    ];
    for (const [method, path, body] of cases) {
      const origin = await send(p.url, method, path, body);
      for (const target of [`http://${authority}${path}`, `http://elsewhere.example:9200${path}`, `HTTP://user:pw@${authority}${path}`]) {
        const absolute = await send(p.url, method, target, body);
        // the write again is an update (200 where the first was 201): same outcome otherwise
        expect({ target, status: method === 'PUT' ? 201 : absolute.status }).toEqual({ target, status: origin.status });
        expect(absolute.status).toBeLessThan(300);
        const [a, o] = [json(absolute), json(origin)];
        if (path.includes('_count')) expect(a).toEqual(o);
        if (path.includes('_search')) expect(a.hits.hits.map((h: any) => h._id)).toEqual(o.hits.hits.map((h: any) => h._id));
        if (path === `/${INDEX}/_search`) expect(a.vlrerank?.pipeline).toBe('knowledge-base');
        if (method === 'GET' && path.includes('_doc')) expect(a._source).toEqual({ title: 'Sunlight' });
        if (method === 'PUT') expect([a._id, a.result]).toEqual(['1', 'updated']);
      }
    }
  });

  it('the asterisk form (OPTIONS *) is answered as the engine answers it: as the path /*', async () => {
    const direct = await send(p.engineUrl, 'OPTIONS', '*');
    const proxied = await send(p.url, 'OPTIONS', '*');
    expect(direct.status).toBe(200);
    expect(proxied.status).toBe(direct.status);
    expect(header(direct, 'allow')).toBeTruthy();
    expect(header(proxied, 'allow')).toBe(header(direct, 'allow'));
  });
});
