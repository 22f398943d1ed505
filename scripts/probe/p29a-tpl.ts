/** Held-out probe round 29a: search templates with the rerank in their params, OpenSearch 3.6 (has mustache): npx tsx scripts/probe/p29a-tpl.ts */
import { send } from './p29a-lib.js';

const VL = 'http://127.0.0.1:19662';
const OS = 'http://127.0.0.1:19202';
const line = (l: string, r: { status: number; j: any }) => console.log(`[${l}] ${r.status} ${r.j.error ? `${r.j.error.type}: ${String(r.j.error.reason).slice(0, 160)}` : ''}${r.j.responses ? JSON.stringify(r.j.responses.map((x: any) => [x.status, x.vlrerank?.window, x.hits?.hits?.map((h: any) => h._id).slice(0, 3), x.error?.reason?.slice(0, 80)])) : ''}${r.j.hits ? ` ids=${r.j.hits.hits.map((h: any) => h._id).slice(0, 4).join(' ')} src=${Object.keys(r.j.hits.hits[0]?._source ?? {}).length} vl=${r.j.vlrerank ? r.j.vlrerank.window : 'none'} aggs=${JSON.stringify(r.j.aggregations ?? null).slice(0, 60)}` : ''}`);
const src = { query: { match: { title: '{{t}}' } }, size: 3, ext: { vlrerank: { query: { text: '{{t}}' } } } };
line('tpl ext in source', await send(VL, '/p29a-g/_search/template', { source: src, params: { t: 'apple' } }));
line('tpl ext via toJson param', await send(VL, '/p29a-g/_search/template', { source: '{"query":{"match":{"title":"{{t}}"}},"size":3,"ext":{{#toJson}}e{{/toJson}}}', params: { t: 'apple', e: { vlrerank: { query: { text: 'green apple' } } } } }));
line('tpl _source false + aggs + script_fields', await send(VL, '/p29a-g/_search/template', { source: { ...src, _source: false, aggs: { c: { terms: { field: 'category.keyword' } } }, script_fields: { d: { script: '1' } } }, params: { t: 'apple' } }));
line('direct same (no ext)', await send(OS, '/p29a-g/_search/template', { source: { query: { match: { title: '{{t}}' } }, size: 3, _source: false, aggs: { c: { terms: { field: 'category.keyword' } } }, script_fields: { d: { script: '1' } } }, params: { t: 'apple' } }));
line('tpl explain', await send(VL, '/p29a-g/_search/template', { source: src, params: { t: 'apple' }, explain: true }));
line('tpl profile', await send(VL, '/p29a-g/_search/template', { source: src, params: { t: 'apple' }, profile: true }));
line('tpl ?q-less, sort price', await send(VL, '/p29a-g/_search/template', { source: { ...src, sort: [{ price: 'asc' }] }, params: { t: 'apple' } }));
line('tpl ?search_pipeline', await send(VL, '/p29a-g/_search/template?search_pipeline=p29a', { source: { query: { match: { title: '{{t}}' } }, size: 3 }, params: { t: 'apple' } }));
line('tpl ?filter_path', await send(VL, '/p29a-g/_search/template?filter_path=hits.hits._id', { source: src, params: { t: 'apple' } }));
line('tpl ?typed_keys', await send(VL, '/p29a-g/_search/template?typed_keys=true', { source: { ...src, aggs: { c: { terms: { field: 'category.keyword' } } } }, params: { t: 'apple' } }));
line('tpl ?rest_total_hits_as_int', await send(VL, '/p29a-g/_search/template?rest_total_hits_as_int=true', { source: src, params: { t: 'apple' } }));
line('msearch/template', await send(VL, '/p29a-g/_msearch/template', `{}\n${JSON.stringify({ source: src, params: { t: 'apple' } })}\n{}\n${JSON.stringify({ source: { ...src, sort: [{ price: 'asc' }] }, params: { t: 'pear' } })}\n{}\n${JSON.stringify({ source: { query: { match: { title: '{{t}}' } } }, params: { t: 'pear' } })}\n`));
line('render', await send(VL, '/_render/template', { source: src, params: { t: 'apple' } }));
const tpl = await send(VL, '/_scripts/p29a-t', { script: { lang: 'mustache', source: src } });
line('stored tpl put', tpl);
line('stored tpl search', await send(VL, '/p29a-g/_search/template', { id: 'p29a-t', params: { t: 'apple' } }));
line('stored tpl del', await send(VL, '/_scripts/p29a-t', undefined, 'DELETE'));
