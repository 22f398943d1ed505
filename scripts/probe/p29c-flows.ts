/** Round 29c: writes (`_doc`, `_update`), records read, search by image, headers — each side next to 8.19. */
import { join } from 'node:path';
import { G, SIDES, call, type Side } from './p29c-lib.js';
const photo = join(G, 'iconic-images-and-descriptions/Fruit/Banana/Banana_Iconic.jpg');
const kiwi = (process.env.SHELF ?? join(G, 'iconic-images-and-descriptions/Fruit/Kiwi/Kiwi_Iconic.jpg'));
for (const s of Object.keys(SIDES) as Side[]) {
  const { proxy, engine } = SIDES[s];
  const d = await call(proxy, 'PUT', '/p29c-g/_doc/x1?refresh=true', { title: 'Yellow banana bunch', description: 'Ripe bananas', image: photo });
  const u = await call(proxy, 'POST', '/p29c-g/_update/x1?refresh=true', { doc: { title: 'Green banana bunch' } });
  const raw = await call(engine, 'GET', '/p29c-g/_doc/x1?stored_fields=vlrerank_features,vlrerank_features_key&_source=true');
  const rawv = await call(engine, 'POST', '/p29c-g/_search', { query: { ids: { values: ['x1'] } }, fields: ['image_vector'], _source: true, size: 1, docvalue_fields: [] });
  const src = raw.json?._source ?? {};
  console.log(s, 'doc', d.status, JSON.stringify(d.json?.vlrerank ?? d.json?.result), 'update', u.status, u.json?.result, JSON.stringify(u.json?.vlrerank ?? '').slice(0, 200));
  console.log('  stored keys', Object.keys(src).join(','), 'record', !!raw.json?.fields?.vlrerank_features, 'key', JSON.stringify(raw.json?.fields?.vlrerank_features_key), 'vec in hit.fields', Array.isArray(rawv.json?.hits?.hits?.[0]?.fields?.image_vector));
  const ex = await call(proxy, 'POST', '/p29c-g/_search', { size: 3, query: { ids: { values: ['x1', 'Banana', 'Kiwi'] } }, ext: { vlrerank: { query: { text: 'green banana' }, explain: true } } });
  console.log('  explain', ex.status, JSON.stringify(ex.json?.hits?.hits?.map((h: any) => [h._id, h._score, h._vlrerank?.features ?? h._vlrerank?.source ?? Object.keys(h._vlrerank ?? {}).join('|')])), JSON.stringify(ex.json?.vlrerank?.records ?? ex.json?.vlrerank?.features ?? '').slice(0, 200));
  const img = await call(proxy, 'POST', '/p29c-g/_search', { size: 5, _source: ['title'], ext: { vlrerank: { query: { image: kiwi } } } });
  console.log('  by image', img.status, JSON.stringify(img.json?.hits?.hits?.map((h: any) => [h._id, h._score])), img.status !== 200 ? img.text.slice(0, 300) : '');
}
