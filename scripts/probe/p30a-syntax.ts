/** Round 30a: a partial first stage asked through the other syntaxes (retriever, search_pipeline, _msearch) and a window past max_result_window. */
import { SIDES, type Side, call } from './p30a-lib.js';
const side = process.argv[2] as Side; const { proxy, engine } = SIDES[side];
const bad = { term: { code: 'abc' } };
const line = (name: string, r: { status: number; json: any }) => console.log(`${side} ${name} ${r.status} ${r.json?.error ? `ERR ${r.json.error.type}: ${String(r.json.error.reason).slice(0, 200)}` : `sh=${JSON.stringify({ ...r.json?._shards, failures: r.json?._shards?.failures?.length })} to=${r.json?.timed_out} te=${r.json?.terminated_early} tot=${JSON.stringify(r.json?.hits?.total)} n=${r.json?.hits?.hits?.length} vl=${JSON.stringify(r.json?.vlrerank && { s: r.json.vlrerank.syntax, p: r.json.vlrerank.first_stage_partial?.failed_shards, w: r.json.vlrerank.window, c: r.json.vlrerank.candidates, n: r.json.vlrerank.window_note })}`}`);
const retr = (extra: object) => ({ retriever: { text_similarity_reranker: { retriever: { standard: { query: { bool: { must: [{ match: { title: 'apple' } }], filter: [bad] } }, ...extra } }, field: 'title', inference_text: 'red apple', rank_window_size: 20 } } });
line('retriever', await call(proxy, 'POST', '/p30a-a,p30a-b/_search', retr({})));
line('retriever_te', await call(proxy, 'POST', '/p30a-a,p30a-b/_search', { ...retr({}), terminate_after: 1 }));
if (side === 'os2') {
  line('search_pipeline', await call(proxy, 'POST', '/p30a-a,p30a-b/_search?search_pipeline=p30a', { query: { bool: { must: [{ match: { title: 'apple' } }], filter: [bad] } }, ext: { rerank: { query_context: { query_text: 'red apple' } } } }));
}
const ms = [{ index: 'p30a-a,p30a-b' }, { query: { bool: { must: [{ match: { title: 'apple' } }], filter: [bad] } }, ext: { vlrerank: { pipeline: 'p30a', query: { text: 'apple' } } } }, { index: 'p30a-a,p30a-d' }, { query: { match_all: {} }, ext: { vlrerank: { pipeline: 'p30a', query: { text: 'apple' } } } }, { index: 'p30a-a,p30a-b' }, { timeout: '1nanos', ext: { vlrerank: { pipeline: 'p30a', query: { text: 'apple' } } } }];
const m = await call(proxy, 'POST', '/_msearch', ms.map((l) => JSON.stringify(l)).join('\n') + '\n');
const md = await call(engine, 'POST', '/_msearch', ms.map(({ ext, ...l }: any) => JSON.stringify(l)).join('\n') + '\n');
for (const [i, r] of (m.json?.responses ?? []).entries()) { line(`msearch[${i}]`, { status: r.status, json: r }); line(`  direct[${i}]`, { status: md.json.responses[i].status, json: md.json.responses[i] }); }
// a window the index refuses: max_result_window 20 on p30a-a
await call(engine, 'PUT', '/p30a-a/_settings', { 'index.max_result_window': 20 });
line('window_explicit', await call(proxy, 'POST', '/p30a-a/_search', { ext: { vlrerank: { pipeline: 'p30a', query: { text: 'apple' }, window: 30 } } }));
line('window_default', await call(proxy, 'POST', '/p30a-a/_search', { ext: { vlrerank: { pipeline: 'p30a', query: { text: 'apple' } } } }));
line('window_retriever', await call(proxy, 'POST', '/p30a-a/_search', { retriever: { text_similarity_reranker: { retriever: { standard: { query: { match: { title: 'apple' } } } }, field: 'title', inference_text: 'apple', rank_window_size: 30 } } }));
line('window_page', await call(proxy, 'POST', '/p30a-a/_search', { from: 15, size: 10, ext: { vlrerank: { pipeline: 'p30a', query: { text: 'apple' } } } }));
line('window_multi', await call(proxy, 'POST', '/p30a-a,p30a-b/_search', { ext: { vlrerank: { pipeline: 'p30a', query: { text: 'apple' } } } }));
await call(engine, 'PUT', '/p30a-a/_settings', { 'index.max_result_window': null });
