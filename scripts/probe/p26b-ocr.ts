/**
 * Held-out probe round 26b, case 2: a query word written over an unrelated photo (the overlays
 * p26b-data.ts made), scored with OCR on through `/_vlrerank/rerank` beside every genuine product —
 * where the first stage does not bring them (no `ingest.ocr_text`), as a first stage that reads OCR
 * text would. Does the OCR text make a bus with "BANANA" on it the best banana?
 *
 *   npx tsx scripts/probe/p26b-ocr.ts http://127.0.0.1:19510 /tmp/p26b
 */
import { join } from 'node:path';
import { catalog, GROCERY_DIR } from '../../test/helpers/search-fixtures.js';
import { TARGETS } from './p26b-data.js';

const [base, tmp] = process.argv.slice(2) as [string, string];
const genuineDocs = catalog.map((c) => ({ id: c.class_name, doc: { text: `${c.title}\n${c.description}`, image: join(GROCERY_DIR, c.iconic_image) } }));
let above = 0;
let n = 0;
for (const t of TARGETS) {
  const carrier = catalog.find((c) => c.class_name === t.carrier)!;
  const adv = [
    { id: 'bus photo + "toy bus" text', doc: { text: 'Toy bus\nA die-cast model bus for children, green.', image: join(tmp, `bus-${t.word}.jpg`) } },
    { id: 'bus photo alone', doc: { image: join(tmp, `bus-${t.word}.jpg`) } },
    { id: `${t.carrier} photo + its text`, doc: { text: `${carrier.title}\n${carrier.description}`, image: join(tmp, `prod-${t.word}.jpg`) } },
  ];
  for (const q of [t.word, `fresh ${t.word}`]) {
    const all = [...genuineDocs, ...adv];
    const r = await fetch(`${base}/_vlrerank/rerank`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-vlrerank-budget-ms': '300000' }, body: JSON.stringify({ query: { text: q }, documents: all.map((d) => d.doc), explain: true, ocr: true }) });
    const j = (await r.json()) as { results: Array<{ index: number; score: number; explanation?: { signals: Array<{ name: string; raw: number; weight: number }> } }> };
    if (r.status !== 200) throw new Error(JSON.stringify(j).slice(0, 300));
    const rank = (id: string) => j.results.findIndex((x) => all[x.index]!.id === id) + 1;
    const best = Math.min(...t.genuine.map(rank));
    const line = adv.map((a) => {
      const x = j.results.find((y) => all[y.index]!.id === a.id)!;
      const ocr = x.explanation?.signals.find((s) => s.name === 'ocr_text');
      n++;
      if (rank(a.id) < best) above++;
      return `${a.id} ${rank(a.id)} (${x.score.toFixed(3)}, ocr ${ocr?.raw ?? '-'} w${ocr?.weight ?? '-'})`;
    });
    console.log(`${q.padEnd(16)} genuine best ${best} (${j.results[best - 1]!.score.toFixed(3)}) | ${line.join(' | ')}`);
  }
}
console.log(`overlays above the best genuine product: ${above} of ${n}`);
