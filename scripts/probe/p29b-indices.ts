/** Probe: index names of odd legal shapes (unicode NFC/NFD, date math, `.`/`_`/`+` inside) — the pipeline found, the write gets its record, the reranked search works, each index its own documents. */
import { BANANA, MILK, call, direct, es, setup, ENGINE, BASE } from './p29b-lib.js';

const names = ['p29b-r-caf\u00e9', 'p29b-r-cafe\u0301', 'p29b-r-日本', 'p29b-r.dots..x', 'p29b-r_u+p', 'p29b-r-🍌', 'p29b-r-2026.12.07'];
for (const [i, index] of names.entries()) {
  await setup('p29b', index);
  const img = i % 2 ? MILK : BANANA;
  const w = await es.index({ index, id: 'X', document: { title: `product ${i}`, image: img }, refresh: true }).then((r) => r.result, (e: any) => `ERR ${e.message.slice(0, 150)}`);
  const g = await direct.get({ index, id: 'X', stored_fields: ['vlrerank_features'] }).then((r: any) => (r.fields ? 'rec' : 'NOREC'), (e: any) => `ERR ${e.message.slice(0, 80)}`);
  const s = await es.search({ index, query: { match_all: {} }, ext: { vlrerank: { query: { text: 'banana' }, explain: true } } } as any).then((r: any) => `${r.hits.hits.map((h: any) => `${h._index}/${h._id}=${h._score.toFixed(4)}/${h._vlrerank?.explanation?.feature_source ?? JSON.stringify(h._vlrerank?.explanation ?? {}).slice(0, 120)}`)} pipe=${r.vlrerank?.pipeline}`, (e: any) => `ERR ${e.message.slice(0, 200)}`);
  console.log(JSON.stringify(index), i % 2 ? 'milk' : 'banana', w, g, s);
}
// both NFC and NFD indices together: each hit its own
const both = await call(BASE, 'POST', `/${encodeURIComponent(names[0]!)},${encodeURIComponent(names[1]!)}/_search`, { query: { match_all: {} }, ext: { vlrerank: { query: { text: 'banana' } } } });
console.log('both', both.status, JSON.stringify(both.json?.hits?.hits?.map((h: any) => [h._index, h._id, h._score]) ?? both.text.slice(0, 300)));
// date math
const dm = encodeURIComponent('<p29b-r-{now/d{yyyy.MM.dd|UTC}}>');
const today = new Date().toISOString().slice(0, 10).replace(/-/g, '.');
await setup('p29b', `p29b-r-${today}`);
const dw = await call(BASE, 'PUT', `/${dm}/_doc/D?refresh=true`, { title: 'date math', image: BANANA });
const dg = await call(ENGINE, 'GET', `/p29b-r-${today}/_doc/D?stored_fields=vlrerank_features`);
const ds = await call(BASE, 'POST', `/${dm}/_search`, { query: { match_all: {} }, ext: { vlrerank: { query: { text: 'banana' } } } });
console.log('datemath', dw.status, dw.text.slice(0, 200), 'record:', !!dg.json?.fields, 'search', ds.status, JSON.stringify(ds.json?.hits?.hits?.map((h: any) => [h._index, h._id, h._score]) ?? ds.text.slice(0, 300)), ds.json?.vlrerank?.pipeline);
