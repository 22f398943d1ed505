/** Held-out probe round 27a: a `_bulk` changing the same ids several times, each reranked score against the content written whole (`p27a-t`). */
import { join } from 'node:path';
import { BASE, TMP, call, near, scores, truth, metric } from './p27a-lib.js';

const photo = (n: string) => join(TMP, 'photos', `${n}.jpg`);
const tag = process.argv[2] ?? 'h';
const id = (n: number) => `${tag}-${n}`;
const ops = [
  { index: { _index: 'p27a-g', _id: id(1) } }, { title: 'Banana', description: 'yellow fruit', image: photo('Banana') },
  { update: { _index: 'p27a-g', _id: id(1) } }, { doc: { title: 'Red apple bag' } },
  { update: { _index: 'p27a-g', _id: id(1) } }, { doc: { image: photo('Red-Delicious') } },
  { index: { _index: 'p27a-g', _id: id(2) } }, { title: 'Kiwi', description: 'green fruit', image: photo('Kiwi') },
  { delete: { _index: 'p27a-g', _id: id(2) } },
  { index: { _index: 'p27a-g', _id: id(2) } }, { title: 'Red apple', description: 'crisp', image: photo('Pink-Lady') },
  { update: { _index: 'p27a-g', _id: id(3) } }, { doc: { title: 'Lime', description: 'green citrus', image: photo('Lime') }, doc_as_upsert: true },
  { update: { _index: 'p27a-g', _id: id(3) } }, { doc: { title: 'Red apple juice' }, doc_as_upsert: true },
  { update: { _index: 'p27a-g', _id: id(4) } }, { doc: { title: 'DOC' }, upsert: { title: 'Pear', description: 'a pear', image: photo('Conference') } },
  { update: { _index: 'p27a-g', _id: id(4) } }, { doc: { title: 'Red apple pear' }, upsert: { title: 'UPSERT' } },
  { create: { _index: 'p27a-g', _id: id(5) } }, { title: 'Melon', description: 'sweet', image: photo('Galia-Melon') },
  { update: { _index: 'p27a-g', _id: id(5) } }, { doc: { description: 'a red apple in disguise' }, detect_noop: false },
].map((x) => JSON.stringify(x)).join('\n') + '\n';
const r = await call(BASE, 'POST', '/_bulk?refresh=wait_for', ops);
console.log('bulk', r.status, r.json.errors, JSON.stringify(r.json.items.map((x: any) => { const v = Object.values(x)[0] as any; return [v._id, v.status, v.vlrerank?.error?.reason?.slice(0, 80)]; })));
let bad = 0;
for (const n of [1, 2, 3, 4, 5]) {
  const doc = (await call(BASE, 'GET', `/p27a-g/_source/${id(n)}`)).json;
  const s = (await scores('p27a-g', 'a red apple', [id(n)]))[id(n)];
  const t = await truth(id(n), doc, 'a red apple');
  if (!near(s, t)) bad++;
  console.log(near(s, t) ? 'ok ' : 'BAD', id(n), doc.title, '|', doc.image?.split('/').pop(), 'search', s, 'truth', t);
}
console.log('bad', bad, (await metric('vlrerank_feature_records_total')).join(' '));
