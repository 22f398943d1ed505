/**
 * Held-out probe round 27a: documents changed through the proxy, then a reranked score of each
 * against the same content written whole into `p27a-t` (records made fresh). Env: P27A_BASE, P27A_TMP.
 *   npx tsx scripts/probe/p27a-changes.ts
 */
import { copyFileSync, readFileSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { BASE, TMP, call, near, scores, truth, metric } from './p27a-lib.js';

const photo = (n: string) => join(TMP, 'photos', `${n}.jpg`);
const get = async (id: string) => (await call(BASE, 'GET', `/p27a-g/_source/${id}`)).json;
let bad = 0;
async function check(label: string, id: string, q: string) {
  const doc = await get(id);
  const s = (await scores('p27a-g', q, [id]))[id];
  const t = await truth(id, doc, q);
  const ok = near(s, t);
  if (!ok) bad++;
  console.log(ok ? 'ok ' : 'BAD', label, id, 'search', s, 'truth', t);
}

// A: a partial update of the title
let r = await call(BASE, 'POST', '/p27a-g/_update/Banana?refresh=wait_for', { doc: { title: 'Red Bell Pepper Organic' } });
console.log('A update', r.status, r.text.slice(0, 200));
await check('A title updated', 'Banana', 'red bell pepper');
// B: doc_as_upsert new id, then existing
r = await call(BASE, 'POST', '/p27a-g/_update/new-1?refresh=wait_for', { doc: { title: 'Oat milk barista', description: 'Oat drink', image: photo('Oatly-Natural-Oatghurt') }, doc_as_upsert: true });
console.log('B upsert', r.status, r.text.slice(0, 200));
await check('B doc_as_upsert created', 'new-1', 'oat milk');
r = await call(BASE, 'POST', '/p27a-g/_update/new-1?refresh=wait_for', { doc: { title: 'Soy milk' }, doc_as_upsert: true });
await check('B doc_as_upsert existing', 'new-1', 'oat milk');
// C: upsert + doc: missing (upsert stored), existing (doc applied)
r = await call(BASE, 'POST', '/p27a-g/_update/new-2?refresh=wait_for', { doc: { title: 'DOC' }, upsert: { title: 'Green juice', description: 'juice of apples', image: photo('Granny-Smith') } });
await check('C upsert created', 'new-2', 'green apple juice');
r = await call(BASE, 'POST', '/p27a-g/_update/new-2?refresh=wait_for', { doc: { title: 'Orange juice' }, upsert: { title: 'UPSERT' } });
await check('C upsert existing', 'new-2', 'orange juice');
// E: the photo field changed to another path
r = await call(BASE, 'POST', '/p27a-g/_update/Cucumber?refresh=wait_for', { doc: { image: photo('Banana') } });
await check('E photo path changed', 'Cucumber', 'banana');
// G: delete, re-create the same _id with other content
await call(BASE, 'DELETE', '/p27a-g/_doc/Lemon?refresh=true');
r = await call(BASE, 'PUT', '/p27a-g/_create/Lemon?refresh=true', { title: 'Chocolate milk', description: 'milk with cocoa', image: photo('Arla-Standard-Milk') });
console.log('G re-created', r.status, r.text.slice(0, 200));
await check('G re-created', 'Lemon', 'chocolate milk');
// F: the photo file replaced in place, other bytes; mtime moved, and mtime kept
const before = (await scores('p27a-g', 'a red apple', ['Kiwi']))['Kiwi'];
const st = statSync(photo('Kiwi'));
copyFileSync(photo('Pink-Lady'), photo('Kiwi'));
console.log('F size', st.size, '->', statSync(photo('Kiwi')).size);
await check('F photo replaced in place (mtime moved)', 'Kiwi', 'a red apple');
console.log('F before', before);
// same size, same mtime: bytes of another photo cut/padded to the size
const st2 = statSync(photo('Mango'));
const other = readFileSync(photo('Red-Delicious'));
const same = Buffer.alloc(st2.size);
other.copy(same, 0, 0, Math.min(other.length, st2.size));
writeFileSync(photo('Mango'), same);
utimesSync(photo('Mango'), st2.atime, st2.mtime);
await check('F2 same size same mtime', 'Mango', 'a red apple');
console.log('bad', bad);
console.log((await metric('vlrerank_feature_record')).join('\n'));
