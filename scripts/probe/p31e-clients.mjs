// Held-out probe round 31e: the official JS clients' APIs beside search, direct and through vlrerank.
// usage: node scripts/probe/p31e-clients.mjs es|os <engineUrl> <proxyUrl>
import { Client as Es } from '@elastic/elasticsearch';
import { Client as Os } from '@opensearch-project/opensearch';
const [kind, E, P] = process.argv.slice(2);
const KB = 'p31e-kb';
const q = { match: { text: 'vitamin bone' } };
const ext = { vlrerank: { query: { text: 'sleep' } } };
const mk = (url) => (kind === 'es' ? new Es({ node: url }) : new Os({ node: url }));
const d = mk(E), p = mk(P);
const get = (c, path) => path.split('.').reduce((o, k) => o?.[k], c);
const calls = [
  ['count', { index: KB, body: { query: q, ext } }],
  ['explain', { index: KB, id: '1', body: { query: q, ext } }],
  ['indices.validateQuery', { index: KB, explain: true, body: { query: q, ext } }],
  ['fieldCaps', { index: KB, fields: 'title' }],
  ['termvectors', { index: KB, id: '1', fields: ['text'] }],
  ['mtermvectors', { index: KB, body: { ids: ['1', '2'] } }],
  ['mget', { index: KB, body: { ids: ['1', '2'] } }],
  ['termsEnum', { index: KB, body: { field: 'tag' } }],
  ['knnSearch', { index: KB, body: { knn: { field: 'v', query_vector: [1, 2], k: 1, num_candidates: 2 } } }],
  ['searchShards', { index: KB }],
  ['searchTemplate', { index: KB, body: { source: JSON.stringify({ query: q, ext }), params: {} } }],
  ['renderSearchTemplate', { body: { source: JSON.stringify({ query: q }), params: {} } }],
  ['rankEval', { index: KB, body: { requests: [{ id: 'r', request: { query: q, ext }, ratings: [{ _index: KB, _id: '1', rating: 1 }] }], metric: { precision: { k: 2 } } } }],
  ['asyncSearch.submit', { index: KB, wait_for_completion_timeout: '5s', keep_on_completion: true, body: { query: q, ext } }],
  ['deleteByQuery', { index: KB, max_docs: 1, body: { query: { term: { tag: 'zzz' } }, ext } }],
  ['updateByQuery', { index: KB, body: { query: { term: { tag: 'zzz' } } } }],
  ['sql.query', { body: { query: `SELECT title FROM "${KB}" LIMIT 1` } }],
  ['esql.query', { body: { query: `FROM ${KB} | LIMIT 1` } }],
  ['cat.indices', { index: KB, format: 'json', h: 'index,docs.count' }],
  ['cat.count', { index: KB, format: 'json', h: 'count' }],
  ['openPointInTime', { index: KB, keep_alive: '1m' }],
  ['createPit', { index: KB, keep_alive: '1m' }],
  ['search', { index: KB, scroll: '1m', body: { size: 2, query: q } }],
  ['search', { index: KB, body: { size: 2, query: q, ext } }],
];
const norm = (x) => JSON.stringify(x ?? null).replace(/"took":\d+/g, '"took":0').replace(/"(id|_scroll_id|pit_id)":"[^"]+"/g, '"$1":"X"').replace(/"(start_time_in_millis|expiration_time_in_millis|completion_time_in_millis|creation_time)":\d+/g, '"$1":0');
async function one(c, api, params) {
  const fn = get(c, api);
  if (typeof fn !== 'function') return { s: 'no-api' };
  try {
    const r = await fn.call(get(c, api.split('.').slice(0, -1).join('.')) ?? c, params, kind === 'es' ? { meta: true } : {});
    return { s: r.statusCode, b: norm(r.body), w: r.warnings ?? null };
  } catch (e) {
    return { s: e.meta?.statusCode ?? e.name, b: norm(e.meta?.body ?? e.message), w: e.meta?.warnings ?? null };
  }
}
for (const [api, params] of calls) {
  const a = await one(d, api, params), b = await one(p, api, params);
  const same = a.s === b.s && a.b === b.b;
  console.log(`${same ? 'SAME' : 'DIFF'} ${api} | direct ${a.s} ${String(a.b).slice(0, 120)} | proxy ${b.s} ${same ? '' : String(b.b).slice(0, 200)} w=${JSON.stringify(b.w)}`);
}
