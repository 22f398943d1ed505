/**
 * p26a: a build reading records the other build wrote vs a process of the same build computing
 * everything from scratch (its pipelines with `features.store: none`, no L2, no Redis): every hit's
 * score compared.  npx tsx scripts/probe/p26a-fresh.ts READING_BASE FRESH_BASE
 */
import { differ, search } from './p26a-lib.js';
const [a, b] = process.argv.slice(2);
const asks: Array<[string, string]> = [
  ['p26a-grocery', 'green apple'], ['p26a-grocery', 'orange juice carton'], ['p26a-grocery', 'milk'], ['p26a-grocery', 'juice'],
  ['p26a-coco', 'a man riding a horse'], ['p26a-coco', 'a kitchen with a table'], ['p26a-coco', 'food on a plate'], ['p26a-coco-byold', 'a man riding a horse'], ['p26a-coco-byold', 'a kitchen with a table'], ['p26a-coco-byold', 'food on a plate'],
  ['p26a-videos', 'people walking'], ['p26a-videos', 'a car on the road'], ['p26a-videos', 'bottles'],
];
let same = 0;
for (const [index, text] of asks) {
  const x = await search(a!, index, text, { size: 30 });
  const y = await search(b!, index, text, { size: 30 });
  const d = differ(x.hits, y.hits);
  if (d) console.log(`${index} "${text}": DIFF ${d}`);
  else same++;
  if (x.status !== 200 || y.status !== 200 || x.body.vlrerank?.degraded || y.body.vlrerank?.degraded) console.log(index, text, x.status, y.status, JSON.stringify(x.body.vlrerank?.degraded), JSON.stringify(y.body.vlrerank?.degraded));
}
console.log(`${same}/${asks.length} alike (ids in order, scores to 2e-6)`);
