/**
 * p26a: a client behind HAProxy round-robin over one replica of each build: every search sent twice
 * in a row (one to each replica) — same ids in the same order, same scores? And can the client tell
 * which build answered?   npx tsx scripts/probe/p26a-haproxy.ts HAPROXY_BASE
 */
import { differ, search } from './p26a-lib.js';
const [base] = process.argv.slice(2);
const asks: Array<[string, string]> = [];
for (const t of ['green apple', 'orange juice carton', 'milk', 'juice', 'yoghurt', 'red pepper']) asks.push(['p26a-grocery', t]);
for (const t of ['a man riding a horse', 'a kitchen with a table', 'food on a plate', 'a street with cars', 'a cat', 'people at the beach']) asks.push(['p26a-coco', t], ['p26a-coco-byold', t]);
for (const t of ['people walking', 'a car on the road', 'bottles']) asks.push(['p26a-videos', t]);
let same = 0;
const diffs: string[] = [];
const seen = new Set<string>();
for (const [index, text] of asks) {
  const a = await search(base!, index, text, { size: 10 });
  const b = await search(base!, index, text, { size: 10 });
  for (const h of [a.headers, b.headers]) seen.add([...h.keys()].filter((k) => k.startsWith('x-vlrerank') || k === 'server').join(','));
  const d = differ(a.hits, b.hits);
  if (d) diffs.push(`${index} "${text}": ${d}`);
  else same++;
}
console.log(`${same}/${asks.length} alike twice in a row; headers seen: ${[...seen].join(' | ')}`);
for (const d of diffs) console.log('  ' + d);
