/** Probe: the same _id under two routings (and in two indices behind one alias) — each hit scored on its own document. */
import { BANANA, MILK, call, setup, ENGINE, BASE } from './p29b-lib.js';

const pre = process.argv[2] ?? 'p29b-n';
const pipe = pre === 'p29b-r' ? 'p29b' : 'p29bn';
const q = (index: string, ids: string[]) => call(BASE, 'POST', `/${index}/_search`, { size: 10, query: { ids: { values: ids } }, ext: { vlrerank: { query: { text: 'banana' }, explain: true } } });
const show = (label: string, r: Awaited<ReturnType<typeof q>>) => console.log(label, r.status, JSON.stringify((r.json?.hits?.hits ?? []).map((h: any) => [h._index, h._id, h._routing, h._source?.title, h._source?.label, h._score?.toFixed(4), h._vlrerank?.explanation?.slice?.(0, 0)])), JSON.stringify(r.json?.vlrerank?.unscored ?? r.json?.error ?? ''));
// 1. photo in _source, two routings
const a = `${pre}3`;
await setup(pipe, a, undefined, 4);
for (const [routing, title, image] of [['r1', 'yellow fruit', BANANA], ['r4', 'dairy', MILK]] as const)
  console.log((await call(BASE, 'PUT', `/${a}/_doc/X?routing=${routing}&refresh=true`, { title, image })).status);
show('routing/source', await q(a, ['X']));
// 2. the tags read through the fields API: a copy_to target not in _source
const b = `${pre}4`;
await setup(pipe, b, { tags: { type: 'text', store: true }, label: { type: 'text', copy_to: 'tags' } }, 4);
for (const [routing, label] of [['r1', 'banana'], ['r4', 'milk']] as const)
  console.log((await call(BASE, 'PUT', `/${b}/_doc/X?routing=${routing}&refresh=true`, { title: 'product', label })).status);
show('routing/copy_to', await q(b, ['X']));
// each alone (a distinct id) for reference
for (const [id, label] of [['B', 'banana'], ['M', 'milk']] as const) await call(BASE, 'PUT', `/${b}/_doc/${id}?refresh=true`, { title: 'product', label });
show('alone/copy_to', await q(b, ['B', 'M']));
// 3. two indices behind one alias with the same _id
const c1 = `${pre}5a`, c2 = `${pre}5b`;
await setup(pipe, c1); await setup(pipe, c2);
await call(BASE, 'PUT', `/${c1}/_doc/X?refresh=true`, { title: 'yellow fruit', image: BANANA });
await call(BASE, 'PUT', `/${c2}/_doc/X?refresh=true`, { title: 'dairy', image: MILK });
await call(ENGINE, 'POST', '/_aliases', { actions: [{ add: { index: c1, alias: `${pre}5` } }, { add: { index: c2, alias: `${pre}5` } }] });
show('alias', await q(`${pre}5`, ['X']));
