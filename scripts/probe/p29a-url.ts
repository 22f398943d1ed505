/** Held-out probe round 29a: URL parameters beside a reranked body, templates, PIT, async (npx tsx scripts/probe/p29a-url.ts [from-case]). */
import { both, RR } from './p29a-lib.js';

const Q = { multi_match: { query: 'green apple', fields: ['title^2', 'description'] } };
const base = { query: Q, ext: RR };
const ids = (j: any) => j?.hits?.hits?.map((h: any) => h._id);
const cases: Array<[string, string, any, any?]> = [
  ['?size=2 body 5', '/p29a-g/_search?size=2', { ...base, size: 5 }],
  ['?from=1 body 0', '/p29a-g/_search?from=1&size=3', { ...base, from: 0 }],
  ['?_source=false', '/p29a-g/_search?_source=false', { ...base, size: 2 }],
  ['?_source=title body excl', '/p29a-g/_search?_source=title', { ...base, size: 2, _source: { excludes: ['title'] } }],
  ['?_source_includes', '/p29a-g/_search?_source_includes=price', { ...base, size: 2 }],
  ['?_source_excludes', '/p29a-g/_search?_source_excludes=image*,description', { ...base, size: 2 }],
  ['?q= with body ext', '/p29a-g/_search?q=title:pepper', { ext: RR, size: 5 }],
  ['?q= with body query', '/p29a-g/_search?q=title:pepper', { ...base, size: 5 }],
  ['?typed_keys aggs', '/p29a-g/_search?typed_keys=true', { ...base, size: 2, aggs: { cat: { terms: { field: 'category.keyword' } } }, suggest: { s: { text: 'aple', term: { field: 'title' } } } }],
  ['?filter_path hits', '/p29a-g/_search?filter_path=hits.hits._id,hits.hits._score', { ...base, size: 3 }, { show: (j: any) => j }],
  ['?filter_path aggs', '/p29a-g/_search?filter_path=aggregations', { ...base, size: 3, aggs: { cat: { terms: { field: 'category.keyword' } } } }, { show: (j: any) => Object.keys(j) }],
  ['?filter_path -_source', '/p29a-g/_search?filter_path=-hits.hits._source', { ...base, size: 2 }, { show: (j: any) => Object.keys(j) }],
  ['?filter_path vlrerank', '/p29a-g/_search?filter_path=vlrerank.window,hits.total', { ...base, size: 2 }, { show: (j: any) => j }],
  ['?rest_total_hits_as_int', '/p29a-g/_search?rest_total_hits_as_int=true', { ...base, size: 2 }],
  ['?preference routing cache', '/p29a-g/_search?preference=_local&routing=x&request_cache=true', { ...base, size: 2 }],
  ['?explain=true', '/p29a-g/_search?explain=true', { ...base, size: 2 }, { show: (j: any) => j.hits?.hits?.map((h: any) => [h._score, h._explanation?.value]) }],
  ['?track_total_hits=false', '/p29a-g/_search?track_total_hits=false', { ...base, size: 2 }],
  ['?terminate_after=2', '/p29a-g/_search?terminate_after=2', { ...base, size: 5 }],
  ['?version=true', '/p29a-g/_search?version=true&seq_no_primary_term=true', { ...base, size: 1 }],
  ['?stored_fields=price', '/p29a-g/_search?stored_fields=price', { ...base, size: 1 }],
  ['?docvalue_fields=price', '/p29a-g/_search?docvalue_fields=price', { ...base, size: 1, _source: false }],
  ['?search_type dfs', '/p29a-g/_search?search_type=dfs_query_then_fetch', { ...base, size: 2 }],
  ['?allow_partial false', '/p29a-g/_search?allow_partial_search_results=false', { ...base, size: 2 }],
  ['?batched_reduce', '/p29a-g/_search?batched_reduce_size=2&pre_filter_shard_size=1&max_concurrent_shard_requests=1', { ...base, size: 2 }],
  ['?ccs_minimize', '/p29a-g/_search?ccs_minimize_roundtrips=false', { ...base, size: 2 }],
  ['?sort=_score:desc', '/p29a-g/_search?sort=_score:desc', { ...base, size: 2 }],
  ['?sort=_score:asc', '/p29a-g/_search?sort=_score:asc', { ...base, size: 2 }],
  ['?size=0 body 5', '/p29a-g/_search?size=0', { ...base, size: 5, aggs: { cat: { terms: { field: 'category.keyword' } } } }],
  ['?df analyzer q', '/p29a-g/_search?q=pepper&df=title&default_operator=AND', { ext: RR, size: 3 }],
];
const from = Number(process.argv[2] ?? 0);
for (const [label, path, body, opts] of cases.slice(from)) await both(label, path, body, opts);
