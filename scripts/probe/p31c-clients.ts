/** Round 31c: the official JS clients' own parameter names through the proxy (rerank asked) and at the engine. */
import { Client as Es } from '@elastic/elasticsearch';
import { Client as Os } from '@opensearch-project/opensearch';
import { SIDES, type Side } from './p31c-lib.js';
const side = process.argv[2] as Side; const { proxy, engine } = SIDES[side];
const os = side.startsWith('os');
const mk = (node: string): any => (os ? new Os({ node }) : new Es({ node }));
const P = mk(proxy), E = mk(engine);
const Q = { match: { text: 'cerebral white matter diffusion' } };
const ext = { vlrerank: { query: { text: 'cerebral white matter diffusion' } } };
const body = (x: Record<string, unknown> = {}) => (os ? { body: { query: Q, size: 5, ...x } } : { query: Q, size: 5, ...x });
const cases: Array<[string, Record<string, unknown>, Record<string, unknown>?]> = [
  ['filter_path array', { filter_path: ['hits.hits._id', 'took', 'vlrerank.window'] }],
  ['filter_path string', { filter_path: 'hits.total,-hits.hits' }],
  ['typed_keys', { typed_keys: true }, { aggs: { y: { terms: { field: 'tag' } } } }],
  ['rest_total_hits_as_int', { rest_total_hits_as_int: true }],
  ['track_total_hits 3', { track_total_hits: 3 }],
  ['track_total_hits false', { track_total_hits: false }],
  ['_source_includes array', { _source_includes: ['title', 'year'] }],
  ['_source_excludes', { _source_excludes: 'text' }],
  ['docvalue_fields', { docvalue_fields: ['year'] }],
  ['stored_fields', { stored_fields: ['title'] }],
  ['search_type', { search_type: 'dfs_query_then_fetch' }],
  ['q', { q: 'diffusion', df: 'text', default_operator: 'AND' }],
  ['from/size params', { from: 1, size: 2 }],
  ['include_named_queries_score', { include_named_queries_score: true }],
  ['human+pretty', { human: true, pretty: true }],
  ['error_trace bad', { error_trace: true, size: -1 }],
  ['unknown', { querystring: { foo: 'bar' } }],
];
for (const [name, params, extra] of cases) {
  const b = body(extra);
  const withExt = os ? { body: { ...(b as any).body, ext } } : { ...b, ext };
  const run = async (c: any, x: any) => {
    try { const r = await c.search({ index: side === 'es8' || side === 'es9' ? 'p31c-nd' : 'p31c-nd', ...params, ...x }, { meta: true }); return { status: r.statusCode, body: r.body }; }
    catch (e: any) { return { status: e.meta?.statusCode ?? 'throw', body: e.meta?.body ?? String(e) }; }
  };
  const [p, d] = await Promise.all([run(P, withExt), run(E, b)]);
  const keys = (j: any) => (j && typeof j === 'object' ? JSON.stringify({ top: Object.keys(j), hits: j.hits && Object.keys(j.hits), total: j.hits?.total, n: j.hits?.hits?.length, h0: j.hits?.hits?.[0] && Object.keys(j.hits.hits[0]), aggs: j.aggregations && Object.keys(j.aggregations), err: j.error?.type, reason: j.error?.reason?.slice?.(0, 80) }) : String(j).slice(0, 120));
  const pk = keys(p.body), dk = keys(d.body);
  const same = p.status === d.status && pk.replace(',"vlrerank"', '') === dk;
  console.log(`${same ? 'ok  ' : 'DIFF'} ${name.padEnd(28)} proxy ${p.status} engine ${d.status}`);
  if (!same) console.log(`   proxy  ${pk}\n   engine ${dk}`);
}
