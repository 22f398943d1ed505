/**
 * Held-out probe round 27a: the write API's answers through the proxy (index `p27a-o`) against the
 * engine's own (index `p27a-d`, written directly) for the same sequence; then whether a reranked
 * search in between makes the client's next `if_seq_no` write a 409. Env: P27A_BASE, P27A_ENGINE, P27A_TMP.
 */
import { join } from 'node:path';
import { BASE, ENGINE, TMP, call, ranked } from './p27a-lib.js';

const photo = (n: string) => join(TMP, 'photos', `${n}.jpg`);
const strip = (t: string) => t.replace(/p27a-[od]/g, "IDX").replace(/"index_uuid":"[^"]*"/g, "").replace(/"took":\d+,?/g, '').replace(/,"forced_refresh":true/g, '');
let diff = 0;
async function both(label: string, method: string, path: (i: string) => string, body?: (seq: Record<string, any>) => unknown, seqs: Record<string, any>[] = [{}, {}]) {
  const a = await call(BASE, method, path('p27a-o'), body?.(seqs[0]!));
  const b = await call(ENGINE, method, path('p27a-d'), body?.(seqs[1]!));
  const same = a.status === b.status && strip(a.text) === strip(b.text);
  if (!same) diff++;
  console.log(same ? 'same' : 'DIFF', label, a.status, b.status, same ? '' : `\n  proxy  ${a.text.slice(0, 400)}\n  direct ${b.text.slice(0, 400)}`);
  return [a.json, b.json];
}
const doc = { title: 'Apple Pink Lady', description: 'a crisp red apple', image: photo('Pink-Lady') };
let [a, b] = await both('create', 'PUT', (i) => `/${i}/_doc/occ-1?refresh=true`, () => doc);
[a, b] = await both('if_seq_no ok', 'PUT', (i) => `/${i}/_doc/occ-1?refresh=true&if_seq_no=${i === 'p27a-o' ? a._seq_no : b._seq_no}&if_primary_term=1`, () => ({ ...doc, title: 'Apple Pink Lady Klass 1' }));
await both('if_seq_no stale 409', 'PUT', (i) => `/${i}/_doc/occ-1?if_seq_no=0&if_primary_term=1`, () => doc);
await both('update stale 409', 'POST', (i) => `/${i}/_update/occ-1?if_seq_no=0&if_primary_term=1`, () => ({ doc: { title: 'x' } }));
await both('create exists 409', 'PUT', (i) => `/${i}/_create/occ-1`, () => doc);
await both('external v10', 'PUT', (i) => `/${i}/_doc/ext-1?version=10&version_type=external&refresh=true`, () => doc);
await both('external v10 again 409', 'PUT', (i) => `/${i}/_doc/ext-1?version=10&version_type=external`, () => doc);
await both('external_gte v10', 'PUT', (i) => `/${i}/_doc/ext-1?version=10&version_type=external_gte&refresh=true`, () => doc);
await both('update with external', 'POST', (i) => `/${i}/_update/ext-1?version=11&version_type=external`, () => ({ doc: { title: 'y' } }));
// a _bulk: index, update, delete, index, update for the same id; doc_as_upsert; upsert
const bulk = (i: string) => [
  { index: { _index: i, _id: 'bk-1' } }, { title: 'Banana', description: 'yellow fruit', image: photo('Banana') },
  { update: { _index: i, _id: 'bk-1' } }, { doc: { title: 'Red apple bag' } },
  { update: { _index: i, _id: 'bk-1' } }, { doc: { image: photo('Red-Delicious') } },
  { delete: { _index: i, _id: 'bk-2' } },
  { index: { _index: i, _id: 'bk-2' } }, { title: 'Kiwi', description: 'green fruit', image: photo('Kiwi') },
  { update: { _index: i, _id: 'bk-3' } }, { doc: { title: 'Lime', description: 'green citrus', image: photo('Lime') }, doc_as_upsert: true },
  { update: { _index: i, _id: 'bk-3' } }, { doc: { title: 'Red apple juice' }, doc_as_upsert: true },
  { delete: { _index: i, _id: 'bk-3' } },
  { update: { _index: i, _id: 'bk-4' } }, { doc: { title: 'DOC' }, upsert: { title: 'Pear', description: 'a pear', image: photo('Conference') } },
].map((x) => JSON.stringify(x)).join('\n') + '\n';
const items = (j: any) => JSON.stringify(j?.items?.map((it: any) => { const [k, v] = Object.entries(it)[0] as [string, any]; return [k, v._id, v.status, v.result, v._version, v._seq_no, v.error?.type]; }));
const pa = await call(BASE, 'POST', '/_bulk?refresh=true', bulk('p27a-o'));
const pd = await call(ENGINE, 'POST', '/_bulk?refresh=true', bulk('p27a-d'));
console.log(items(pa.json) === items(pd.json) ? 'same' : 'DIFF', 'bulk', items(pa.json), pa.json?.items?.some((x: any) => Object.values(x)[0] && (Object.values(x)[0] as any).vlrerank) ? JSON.stringify(pa.json.items.map((x: any) => (Object.values(x)[0] as any).vlrerank ?? null)) : '');
// reranked searches that hold each changed document, then the client's next conditional write from its last answer
const last: Record<string, any> = {};
for (const it of pa.json.items) { const v = Object.values(it)[0] as any; last[v._id] = v; }
last['occ-1'] = a;
for (const q of ['red apple', 'pink lady apple', 'kiwi', 'pear']) {
  const r = await ranked('p27a-o', q, 20);
  console.log('search', q, r.ids.slice(0, 5).join(','), 'records', JSON.stringify(r.report?.feature_records ?? r.report?.records ?? null));
}
await new Promise((r) => setTimeout(r, 3000)); // a write-back is asynchronous
for (const id of ['occ-1', 'bk-1', 'bk-2', 'bk-4']) {
  const v = last[id];
  const w = await call(BASE, 'PUT', `/p27a-o/_doc/${id}?if_seq_no=${v._seq_no}&if_primary_term=${v._primary_term}&refresh=true`, { title: `${id} edited`, description: 'after a search', image: photo('Kiwi') });
  if (w.status !== 200) diff++;
  console.log(w.status === 200 ? 'ok ' : 'BAD', 'next if_seq_no write after searches', id, w.status, w.text.slice(0, 200));
}
console.log('diff', diff);
