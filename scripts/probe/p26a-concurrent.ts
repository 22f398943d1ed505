/**
 * p26a: both builds searched at once on one L2 folder and one Redis (4 clients each, new query
 * texts every round so the tiers are written as well as read): statuses, degraded answers, errors.
 *   npx tsx scripts/probe/p26a-concurrent.ts SECONDS BASE…
 */
import { delta, metrics, search } from './p26a-lib.js';
const [secs, ...bases] = process.argv.slice(2);
const until = Date.now() + Number(secs) * 1000;
const words = ['red', 'green', 'fresh', 'sweet', 'sour', 'cold', 'organic', 'sliced', 'whole', 'small'];
const things = ['apples', 'juice', 'milk', 'peppers', 'a man on a horse', 'a kitchen', 'cars on a street', 'people walking'];
const indices = ['p26a-grocery', 'p26a-coco', 'p26a-videos', 'p26a-coco-byold'];
const m0 = await Promise.all(bases.map((b) => metrics(b)));
const tally: Record<string, number> = {};
let n = 0;
await Promise.all(
  bases.flatMap((base) =>
    [0, 1, 2, 3].map(async (w) => {
      while (Date.now() < until) {
        const i = n++;
        const text = `${words[i % words.length]} ${things[(i * 7 + w) % things.length]} ${Math.floor(i / 80)}`;
        const s = await search(base, indices[(i + w) % indices.length]!, text).catch((e) => ({ status: -1, body: { error: String(e) }, hits: [] }) as any);
        const k = `${base} ${s.status}${s.body?.vlrerank?.degraded ? ` degraded:${JSON.stringify(s.body.vlrerank.degraded).slice(0, 80)}` : ''}`;
        tally[k] = (tally[k] ?? 0) + 1;
      }
    }),
  ),
);
console.log(tally);
for (const [i, b] of bases.entries()) console.log(b, JSON.stringify(delta(m0[i]!, await metrics(b))));
