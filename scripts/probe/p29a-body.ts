/** Held-out probe round 29a: the parts of a product search body beside `ext.vlrerank` (npx tsx scripts/probe/p29a-body.ts [from-case]). */
import { both, RR } from './p29a-lib.js';

const Q = { multi_match: { query: 'green apple', fields: ['title^2', 'description'] } };
const base = { query: Q, ext: RR };
const cases: Array<[string, string, any, any?]> = [
  ['plain', '/p29a-g/_search', { ...base, size: 5 }],
  ['aggs terms+avg', '/p29a-g/_search', { ...base, size: 5, aggs: { cat: { terms: { field: 'category.keyword' } }, p: { avg: { field: 'price' } } } }],
  ['aggs top_hits', '/p29a-g/_search', { ...base, size: 3, aggs: { cat: { terms: { field: 'coarse.keyword', size: 2 }, aggs: { top: { top_hits: { size: 2 } } } } } }],
  ['size0 aggs', '/p29a-g/_search', { ...base, size: 0, aggs: { cat: { terms: { field: 'category.keyword' } } } }],
  ['sort _score', '/p29a-g/_search', { ...base, size: 4, sort: ['_score'] }, { show: (j: any) => j.hits?.hits?.map((h: any) => [h._score, h.sort]) }],
  ['sort _score obj', '/p29a-g/_search', { ...base, size: 4, sort: [{ _score: { order: 'desc' } }] }, { show: (j: any) => j.hits?.hits?.map((h: any) => [h._score, h.sort]) }],
  ['sort price', '/p29a-g/_search', { ...base, size: 4, sort: [{ price: 'asc' }] }],
  ['sort mixed', '/p29a-g/_search', { ...base, size: 4, sort: ['_score', { price: 'asc' }] }],
  ['?sort=_score', '/p29a-g/_search?sort=_score', { ...base, size: 4 }, { show: (j: any) => j.hits?.hits?.map((h: any) => [h._score, h.sort]) }],
  ['?sort=price', '/p29a-g/_search?sort=price:asc', { ...base, size: 4 }],
  ['collapse', '/p29a-g/_search', { ...base, size: 4, collapse: { field: 'coarse.keyword', inner_hits: { name: 'x', size: 2 } } }],
  ['highlight', '/p29a-g/_search', { ...base, size: 3, highlight: { fields: { title: {}, description: {} } } }, { show: (j: any) => j.hits?.hits?.[0]?.highlight }],
  ['_source false', '/p29a-g/_search', { ...base, size: 3, _source: false }],
  ['_source includes', '/p29a-g/_search', { ...base, size: 3, _source: { includes: ['price', 'class_name'] } }],
  ['_source excludes', '/p29a-g/_search', { ...base, size: 3, _source: { excludes: ['image', 'description'] } }],
  ['_source list', '/p29a-g/_search', { ...base, size: 3, _source: ['title'] }],
  ['fields', '/p29a-g/_search', { ...base, size: 3, _source: false, fields: ['price', 'title'] }],
  ['docvalue_fields', '/p29a-g/_search', { ...base, size: 3, _source: false, docvalue_fields: ['price', 'category.keyword'] }],
  ['stored_fields', '/p29a-g/_search', { ...base, size: 3, stored_fields: ['price'] }],
  ['stored_fields *', '/p29a-g/_search', { ...base, size: 3, stored_fields: ['*'] }],
  ['runtime_mappings', '/p29a-g/_search', { ...base, size: 3, runtime_mappings: { cat2: { type: 'keyword' } }, fields: ['cat2'] }],
  ['script_fields', '/p29a-g/_search', { ...base, size: 3, script_fields: { d: { script: { source: "doc['price'].value * 2" } } } }],
  ['explain', '/p29a-g/_search', { ...base, size: 2, explain: true }, { show: (j: any) => j.hits?.hits?.map((h: any) => [h._score, h._explanation?.value, h._explanation?.description?.slice(0, 60)]) }],
  ['profile', '/p29a-g/_search', { ...base, size: 2, profile: true }, { show: (j: any) => Object.keys(j.profile ?? {}) }],
  ['version seqno', '/p29a-g/_search', { ...base, size: 2, version: true, seq_no_primary_term: true }],
  ['tth false', '/p29a-g/_search', { ...base, size: 2, track_total_hits: false }],
  ['tth 3', '/p29a-g/_search', { ...base, size: 2, track_total_hits: 3 }],
  ['terminate_after', '/p29a-g/_search', { ...base, size: 5, terminate_after: 2 }, { show: (j: any) => j.terminated_early }],
  ['timeout', '/p29a-g/_search', { ...base, size: 2, timeout: '10s' }],
  ['min_score', '/p29a-g/_search', { ...base, size: 10, min_score: 3 }],
  ['post_filter', '/p29a-g/_search', { ...base, size: 5, post_filter: { term: { 'category.keyword': 'Vegetables' } }, aggs: { cat: { terms: { field: 'category.keyword' } } } }],
  ['indices_boost', '/p29a-g/_search', { ...base, size: 3, indices_boost: [{ 'p29a-g': 2 }] }],
  ['rescore', '/p29a-g/_search', { ...base, size: 3, rescore: { window_size: 10, query: { rescore_query: { match: { title: 'apple' } } } } }],
  ['suggest', '/p29a-g/_search', { ...base, size: 2, suggest: { s: { text: 'aple', term: { field: 'title' } } } }],
  ['stats', '/p29a-g/_search', { ...base, size: 2, stats: ['group1'] }],
  ['track_scores', '/p29a-g/_search', { ...base, size: 2, track_scores: true }],
];
const from = Number(process.argv[2] ?? 0);
for (const [label, path, body, opts] of cases.slice(from)) await both(label, path, body, opts);
