/** Round 29c: `_update` of a photo and an upsert through each proxy; the photo search and a text search after. */
import { join } from 'node:path';
import { G, SIDES, call, type Side } from './p29c-lib.js';
const milk = join(G, 'iconic-images-and-descriptions/Packages/Milk/Arla-Standard-Milk/Arla-Standard-Milk_Iconic.jpg');
for (const s of Object.keys(SIDES) as Side[]) {
  const { proxy } = SIDES[s];
  const u = await call(proxy, 'POST', '/p29c-g/_update/x1?refresh=true', { doc: { image: milk } });
  const up = await call(proxy, 'POST', '/p29c-g/_update/x2?refresh=true', { doc: { title: 'Standard milk carton', image: milk }, doc_as_upsert: true });
  const img = await call(proxy, 'POST', '/p29c-g/_search', { size: 4, _source: false, ext: { vlrerank: { query: { image: milk } } } });
  const t = await call(proxy, 'POST', '/p29c-g/_search', { size: 3, _source: false, query: { ids: { values: ['x1', 'x2', 'Banana'] } }, ext: { vlrerank: { query: { text: 'milk carton' } } } });
  console.log(s, u.status, u.json?.result, up.status, up.json?.result, 'img', JSON.stringify(img.json?.hits?.hits?.map((h: any) => [h._id, h._score])), 'txt', JSON.stringify(t.json?.hits?.hits?.map((h: any) => [h._id, h._score])));
}
