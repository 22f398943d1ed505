/**
 * A search body vlrerank reads is read as the engine would read it: by its one `Content-Type`.
 * A body the engine refuses for its type (`text/plain`, a form, no type: 406; two `Content-Type`
 * headers: 400) is the engine's to answer, rerank asked or not — held-out probe round 7 found it
 * reranked (200, with the `vlrerank` block) on a default pipeline's index and with `ext.vlrerank`.
 * And `HEAD` on a search path is the engine's 405: express's GET route answered it with a whole
 * reranked search (200); OPTIONS is the engine's too (express's router answered it). Real Elasticsearch 8.19, the knowledge-base pipeline (`default: true`),
 * the real text model; raw HTTP, as no client library sends these headers.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { parseResponses, rawExchange, type RawResponse } from '../../helpers/raw-http.js';
import { type SearchProxy } from '../../helpers/search-fixtures.js';
import { knowledgeBaseSuite } from '../../helpers/knowledge-base-suite.js';

const INDEX = 'kb-ctype-it';
const DOCS = [
  { title: 'Vitamin D', text: 'Vitamin D deficiency is common in older adults and raises the risk of fractures.' },
  { title: 'Sunlight', text: 'Exposure to sunlight lets the skin make vitamin D.' },
  { title: 'Iron', text: 'Iron deficiency is the most common cause of anaemia.' },
];
const PLAIN = JSON.stringify({ query: { match: { text: 'vitamin deficiency' } } });
const ASKED = JSON.stringify({ query: { match: { text: 'vitamin deficiency' } }, ext: { vlrerank: { query: { text: 'vitamin D deficiency' } } } });
const MSEARCH = `{}\n${PLAIN}\n`;

/** One request, its header lines as given (a name may repeat), `Connection: close`. */
async function send(url: string, method: string, path: string, headers: Array<[string, string]>, body = ''): Promise<RawResponse> {
  const b = Buffer.from(body);
  const head = [`${method} ${path} HTTP/1.1`, 'Host: 127.0.0.1', ...headers.map(([k, v]) => `${k}: ${v}`), ...(b.length ? [`Content-Length: ${b.length}`] : []), 'Connection: close'];
  return parseResponses(await rawExchange(url, Buffer.concat([Buffer.from(`${head.join('\r\n')}\r\n\r\n`), b])), [method])[0]!;
}

const json = (r: RawResponse) => JSON.parse(r.body.toString() || 'null') as any;

describe('search bodies by their Content-Type, HEAD on search paths (Elasticsearch 8.19)', () => {
  let p: SearchProxy;
  const proxy = knowledgeBaseSuite('elasticsearch', INDEX, DOCS);
  beforeAll(() => {
    p = proxy();
  });

  const refused: Array<[string, Array<[string, string]>]> = [
    ['text/plain', [['Content-Type', 'text/plain']]],
    ['a form (curl -d)', [['Content-Type', 'application/x-www-form-urlencoded']]],
    ['no Content-Type', []],
    ['two Content-Type headers', [['Content-Type', 'application/json'], ['Content-Type', 'application/json']]],
    ['a list in one header', [['Content-Type', 'application/json, text/plain']]],
  ];

  it.each(refused)('%s: the engine answers, as directly — on a default pipeline, with ext.vlrerank, and on _msearch', async (_name, headers) => {
    for (const [path, body] of [[`/${INDEX}/_search`, PLAIN], [`/${INDEX}/_search`, ASKED], [`/${INDEX}/_msearch`, MSEARCH]] as const) {
      const direct = await send(p.engineUrl, 'POST', path, headers, body === ASKED ? PLAIN : body);
      expect(direct.status).toBeGreaterThanOrEqual(400); // what the engine says to this type
      const via = await send(p.url, 'POST', path, headers, body);
      expect({ path, ask: body === ASKED, status: via.status }).toEqual({ path, ask: body === ASKED, status: direct.status });
      expect(json(via)?.vlrerank).toBeUndefined();
    }
  });

  it.each([
    ['application/json; charset=UTF-8', [['Content-Type', 'application/json; charset=UTF-8']]],
    ['the ES client compatible-with type', [['Content-Type', 'application/vnd.elasticsearch+json; compatible-with=8'], ['Accept', 'application/vnd.elasticsearch+json; compatible-with=8']]],
    ['application/x-ndjson', [['Content-Type', 'application/x-ndjson']]],
  ] as Array<[string, Array<[string, string]>]>)('%s: read as JSON and reranked', async (_name, headers) => {
    for (const body of [PLAIN, ASKED]) {
      const via = await send(p.url, 'POST', `/${INDEX}/_search`, headers, body);
      expect(via.status).toBe(200);
      expect(json(via).vlrerank?.pipeline).toBe('knowledge-base');
      expect(json(via).hits.hits[0]._id).toBe('0');
    }
  });

  it('HEAD on _search and _msearch is the engine 405, not a reranked search', async () => {
    for (const path of [`/${INDEX}/_search?q=vitamin`, `/${INDEX}/_search`, `/${INDEX}/_msearch`, `/${INDEX}/_search/`]) {
      const direct = await send(p.engineUrl, 'HEAD', path, []);
      const via = await send(p.url, 'HEAD', path, []);
      expect({ path, status: via.status }).toEqual({ path, status: direct.status });
      expect(via.status).toBe(405);
      expect(via.headers.some(([k]) => k.toLowerCase().startsWith('x-vlrerank'))).toBe(false);
    }
  });

  it("OPTIONS on _search and _msearch is the engine's answer (held-out probe round 12a: express answered it)", async () => {
    const header = (r: RawResponse, name: string) => r.headers.find(([k]) => k.toLowerCase() === name)?.[1];
    for (const path of [`/${INDEX}/_search`, '/_search', `/${INDEX}/_msearch`, '/_msearch', `/${INDEX}/_search/`]) {
      const direct = await send(p.engineUrl, 'OPTIONS', path, []);
      const via = await send(p.url, 'OPTIONS', path, []);
      expect(direct.status).toBe(200);
      const seen = (r: RawResponse) => ({ path, status: r.status, allow: header(r, 'allow'), product: header(r, 'x-elastic-product'), body: r.body.toString() });
      expect(seen(via)).toEqual(seen(direct));
    }
  });
});
