/**
 * A document whose `_source` holds a field named `__proto__` (at the top, or inside an object) keeps
 * it in a reranked answer as in the engine's: through `_source` includes/excludes, `filter_path` and
 * an answer written as YAML. vlrerank rebuilt the filtered objects with `out[k] = v`, which for that
 * key sets the copy's prototype: the field vanished from the answer, silently (held-out probe round
 * 24b). Real Elasticsearch 8.19 and OpenSearch 2.19, the knowledge-base pipeline (`default: true`).
 */
import { describe, expect, it } from 'vitest';
import { request } from 'undici';
import { parse as parseYaml } from 'yaml';
import { ENGINES } from '../../helpers/search-fixtures.js';
import { knowledgeBaseSuite } from '../../helpers/knowledge-base-suite.js';

const INDEX = 'kb-p24b-proto-it';
// JSON.parse makes `__proto__` an own field, as the engine stores it
const DOCS = [
  JSON.parse('{"title":"Vitamin D","text":"Vitamin D deficiency is common in older adults.","__proto__":{"source":"survey"},"meta":{"__proto__":"kept","n":1}}') as object,
  { title: 'Iron', text: 'Iron deficiency is the most common cause of anaemia.' },
];

async function search(url: string, query: string, body: object) {
  const r = await request(`${url}/${INDEX}/_search${query}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query: { match: { text: 'vitamin deficiency' } }, size: 1, ...body }) });
  const text = await r.body.text();
  return { status: r.statusCode, text, body: query.includes('format=yaml') ? parseYaml(text) : JSON.parse(text) };
}

describe.each(ENGINES)('a `__proto__` field in _source, reranked (%s)', (engine) => {
  const proxy = knowledgeBaseSuite(engine, INDEX, DOCS);

  it.each([
    ['_source excludes', '', { _source: { excludes: ['text'] } }],
    ['_source includes', '', { _source: { includes: ['__proto__', 'meta.*', 'title'] } }],
    ['filter_path', '?filter_path=hits.hits._source.__proto__,hits.hits._source.meta', {}],
    ['filter_path exclusion', '?filter_path=-hits.hits._source.text', {}],
    ['YAML', '?format=yaml', { _source: ['title', '__proto__', 'meta'] }],
  ])('%s: the field as the engine answers it', async (_what, query, body) => {
    const p = proxy();
    const direct = await search(p.engineUrl, query, body);
    const via = await search(p.url, query, body);
    expect(direct.status).toBe(200);
    expect(via.status).toBe(200);
    const source = (b: any) => b.hits.hits[0]._source;
    expect(Object.hasOwn(source(direct.body), '__proto__')).toBe(true);
    expect(JSON.stringify(source(via.body))).toBe(JSON.stringify(source(direct.body)));
    expect(JSON.stringify(source(via.body))).toContain('"__proto__":{"source":"survey"}');
  });
});
