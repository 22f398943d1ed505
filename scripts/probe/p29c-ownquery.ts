/** Round 29c: a search's own `multi_match` (kept as given) reranked on OpenSearch 2.19 and 3.6 — how far the blend moves. */
import { SIDES, call, groceryDocs } from './p29c-lib.js';
const names = groceryDocs(40).map((d) => String(d.title));
let reordered = 0, maxd = 0;
for (const q of names) {
  const body = { size: 5, _source: false, query: { multi_match: { query: q, fields: ['title^2', 'description'] } }, ext: { vlrerank: { query: { text: q } } } };
  const [a, b] = await Promise.all([call(SIDES.os2.proxy, 'POST', '/p29c-g/_search', body), call(SIDES.os3.proxy, 'POST', '/p29c-g/_search', body)]);
  const ha = a.json.hits.hits, hb = b.json.hits.hits;
  if (ha.map((h: any) => h._id).join() !== hb.map((h: any) => h._id).join()) reordered++;
  ha.forEach((h: any, i: number) => { const o = hb.find((x: any) => x._id === h._id); if (o) maxd = Math.max(maxd, Math.abs(o._score - h._score)); void i; });
}
console.log('queries', names.length, 'top-5 differs', reordered, 'max |d| score', maxd.toFixed(4));
