/** Round 30a: partial answers — each body direct, through the proxy plain, and reranked (ext / search_pipeline / retriever). */
import { SIDES, type Side, call } from './p30a-lib.js';
const side = process.argv[2] as Side; const only = process.argv[3];
const { proxy, engine } = SIDES[side];
const sum = (j: any) => j?.error ? `ERR ${j.status} ${j.error.type}: ${String(j.error.reason).slice(0, 110)}${j.error.root_cause?.[0] ? ` [root ${j.error.root_cause[0].type}]` : ''}`
  : `sh=${JSON.stringify(j?._shards && { ...j._shards, failures: j._shards.failures?.map((f: any) => `${f.index}/${f.shard}:${f.reason?.type}`) })} to=${j?.timed_out} te=${j?.terminated_early} tot=${JSON.stringify(j?.hits?.total)} n=${j?.hits?.hits?.length} vl=${JSON.stringify(j?.vlrerank && { d: j.vlrerank.degraded, r: j.vlrerank.reason, p: j.vlrerank.first_stage_partial, c: j.vlrerank.candidates })}`;
const q = { text: 'apple' };
const cases: Record<string, { path: string; body: any }> = {
  term_long: { path: '/p30a-a,p30a-b/_search', body: { query: { bool: { must: [{ match: { title: 'apple' } }], filter: [{ term: { code: 'abc' } }] } } } },
  prefix_long: { path: '/p30a-a,p30a-b/_search', body: { query: { bool: { should: [{ match: { title: 'apple' } }], filter: [{ prefix: { code: '10' } }] } } } },
  geo_kw: { path: '/p30a-a,p30a-b/_search', body: { query: { bool: { must: [{ match: { title: 'apple' } }], filter: [{ geo_distance: { distance: '10km', loc: '52.37,4.89' } }] } } } },
  timeout: { path: '/p30a-a,p30a-b/_search', body: { timeout: '1nanos', query: { match: { title: 'apple' } } } },
  terminate: { path: '/p30a-a,p30a-b/_search', body: { terminate_after: 1, query: { match_all: {} } } },
  noallow_body: { path: '/p30a-a,p30a-b/_search', body: { allow_partial_search_results: false, query: { bool: { must: [{ match: { title: 'apple' } }], filter: [{ term: { code: 'abc' } }] } } } },
  noallow_url: { path: '/p30a-a,p30a-b/_search?allow_partial_search_results=false', body: { query: { bool: { must: [{ match: { title: 'apple' } }], filter: [{ term: { code: 'abc' } }] } } } },
  knn_missing: { path: '/p30a-a,p30a-c/_search', body: { query: { match: { title: 'apple' } } } },
  only_c: { path: '/p30a-c/_search', body: { query: { match: { title: 'apple' } } } },
  closed_ign: { path: '/p30a-a,p30a-d/_search?ignore_unavailable=true', body: { query: { match: { title: 'apple' } } } },
  closed: { path: '/p30a-a,p30a-d/_search', body: { query: { match: { title: 'apple' } } } },
  missing_ign: { path: '/p30a-a,p30a-zz/_search?ignore_unavailable=true', body: { query: { match: { title: 'apple' } } } },
  own_knn_missing: { path: '/p30a-a,p30a-c/_search', body: {} },
  own_post_filter: { path: '/p30a-a,p30a-b/_search', body: { post_filter: { term: { code: 'abc' } } } },
  own_terminate: { path: '/p30a-a,p30a-b/_search', body: { terminate_after: 1 } },
  own_timeout: { path: '/p30a-a,p30a-b/_search', body: { timeout: '1nanos' } },
  own_noallow: { path: '/p30a-a,p30a-b/_search?allow_partial_search_results=false', body: { post_filter: { term: { code: 'abc' } } } },
  alias_filter: { path: '/p30a-al/_search', body: { query: { match: { title: 'apple' } } } },
};
for (const [name, c] of Object.entries(cases)) {
  if (only && !name.match(only)) continue;
  const d = await call(engine, 'POST', c.path, c.body);
  const p = await call(proxy, 'POST', c.path, c.body);
  const t0 = Date.now();
  const r = await call(proxy, 'POST', c.path, { ...c.body, ext: { vlrerank: { pipeline: 'p30a', query: q } } });
  const ms = Date.now() - t0;
  console.log(`${side} ${name}\n  direct ${d.status} ${sum(d.json)}\n  proxy  ${p.status} ${sum(p.json)}\n  rerank ${r.status} ${sum(r.json)} ${ms}ms`);
}
