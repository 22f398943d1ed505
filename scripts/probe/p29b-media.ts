/** Probe: media paths of odd shapes (space vs %20, NFC vs NFD, #, ?, case, trailing space, newline, links) — each read as its own file, never another's. */
import { readdirSync, lstatSync } from 'node:fs';
import { join } from 'node:path';
import { call, BASE } from './p29b-lib.js';

const DIR = '/tmp/p29b/media';
const base = process.argv[2] ?? BASE;
const files = readdirSync(DIR).filter((f) => f !== 'link.jpg' || lstatSync(join(DIR, f)).isSymbolicLink());
// banana copies (by construction in the probe's set-up); the rest are the milk carton
const banana = new Set(['a b.jpg', 'caf\u00e9.jpg', 'x#1.jpg', 'q?x=1.jpg', 'link.jpg', 'Case.jpg', 'sp .jpg', 'nl\nx.jpg']);
const ask = async (names: string[]) => {
  const r = await call(base, 'POST', '/_vlrerank/rerank', { query: { text: 'banana' }, explain: true, documents: names.map((n) => ({ image: join(DIR, n) })) });
  if (r.status !== 200) return console.log(r.status, r.text.slice(0, 300));
  for (const x of r.json.results) {
    const n = names[x.index]!;
    const bad = banana.has(n) ? x.score < 0.5 : x.score > 0.5;
    console.log(JSON.stringify(n), banana.has(n) ? 'banana' : 'milk', x.score.toFixed(4), bad ? 'WRONG' : '', x.error ?? '');
  }
};
console.log('-- milk first'); await ask(files.filter((f) => !banana.has(f)));
console.log('-- banana then'); await ask(files.filter((f) => banana.has(f)));
console.log('-- all'); await ask(files);
