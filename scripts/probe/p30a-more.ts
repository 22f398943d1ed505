/** Round 30a: a search's timeout on a larger (demo, read-only) index, collapse inner_hits past max_inner_result_window, ES 9.2 mixed kNN. */
import { SIDES, type Side, call } from './p30a-lib.js';
const side = process.argv[2] as Side; const { proxy, engine } = SIDES[side];
const s = (j: any) => j?.error ? `ERR ${j.status} ${j.error.type}: ${String(j.error.reason).slice(0, 160)} root=${j.error.root_cause?.[0]?.reason?.slice(0, 120)}` : `sh=${JSON.stringify({ ...j?._shards, failures: j?._shards?.failures?.map((f: any) => f.reason?.reason?.slice(0, 80)) })} to=${j?.timed_out} te=${j?.terminated_early} tot=${JSON.stringify(j?.hits?.total)} n=${j?.hits?.hits?.length} vl=${JSON.stringify(j?.vlrerank && { p: j.vlrerank.first_stage_partial?.note, w: j.vlrerank.window, c: j.vlrerank.candidates, d: j.vlrerank.degraded })}`;
const ext = { vlrerank: { pipeline: 'p30a', query: { text: 'cancer cells' } } };
for (const t of ['1nanos', '1ms']) {
  const b = { timeout: t, query: { query_string: { query: 'cell* OR prote* OR gene*' } } };
  console.log(side, 'timeout', t, 'direct', s((await call(engine, 'POST', '/p30a-big/_search', b)).json));
  console.log(side, 'timeout', t, 'rerank', s((await call(proxy, 'POST', '/p30a-big/_search', { ...b, ext })).json));
}
await call(engine, 'PUT', '/p30a-a/_settings', { 'index.max_inner_result_window': 2 });
const col = { query: { match: { title: 'apple' } }, collapse: { field: 'loc', inner_hits: { name: 'more', size: 3 } } };
console.log(side, 'inner direct', s((await call(engine, 'POST', '/p30a-a/_search', col)).json));
console.log(side, 'inner rerank', s((await call(proxy, 'POST', '/p30a-a/_search', { ...col, ext: { vlrerank: { pipeline: 'p30a', query: { text: 'apple' } } } })).json));
await call(engine, 'PUT', '/p30a-a/_settings', { 'index.max_inner_result_window': null });
// explicit window over two indices, one limited
await call(engine, 'PUT', '/p30a-a/_settings', { 'index.max_result_window': 20 });
console.log(side, 'explicit multi', s((await call(proxy, 'POST', '/p30a-a,p30a-b/_search', { ext: { vlrerank: { pipeline: 'p30a', query: { text: 'apple' }, window: 30 } } })).json));
console.log(side, 'explicit one', s((await call(proxy, 'POST', '/p30a-a/_search', { ext: { vlrerank: { pipeline: 'p30a', query: { text: 'apple' }, window: 30 } } })).json));
console.log(side, 'default multi', s((await call(proxy, 'POST', '/p30a-a,p30a-b/_search', { ext: { vlrerank: { pipeline: 'p30a', query: { text: 'apple' } } } })).json));
await call(engine, 'PUT', '/p30a-a/_settings', { 'index.max_result_window': null });
