/**
 * Held-out probe round 28b: one product with a long array of short texts (`tags`, n strings) among
 * ordinary products, behind a chunking pipeline without records (`p28bcn`, 5 s budget): does the one
 * document's chunks cost the whole search?
 *
 *   npx tsx scripts/probe/p28b-chunks.ts [n]
 */
import { BANANA, MILK, BASE, ENGINE, call } from './p28b-lib.js';

const n = Number(process.argv[2] ?? 10_000);
const words = ['ripe', 'yellow', 'fresh', 'organic', 'sweet', 'fruit', 'snack', 'tropical'];
await call(ENGINE, 'DELETE', '/p28b-d1');
await call(ENGINE, 'PUT', '/p28b-d1', { mappings: { properties: { title: { type: 'text' }, tags: { type: 'text' }, image: { type: 'keyword', index: false } } } });
const nd = [
  ['banana', { title: 'Banana', image: BANANA }],
  ['milk', { title: 'Milk', image: MILK }],
  ['banana-tags', { title: 'Banana chips', tags: Array.from({ length: n }, (_, i) => `${words[i % 8]}${i}`) }],
]
  .map(([id, d]) => `${JSON.stringify({ index: { _index: 'p28b-d1', _id: id } })}\n${JSON.stringify(d)}\n`)
  .join('');
console.log('bulk direct', (await call(ENGINE, 'POST', '/_bulk?refresh=true', nd)).status);
for (let k = 0; k < 2; k++) {
  const r = await call(BASE, 'POST', '/p28b-d1/_search', { size: 3, ext: { vlrerank: { query: { text: 'banana' }, explain: true } } });
  console.log('search', r.status, `${r.ms}ms`, JSON.stringify(r.json?.vlrerank).slice(0, 600));
  for (const h of r.json?.hits?.hits ?? []) console.log(' ', h._id, h._vlrerank?.rerank_score, JSON.stringify(h._vlrerank?.explanation?.signals?.[0]?.detail?.chunks ?? ''));
}
