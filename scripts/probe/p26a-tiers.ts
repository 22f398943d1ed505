/**
 * p26a: what one build's shared tiers (L2 folder, Redis) keep for the other — search a set of query
 * texts (and a query photo) not asked before on each base in turn, and report model runs and store
 * errors of each: a build that finds the other's bytes under its key counts an error and computes.
 *   npx tsx scripts/probe/p26a-tiers.ts TAG BASE…
 */
import { delta, metrics, search } from './p26a-lib.js';
const [tag, ...bases] = process.argv.slice(2);
const texts = ['fresh red tomatoes', 'a bottle of sparkling water', 'yogurt with strawberries', 'sliced brown bread', 'a bag of potatoes', 'cold milk in a glass', 'ripe yellow bananas', 'green peppers and onions'].map((t) => `${t} ${tag}`);
for (const base of bases) {
  const m0 = await metrics(base);
  for (const t of texts) {
    const s = await search(base, 'p26a-grocery', t);
    if (s.status !== 200) console.log(base, t, s.status, JSON.stringify(s.body).slice(0, 200));
  }
  await new Promise((r) => setTimeout(r, 1500));
  console.log(`${tag} ${base}`, JSON.stringify(delta(m0, await metrics(base))));
}
