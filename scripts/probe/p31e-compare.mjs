// Held-out probe round 31e: each request sent to the engine directly and through vlrerank; prints a row per request.
// usage: node scripts/probe/p31e-compare.mjs <engineUrl> <proxyUrl> [filter]
const [E, P, filter] = process.argv.slice(2);
const KB = 'p31e-kb', ND = 'p31e-nd';
const rr = { ext: { vlrerank: { query: { text: 'vitamin bone' } } } };
const q = { query: { match: { text: 'vitamin bone' } } };
const tsr = { retriever: { text_similarity_reranker: { retriever: { standard: { query: q.query } }, field: 'text', inference_text: 'vitamin bone', inference_id: 'x' } } };
const osr = { query: q.query, ext: { rerank: { query_context: { query_text: 'vitamin bone' } } } };
const cases = [];
const add = (name, method, path, body, headers = {}) => cases.push({ name, method, path, body, headers });
for (const [tag, b] of [['plain', q], ['ext', { ...q, ...rr }], ['tsr', tsr], ['osr', osr]]) {
  for (const idx of [KB, ND]) {
    add(`${tag} count ${idx}`, 'POST', `/${idx}/_count`, b);
    add(`${tag} explain ${idx}`, 'POST', `/${idx}/_explain/1`, b);
    add(`${tag} validate ${idx}`, 'POST', `/${idx}/_validate/query?explain=true&rewrite=true`, b);
    add(`${tag} async ${idx}`, 'POST', `/${idx}/_async_search?wait_for_completion_timeout=5s&keep_on_completion=true`, b);
    add(`${tag} knn_search ${idx}`, 'POST', `/${idx}/_knn_search`, b);
    add(`${tag} search_shards ${idx}`, 'POST', `/${idx}/_search_shards`, b);
    add(`${tag} dbq ${idx}`, 'POST', `/${idx}/_delete_by_query?conflicts=proceed&max_docs=0`, b);
    add(`${tag} ubq ${idx}`, 'POST', `/${idx}/_update_by_query?conflicts=proceed&max_docs=1`, b);
    add(`${tag} termvectors ${idx}`, 'POST', `/${idx}/_termvectors/1`, b);
    add(`${tag} field_caps ${idx}`, 'POST', `/${idx}/_field_caps?fields=*`, b);
    add(`${tag} terms_enum ${idx}`, 'POST', `/${idx}/_terms_enum`, { field: 'tag', ...b });
    add(`${tag} tmpl-inline ${idx}`, 'POST', `/${idx}/_search/template`, { source: JSON.stringify(b), params: {} });
    add(`${tag} render ${idx}`, 'POST', `/_render/template`, { source: JSON.stringify(b), params: {} });
    add(`${tag} rank_eval ${idx}`, 'POST', `/${idx}/_rank_eval`, { requests: [{ id: 'r1', request: b, ratings: [{ _index: idx, _id: '1', rating: 1 }] }], metric: { precision: { k: 3 } } });
    add(`${tag} search ${idx}`, 'POST', `/${idx}/_search`, b);
    add(`${tag} mget ${idx}`, 'POST', `/${idx}/_mget`, { ids: ['1'], ...b });
  }
}
add('sql', 'POST', '/_sql?format=json', { query: `SELECT title FROM "${KB}" LIMIT 2` });
add('os sql', 'POST', '/_plugins/_sql', { query: `SELECT title FROM ${KB} LIMIT 2` });
add('os ppl', 'POST', '/_plugins/_ppl', { query: `source=${KB} | fields title` });
add('esql', 'POST', '/_query', { query: `FROM ${KB} | LIMIT 2` });
add('knn stats', 'GET', '/_plugins/_knn/stats');
add('sp get', 'GET', '/_search/pipeline');
add('neural stats', 'GET', '/_plugins/_neural/stats');
add('cat indices', 'GET', `/_cat/indices/${KB}?format=json&h=index,docs.count`);
add('cat count', 'GET', `/_cat/count/${KB}?format=json&h=count`);
for (const m of ['HEAD', 'OPTIONS']) for (const p of [`/${KB}/_count`, `/${KB}/_explain/1`, `/${KB}/_validate/query`, `/${KB}/_search/template`, `/_msearch/template`, `/_render/template`, `/${KB}/_rank_eval`, `/_async_search`, `/${KB}/_async_search`, `/_search/scroll`, `/_pit`, `/${KB}/_pit`, `/${KB}/_field_caps`, `/${KB}/_mget`, `/${KB}/_terms_enum`, `/${KB}/_knn_search`, `/${KB}/_search_shards`, `/_sql`, `/_plugins/_sql`, `/_query`, `/_cat/indices`, `/${KB}/_search`, `/_msearch`]) add(`${m} ${p}`, m, p);

const norm = (t) => t.replace(/"took":\d+/g, '"took":0').replace(/"(id|scroll_id|pit_id|_scroll_id)":"[^"]+"/g, '"$1":"X"').replace(/"(start_time_in_millis|expiration_time_in_millis|completion_time_in_millis)":\d+/g, '"$1":0').replace(/"(index_uuid|uuid)":"[^"]+"/g, '"$1":"U"');
async function one(base, c) {
  const h = { ...c.headers };
  if (c.body !== undefined) h['content-type'] = 'application/json';
  try {
    const r = await fetch(base + c.path, { method: c.method, headers: h, body: c.body === undefined ? undefined : JSON.stringify(c.body), signal: AbortSignal.timeout(60000) });
    const t = c.method === 'HEAD' ? '' : await r.text();
    const hd = {};
    for (const k of ['content-type', 'x-elastic-product', 'warning', 'allow', 'content-encoding', 'x-opensearch-version']) { const v = r.headers.get(k); if (v) hd[k] = v; }
    return { s: r.status, h: hd, t: norm(t) };
  } catch (e) { return { s: 'ERR ' + e.message, h: {}, t: '' }; }
}
for (const c of cases) {
  if (filter && !c.name.includes(filter)) continue;
  const d = await one(E, c), p = await one(P, c);
  const same = d.s === p.s && JSON.stringify(d.h) === JSON.stringify(p.h) && d.t === p.t;
  const vl = /"vlrerank"\s*:\s*\{"(pipeline|reranked|degraded)/.test(p.t) || p.t.includes('"reranked"');
  console.log(`${same ? 'SAME' : 'DIFF'} ${c.name} | direct ${d.s} ${d.t.slice(0, 140)} | proxy ${p.s}${vl ? ' [VLR]' : ''} ${same ? '' : p.t.slice(0, 260) + ' ' + JSON.stringify(p.h) + ' vs ' + JSON.stringify(d.h)}`);
}
