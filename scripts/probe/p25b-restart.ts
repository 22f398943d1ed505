/**
 * Held-out probe round 25b: the same searches and rerank calls before and after a restart — `save`
 * writes the answers of a server to a file, `compare` asks again and compares (order and scores exactly).
 *
 *   npx tsx scripts/probe/p25b-restart.ts save http://127.0.0.1:19550 before-A.json
 *   (restart it)
 *   npx tsx scripts/probe/p25b-restart.ts compare http://127.0.0.1:19550 before-A.json
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { ask, check, differ, rerankApi, results, search, type Hit } from './p25b-lib.js';
import { docs } from './p25b-data.js';

const [mode, base, file] = process.argv.slice(2) as ['save' | 'compare', string, string];
const queries = ['apple', 'green apple', 'apple juice', 'car detection', 'bottle', 'protein in cells'];
const all = docs();
const answers: Record<string, Hit[]> = {};
for (const q of queries)
  for (const pipeline of ['p25bn', 'p25b']) answers[`${pipeline} ${q}`] = (await search(base, ask(q, { size: 30 }, { pipeline }))).hits;
for (const q of queries.slice(0, 3)) {
  const r = await rerankApi(base, q, all.map((d) => ({ text: [d.body.title, d.body.description].filter(Boolean).join('\n'), ...(d.body.image ? { image: d.body.image } : {}), ...(d.body.video ? { video: d.body.video } : {}) })));
  answers[`/v1/rerank ${q}`] = r.order.map((i) => ({ id: all[i]!.id, score: r.byIndex[i]! }));
}
if (mode === 'save') writeFileSync(file, JSON.stringify(answers));
else {
  const before = JSON.parse(readFileSync(file, 'utf8')) as Record<string, Hit[]>;
  for (const k of Object.keys(before)) check(`after a restart: ${k}`, differ(before[k]!, answers[k] ?? []));
  console.log(`\n${results.filter((r) => !r.ok).length} differences of ${results.length} probes`);
}
