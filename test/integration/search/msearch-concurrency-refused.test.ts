/**
 * An `_msearch` whose `max_concurrent_searches` the engine refuses (`abc`, `0`, `-1`, `1.5`, empty,
 * past an int, `0x10`, `1e2`) gets the engine's own 400 in its words — every engine checks that
 * parameter before it reads a line of the body. vlrerank reads the parameter itself for its
 * reranked items (how many at once), took such a value for its default and answered 200 (held-out
 * probe round 24b). Values the engine takes (`3`, `+3`, `03`) still rerank. Real Elasticsearch 8.19
 * and OpenSearch 2.19, the knowledge-base pipeline (`default: true`).
 */
import { describe, expect, it } from 'vitest';
import { request } from 'undici';
import { ENGINES } from '../../helpers/search-fixtures.js';
import { knowledgeBaseSuite } from '../../helpers/knowledge-base-suite.js';

const INDEX = 'kb-p24b-mcs-it';
const DOCS = [
  { title: 'Vitamin D', text: 'Vitamin D deficiency is common in older adults and raises the risk of fractures.' },
  { title: 'Sunlight', text: 'Exposure to sunlight lets the skin make vitamin D.' },
  { title: 'Iron', text: 'Iron deficiency is the most common cause of anaemia.' },
];
const NDJSON = `{}\n${JSON.stringify({ query: { match: { text: 'vitamin deficiency' } }, size: 2 })}\n{}\n${JSON.stringify({ query: { match: { text: 'iron' } }, size: 1 })}\n`;

async function msearch(url: string, value: string) {
  const r = await request(`${url}/${INDEX}/_msearch?max_concurrent_searches=${encodeURIComponent(value)}`, { method: 'POST', headers: { 'content-type': 'application/x-ndjson' }, body: NDJSON });
  return { status: r.statusCode, body: (await r.body.json()) as any };
}

describe.each(ENGINES)('_msearch max_concurrent_searches the engine refuses (%s)', (engine) => {
  const proxy = knowledgeBaseSuite(engine, INDEX, DOCS);

  it.each(['abc', '0', '-1', '1.5', '', '2147483648', ' 3', '0x10', '1e2'])('[%s]: the engine\'s 400, in its words', async (value) => {
    const p = proxy();
    const direct = await msearch(p.engineUrl, value);
    const via = await msearch(p.url, value);
    expect(direct.status).toBe(400);
    expect(via.status).toBe(400);
    expect(via.body).toEqual(direct.body);
    expect(via.body.error.reason).toMatch(/max_concurrent_searches|maxConcurrentSearchRequests/);
  });

  it.each(['3', '+3', '03', '2147483647'])('[%s]: taken, and the items reranked', async (value) => {
    const p = proxy();
    const via = await msearch(p.url, value);
    expect(via.status).toBe(200);
    expect(via.body.responses).toHaveLength(2);
    for (const r of via.body.responses) {
      expect(r.status).toBe(200);
      expect(r.vlrerank?.degraded).toBe(false);
    }
    expect(via.body.responses[0].hits.hits[0]._source.title).toBe('Vitamin D');
  });
});
