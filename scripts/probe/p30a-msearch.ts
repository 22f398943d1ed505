/** Round 30a: _msearch and search_pipeline over an index whose max_result_window is below the window. */
import { SIDES, call } from './p30a-lib.js';
for (const side of ['es8', 'os2'] as const) {
  const { proxy, engine } = SIDES[side];
  await call(engine, 'PUT', '/p30a-a/_settings', { 'index.max_result_window': 20 });
  const ms = [{ index: 'p30a-a,p30a-b' }, { ext: { vlrerank: { pipeline: 'p30a', query: { text: 'apple' } } } }, { index: 'p30a-a' }, { ext: { vlrerank: { pipeline: 'p30a', query: { text: 'apple' }, window: 30 } } }];
  const m = await call(proxy, 'POST', '/_msearch', ms.map((l) => JSON.stringify(l)).join('\n') + '\n');
  for (const r of m.json.responses) console.log(side, 'msearch', r.status, JSON.stringify(r._shards), r.vlrerank?.window, r.error?.reason?.slice(0, 120));
  if (side === 'os2') { const r = await call(proxy, 'POST', '/p30a-a,p30a-b/_search?search_pipeline=p30a', { ext: { rerank: { query_context: { query_text: 'apple' } } } }); console.log(side, 'search_pipeline', r.status, JSON.stringify(r.json._shards), r.json.vlrerank?.window, r.json.vlrerank?.syntax); }
  await call(engine, 'PUT', '/p30a-a/_settings', { 'index.max_result_window': null });
}
