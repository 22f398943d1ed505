/**
 * p26a: write the documents of the given indices through one build: `p26a-ingest.ts BASE index[:as]…`
 * (`p26a-coco:p26a-coco-x` writes the coco documents into p26a-coco-x).
 */
import { docs, ingest, metrics, delta } from './p26a-lib.js';
const [base, ...asks] = process.argv.slice(2);
const before = await metrics(base!);
const ds = asks.flatMap((a) => {
  const [from, to] = a.split(':');
  return docs().filter((d) => d.index === from).map((d) => ({ ...d, index: to ?? from! }));
});
const t = Date.now();
const failed = await ingest(base!, ds);
console.log(`${base}: ${ds.length} docs, ${failed} failed, ${((Date.now() - t) / 1000).toFixed(0)} s`, JSON.stringify(delta(before, await metrics(base!))));
