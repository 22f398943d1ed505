/**
 * Held-out probe round 27a: a deleted product never comes back in a reranked window; and whether a
 * search that recomputes a record (the photo replaced in place) makes the client's next `if_seq_no`
 * write a 409 it did not cause. Env: P27A_BASE, P27A_TMP.
 */
import { copyFileSync } from 'node:fs';
import { join } from 'node:path';
import { BASE, TMP, call, ranked, metric } from './p27a-lib.js';

const photo = (n: string) => join(TMP, 'photos', `${n}.jpg`);
// deleted: searched by its own title, 3 times (the second and third find everything kept)
for (const id of ['Pineapple', 'Satsumas']) {
  const src = (await call(BASE, 'GET', `/p27a-g/_source/${id}`)).json;
  const before = await ranked('p27a-g', src.title, 50);
  await call(BASE, 'DELETE', `/p27a-g/_doc/${id}?refresh=wait_for`);
  for (let i = 0; i < 3; i++) {
    const r = await ranked('p27a-g', src.title, 50);
    console.log(r.ids.includes(id) ? 'BAD' : 'ok ', 'deleted', id, 'was at', before.ids.indexOf(id), 'window', r.ids.length);
  }
}
// the client's conditional write after a search recomputed the record
const w = await call(BASE, 'PUT', '/p27a-g/_doc/Zucchini?refresh=wait_for', { title: 'Zucchini', description: 'green squash', image: photo('Zucchini') });
console.log('write', w.status, w.json._seq_no, w.json._version);
copyFileSync(photo('Red-Delicious'), photo('Zucchini'));
const before = await metric('vlrerank_feature_records_total');
await ranked('p27a-g', 'green squash zucchini', 20);
await new Promise((r) => setTimeout(r, 3000));
console.log((await metric('vlrerank_feature_records_total')).join(' '), '| before', before.join(' '));
const now = (await call(BASE, 'GET', '/p27a-g/_doc/Zucchini')).json;
console.log('now', now._seq_no, now._version);
const next = await call(BASE, 'PUT', `/p27a-g/_doc/Zucchini?if_seq_no=${w.json._seq_no}&if_primary_term=${w.json._primary_term}`, { title: 'Zucchini', description: 'green squash, price 2', image: photo('Zucchini') });
console.log(next.status === 200 ? 'ok ' : 'BAD', 'next if_seq_no write', next.status, next.text.slice(0, 160));
