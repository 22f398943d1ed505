/** Held-out probe round 29a: an app's bodies unchanged on an index whose pipeline is its default (vlrerank 19663, Elasticsearch 8.19): npx tsx scripts/probe/p29a-default.ts */
import { send } from './p29a-lib.js';

const VL = 'http://127.0.0.1:19663';
const ES = 'http://127.0.0.1:19200';
const Q = { multi_match: { query: 'green apple', fields: ['title^2', 'description'] } };
const sum = (j: any) => j.error ? `${j.error.type}: ${String(j.error.reason).slice(0, 120)}` : `ids=${(j.hits?.hits ?? []).map((h: any) => h._id).slice(0, 4).join(' ')} total=${JSON.stringify(j.hits?.total)} keys=${[...new Set((j.hits?.hits ?? []).flatMap((h: any) => Object.keys(h)))].sort().join(',')} src=${Object.keys(j.hits?.hits?.[0]?._source ?? {}).length} vl=${j.vlrerank ? `${j.vlrerank.syntax}/${j.vlrerank.query_text ?? ''}/${j.vlrerank.degraded}` : 'none'}${j.aggregations ? ' aggs=' + JSON.stringify(j.aggregations).slice(0, 50) : ''}`;
const cases: Array<[string, string, any]> = [
  ['plain', '/p29a-g/_search', { query: Q, size: 3 }],
  ['sort price', '/p29a-g/_search', { query: Q, size: 3, sort: [{ price: 'asc' }] }],
  ['sort _score', '/p29a-g/_search', { query: Q, size: 3, sort: ['_score'] }],
  ['collapse', '/p29a-g/_search', { query: Q, size: 3, collapse: { field: 'coarse.keyword' } }],
  ['rescore', '/p29a-g/_search', { query: Q, size: 3, rescore: { window_size: 5, query: { rescore_query: { match: { title: 'green' } } } } }],
  ['size 0 aggs', '/p29a-g/_search', { query: Q, size: 0, aggs: { c: { terms: { field: 'category.keyword' } } } }],
  ['?q=', '/p29a-g/_search?q=title:pepper&size=3', undefined],
  ['?q= + body query', '/p29a-g/_search?q=title:pepper', { query: Q, size: 3 }],
  ['?sort=price:asc', '/p29a-g/_search?sort=price:asc', { query: Q, size: 3 }],
  ['_source false + fields', '/p29a-g/_search', { query: Q, size: 3, _source: false, fields: ['title'] }],
  ['filter_path', '/p29a-g/_search?filter_path=hits.hits._id', { query: Q, size: 3 }],
  ['match_all', '/p29a-g/_search', { query: { match_all: {} }, size: 3 }],
  ['term', '/p29a-g/_search', { query: { term: { 'category.keyword': 'Fruit' } }, size: 3 }],
  ['explain', '/p29a-g/_search', { query: Q, size: 2, explain: true }],
  ['size 300', '/p29a-g/_search', { query: Q, size: 300 }],
  ['from 45 size 10', '/p29a-g/_search', { query: Q, from: 15, size: 10 }],
  ['search_after', '/p29a-g/_search', { query: Q, size: 3, sort: [{ price: 'asc' }], search_after: [10] }],
  ['_count', '/p29a-g/_count', { query: Q }],
];
for (const [label, path, body] of cases) {
  const a = await send(VL, path, body, body === undefined ? 'GET' : 'POST');
  const d = await send(ES, path, body, body === undefined ? 'GET' : 'POST');
  console.log(`[${label}] vl ${a.status} ${sum(a.j)}\n${' '.repeat(label.length + 3)}es ${d.status} ${sum(d.j)}`);
}
