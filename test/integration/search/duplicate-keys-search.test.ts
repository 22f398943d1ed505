/**
 * A search body that repeats a key within one object (`"size":1,"size":2`, `ext.vlrerank` with two
 * `query`s) is refused as the engine refuses it ("Duplicate field", 400). vlrerank parses a search it
 * reranks and sends the engine a body of its own in its place: `JSON.parse` kept the last value, so
 * such a body was reranked 200 with one of the two values chosen silently — where the engine answers
 * 400, and where a gateway reading the first value (many do) saw another search than the one run
 * (held-out probe round 21c). Real Elasticsearch 8.19, the knowledge-base pipeline (`default: true`).
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { request } from 'undici';
import { type SearchProxy } from '../../helpers/search-fixtures.js';
import { knowledgeBaseSuite } from '../../helpers/knowledge-base-suite.js';

const INDEX = 'kb-dupkeys-it';
const DOCS = [
  { title: 'Vitamin D', text: 'Vitamin D deficiency is common in older adults and raises the risk of fractures.' },
  { title: 'Sunlight', text: 'Exposure to sunlight lets the skin make vitamin D.' },
  { title: 'Iron', text: 'Iron deficiency is the most common cause of anaemia.' },
];

async function post(url: string, body: string) {
  const r = await request(`${url}/${INDEX}/_search`, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
  return { status: r.statusCode, body: (await r.body.json()) as any };
}

describe('search bodies with a repeated key (Elasticsearch 8.19)', () => {
  let p: SearchProxy;
  const proxy = knowledgeBaseSuite('elasticsearch', INDEX, DOCS);
  beforeAll(() => {
    p = proxy();
  });

  it.each([
    ['size, on a default pipeline', '{"query":{"match":{"text":"vitamin deficiency"}},"size":1,"size":2}', 'size'],
    ['a key inside the query', '{"query":{"match":{"text":"vitamin","text":"iron"}}}', 'text'],
    ['an escaped spelling of the same key', '{"query":{"match":{"text":"vitamin deficiency"}},"size":1,"\\u0073ize":2}', 'size'],
  ])('%s: 400 naming the key, as the engine answers', async (_what, body, key) => {
    const direct = await post(p.engineUrl, body);
    expect(direct.status).toBe(400);
    expect(JSON.stringify(direct.body)).toContain(`Duplicate field '${key}'`);
    const via = await post(p.url, body);
    expect(via.status).toBe(400);
    expect(via.body.error.reason).toContain(`Duplicate field '${key}'`);
    expect(via.body.vlrerank).toBeUndefined();
  });

  it('ext.vlrerank with two queries: 400, not one of them chosen', async () => {
    const via = await post(p.url, '{"query":{"match":{"text":"vitamin"}},"ext":{"vlrerank":{"query":"vitamin D","query":"iron"}}}');
    expect(via.status).toBe(400);
    expect(via.body.error.reason).toContain("Duplicate field 'query'");
  });

  it('the same keys in different objects are no repetition: reranked as before', async () => {
    const via = await post(p.url, '{"query":{"bool":{"should":[{"match":{"text":"vitamin"}},{"match":{"text":"deficiency"}}]}},"size":2}');
    expect(via.status).toBe(200);
    expect(via.body.vlrerank).toBeDefined();
    expect(via.body.hits.hits).toHaveLength(2);
  });
});
