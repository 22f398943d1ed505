/**
 * Round 31c: each URL parameter of `_search`, through the proxy with a rerank (default pipeline,
 * `ext.vlrerank`, OpenSearch `search_pipeline`) and directly to the engine, answers compared by
 * status, error type and shape (types, key order; `vlrerank`/`_vlrerank` set aside).
 *   npx tsx scripts/probe/p31c-params.ts es8 [filter]
 */
import { SIDES, type Side, call } from './p31c-lib.js';
const side = process.argv[2] as Side; const only = process.argv[3];
const { proxy, engine } = SIDES[side];
const os = side.startsWith('os');
const Q = { match: { text: 'cerebral white matter diffusion' } };

function shape(v: unknown, depth = 0): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return v.length ? `[${shape(v[0], depth + 1)}]` : '[]';
  if (typeof v === 'object') return `{${Object.entries(v as object).filter(([k]) => k !== 'vlrerank' && k !== '_vlrerank').map(([k, x]) => `${k}:${shape(x, depth + 1)}`).join(',')}}`;
  if (typeof v === 'number') return Number.isInteger(v) ? 'int' : 'num';
  return typeof v;
}
type Case = [name: string, qs: string, body?: Record<string, unknown>, method?: string];
const cases: Case[] = [
  ['plain', ''],
  ['fp hits._id', 'filter_path=hits.hits._id'],
  ['fp took,hits.total', 'filter_path=took,hits.total'],
  ['fp -hits.hits._source', 'filter_path=-hits.hits._source'],
  ['fp hits.hits._source.title', 'filter_path=hits.hits._source.title'],
  ['fp **._id', 'filter_path=**._id'],
  ['fp _shards,took', 'filter_path=_shards,took'],
  ['fp vlrerank.window', 'filter_path=vlrerank.window,hits.hits._id'],
  ['fp -vlrerank', 'filter_path=-vlrerank'],
  ['fp h*.h*._i*', 'filter_path=h*.h*._i*'],
  ['fp empty', 'filter_path='],
  ['fp twice', 'filter_path=took&filter_path=hits.total'],
  ['fp aggs', 'filter_path=aggregations', { aggs: { y: { terms: { field: 'tag' } } } }],
  ['typed_keys aggs', 'typed_keys=true', { aggs: { y: { terms: { field: 'tag' } }, m: { max: { field: 'year' } } } }],
  ['typed_keys suggest', 'typed_keys', { suggest: { s: { text: 'cerebral', term: { field: 'text' } } } }],
  ['rthai', 'rest_total_hits_as_int=true'],
  ['rthai fp', 'rest_total_hits_as_int=true&filter_path=hits.total'],
  ['rthai+tth=false', 'rest_total_hits_as_int=true&track_total_hits=false'],
  ['tth false', 'track_total_hits=false'],
  ['tth 3', 'track_total_hits=3'],
  ['tth true', 'track_total_hits=true'],
  ['tth bad', 'track_total_hits=abc'],
  ['pretty', 'pretty'],
  ['pretty=false', 'pretty=false'],
  ['human', 'human=true'],
  ['error_trace', 'error_trace=true'],
  ['format yaml', 'format=yaml'],
  ['format json', 'format=json'],
  ['format bad', 'format=xml'],
  ['size url', 'size=3'],
  ['size url+body', 'size=3', { size: 7 }],
  ['from url', 'from=2&size=3'],
  ['size bad', 'size=abc'],
  ['size neg', 'size=-1'],
  ['size empty', 'size='],
  ['size twice', 'size=3&size=4'],
  ['q df', 'q=diffusion&df=text', {}],
  ['q op', 'q=cerebral%20matter&df=text&default_operator=AND', {}],
  ['q lenient', 'q=year:abc&lenient=true', {}],
  ['q analyzer', 'q=Cerebral&df=text&analyzer=standard', {}],
  ['q +query', 'q=diffusion'],
  ['sort url', 'sort=year:desc'],
  ['sort _score', 'sort=_score'],
  ['_source false', '_source=false'],
  ['_source field', '_source=title'],
  ['_source_includes', '_source_includes=title'],
  ['_source_excludes', '_source_excludes=text'],
  ['stored_fields', 'stored_fields=title'],
  ['docvalue_fields', 'docvalue_fields=year'],
  ['search_type dfs', 'search_type=dfs_query_then_fetch'],
  ['search_type bad', 'search_type=foo'],
  ['preference', 'preference=_local'],
  ['routing', 'routing=x'],
  ['request_cache', 'request_cache=true'],
  ['batched_reduce_size', 'batched_reduce_size=2'],
  ['batched_reduce_size 1', 'batched_reduce_size=1'],
  ['pre_filter', 'pre_filter_shard_size=1'],
  ['mcsr', 'max_concurrent_shard_requests=1'],
  ['mcsr 0', 'max_concurrent_shard_requests=0'],
  ['apsr', 'allow_partial_search_results=false'],
  ['ccs', 'ccs_minimize_roundtrips=false'],
  ['ignore_unavailable', 'ignore_unavailable=true'],
  ['allow_no_indices', 'allow_no_indices=false'],
  ['expand_wildcards', 'expand_wildcards=all'],
  ['ignore_throttled', 'ignore_throttled=false'],
  ['timeout', 'timeout=10s'],
  ['timeout bad', 'timeout=abc'],
  ['terminate_after', 'terminate_after=5'],
  ['scroll', 'scroll=1m'],
  ['seq_no', 'seq_no_primary_term=true'],
  ['version', 'version=true'],
  ['explain', 'explain=true'],
  ['stats', 'stats=g1'],
  ['suggest_field', 'suggest_field=text&suggest_text=cerebrl&suggest_mode=always&suggest_size=2'],
  ['inqs', 'include_named_queries_score=true', { query: { match: { text: { query: 'cerebral white matter', _name: 'n1' } } } }],
  ['phase_took', 'phase_took=true'],
  ['cancel_after', 'cancel_after_time_interval=10s'],
  ['unknown', 'foo=bar'],
  ['unknown2', 'foo=bar&baz=1'],
  ['pct name', '%74ypo=1'],
  ['pct known', 'typed%5Fkeys=true', { aggs: { y: { terms: { field: 'tag' } } } }],
  ['empty value known', 'typed_keys=', { aggs: { y: { terms: { field: 'tag' } } } }],
  ['rthai empty', 'rest_total_hits_as_int='],
  ['rthai bad', 'rest_total_hits_as_int=yes'],
  ['pretty twice', 'pretty&pretty'],
  ['search_pipeline none', 'search_pipeline=_none'],
  ['allow_partial bad', 'allow_partial_search_results=maybe'],
  ['explain bad', 'explain=yes'],
  ['version bad', 'version=yes'],
  ['seq bad', 'seq_no_primary_term=x'],
  ['typed bad', 'typed_keys=x'],
];
const modes = os ? ['default', 'ext', 'sp'] : ['default', 'ext'];
let diffs = 0;
for (const mode of modes) {
  for (const [name, qs, extra, method] of cases) {
    if (only && !name.includes(only)) continue;
    const body: Record<string, unknown> = { query: Q, size: 5, ...(extra ?? {}) };
    if (extra && Object.keys(extra).length === 0) delete body.query; // URI search
    const index = mode === 'default' ? 'p31c-kb' : 'p31c-nd';
    const pBody = mode === 'ext' ? { ...body, ext: { vlrerank: { query: { text: 'cerebral white matter diffusion' } } } } : mode === 'sp' ? { ...body, ext: { rerank: { query_context: { query_text: 'cerebral white matter diffusion' } } } } : body;
    const pqs = mode === 'sp' ? `search_pipeline=p31c-named${qs ? '&' + qs : ''}` : qs;
    const u = (q: string) => `/${index}/_search${q ? '?' + q : ''}`;
    const [p, d] = await Promise.all([call(proxy, method ?? 'POST', u(pqs), pBody), call(engine, method ?? 'POST', u(qs), body)]);
    const reranked = p.json?.vlrerank !== undefined || (p.status === 200 && p.json === undefined ? 'non-json' : false);
    const ps = p.json ? shape(p.json) : `TEXT(${p.text.slice(0, 40).replace(/\n/g, '⏎')})`;
    const ds = d.json ? shape(d.json) : `TEXT(${d.text.slice(0, 40).replace(/\n/g, '⏎')})`;
    const vals = (j: any) => j && JSON.stringify({ n: j.hits?.hits?.length, t: j.hits?.total, s: j._shards, to: j.timed_out, te: j.terminated_early, a: j.aggregations, sg: j.suggest, sid: typeof j._scroll_id, pit: typeof j.pit_id, ms: j.hits?.max_score === null ? null : typeof j.hits?.max_score, ph: j.phase_took === undefined ? undefined : Object.keys(j.phase_took) });
    const pv = vals(p.json), dv = vals(d.json);
    const same = p.status === d.status && ps === ds && (p.status < 300 || p.json?.error?.type === d.json?.error?.type) && (p.status >= 300 || pv === dv);
    if (p.status < 300 && pv !== dv) console.log(`   values proxy ${pv?.slice(0, 400)}\n   values engin ${dv?.slice(0, 400)}`);
    const fmt = p.text.startsWith('{\n') === d.text.startsWith('{\n') ? '' : ' [format differs]';
    if (!same || fmt) diffs++;
    console.log(`${same && !fmt ? 'ok ' : 'DIFF'} ${mode.padEnd(7)} ${name.padEnd(22)} proxy ${p.status} rr=${reranked} engine ${d.status}${fmt}`);
    if (!same) {
      console.log(`   proxy : ${p.status >= 300 ? JSON.stringify(p.json?.error?.type ?? p.text.slice(0, 200)) + ' ' + String(p.json?.error?.reason ?? '').slice(0, 150) : ps.slice(0, 600)}`);
      console.log(`   engine: ${d.status >= 300 ? JSON.stringify(d.json?.error?.type ?? d.text.slice(0, 200)) + ' ' + String(d.json?.error?.reason ?? '').slice(0, 150) : ds.slice(0, 600)}`);
    }
  }
}
console.log(side, 'diffs', diffs);
