/** Held-out probe round 29a: templates, async search, PIT + search_after, _msearch and OpenSearch's search_pipeline with the same body parts (npx tsx scripts/probe/p29a-apis.ts). */
import { both, ENGINES, RR, send } from './p29a-lib.js';

const Q = { multi_match: { query: 'green apple', fields: ['title^2', 'description'] } };
const show = (j: any) => ({ ids: j.hits?.hits?.map((h: any) => h._id).slice(0, 5), src: Object.keys(j.hits?.hits?.[0]?._source ?? {}), vl: j.vlrerank?.window });
const tpl = { source: { query: { match: { title: '{{t}}' } }, size: 3, ext: { vlrerank: { query: { text: '{{t}}' } } } }, params: { t: 'apple' } };
await both('_search/template ext in source', '/p29a-g/_search/template', tpl, { show });
await both('_search/template ext in params (toJson)', '/p29a-g/_search/template', { source: '{"query":{"match":{"title":"{{t}}"}},"size":3,"ext":{{#toJson}}e{{/toJson}}}', params: { t: 'apple', e: RR } }, { show });
await both('_msearch/template', '/p29a-g/_msearch/template', '{}\n' + JSON.stringify(tpl) + '\n', { show: (j: any) => j.responses?.map((r: any) => [r.status, r.error?.type, r.vlrerank?.window]) });
await both('_async_search', '/p29a-g/_async_search?wait_for_completion_timeout=10s', { query: Q, size: 3, ext: RR }, { only: ['es8'], show: (j: any) => [j.is_running, j.response?.vlrerank?.window] });
await both('_msearch script_fields', '/p29a-g/_msearch', '{}\n' + JSON.stringify({ query: Q, size: 2, script_fields: { d: { script: '1' } }, ext: RR }) + '\n', { show: (j: any) => j.responses?.map((r: any) => [r.status, Object.keys(r.hits?.hits?.[0] ?? {})]) });
await both('_msearch ?q-less, sort price', '/p29a-g/_msearch', '{}\n' + JSON.stringify({ query: Q, size: 2, sort: [{ price: 'asc' }], ext: RR }) + '\n', { show: (j: any) => j.responses?.map((r: any) => [r.status, r.error?.reason?.slice(0, 80)]) });
await both('os search_pipeline script_fields', '/p29a-g/_search?search_pipeline=p29a', { query: Q, size: 2, script_fields: { d: { script: '1' } } }, { only: ['os2'], show });
// PIT
for (const e of ENGINES) {
  const open = e.name === 'es8' ? await send(e.vl, '/p29a-g/_pit?keep_alive=1m', undefined) : await send(e.vl, '/p29a-g/_search/point_in_time?keep_alive=1m', undefined);
  const id = open.j.id ?? open.j.pit_id;
  console.log(`[pit open] ${e.name} ${open.status} ${String(id).slice(0, 20)}`);
  const pit = { id, keep_alive: '1m' };
  const a = await send(e.vl, '/_search', { query: Q, size: 3, pit, ext: RR });
  console.log(`[pit + rerank] ${e.name} ${a.status} ${JSON.stringify(show(a.j))} pit_id kept=${(a.j.pit_id ?? '') === id}`);
  const b = await send(e.vl, '/_search', { query: Q, size: 3, pit, sort: [{ price: 'asc' }], search_after: [10], ext: RR });
  console.log(`[pit + search_after + rerank] ${e.name} ${b.status} ${b.j.error?.reason?.slice(0, 140)}`);
  const c = await send(e.vl, '/_search', { query: Q, size: 3, from: 3, pit, ext: RR });
  console.log(`[pit page 2 + rerank] ${e.name} ${c.status} ${JSON.stringify(show(c.j))}`);
  if (e.name === 'es8') await send(e.vl, '/_pit', { id }, 'DELETE');
  else await send(e.vl, '/_search/point_in_time', { pit_id: [id] }, 'DELETE');
}
