/**
 * vlrerank's tokenisation (src/models/tokenizer.ts) against Python `tokenizers`' ids
 * (reference.py's JSON lines): prints mismatches per model and category.
 *
 *   npx tsx scripts/tokenizer-parity/compare.ts /work/shared/models /tmp/reference.jsonl [--show N]
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { TextTokenizer } from '../../src/models/tokenizer.js';

const [root, refPath] = process.argv.slice(2) as [string, string];
const show = Number(process.argv[process.argv.indexOf('--show') + 1] ?? 0) || 0;

const files: Record<string, [string, number, string?]> = {
  'bge-small-en-v1.5': ['bge-small-en-v1.5/tokenizer.json', 512],
  clip: ['clip-architecture-fixture/tokenizer.json', 77, 'clip-architecture-fixture/tokenizer_config.json'],
  'clip-vit-b32': ['_tokenizers-only/clip-vit-b32-tokenizer/tokenizer.json', 77, '_tokenizers-only/clip-vit-b32-tokenizer/tokenizer_config.json'],
  'bert-base-uncased': ['_tokenizers-only/bert-base-uncased-wordpiece/tokenizer.json', 512],
};
const toks: Record<string, TextTokenizer> = {};
for (const [name, [rel, max, cfg]] of Object.entries(files)) toks[name] = await TextTokenizer.fromFile(join(root, rel), max, cfg ? join(root, cfg) : undefined);

interface Row { model: string; cat: string; text: string; pair?: string; ids: number[] }
const stats = new Map<string, { n: number; bad: number }>();
let shown = 0;
for (const line of readFileSync(refPath, 'utf8').split('\n')) {
  if (!line) continue;
  const r = JSON.parse(line) as Row;
  const tok = toks[r.model]!;
  const got = r.pair === undefined ? tok.encode(r.text).ids : tok.encodePair(r.text, r.pair).ids;
  const ok = got.length === r.ids.length && got.every((v, i) => v === r.ids[i]);
  const key = `${r.model}\t${r.cat}`;
  const s = stats.get(key) ?? { n: 0, bad: 0 };
  s.n++;
  if (!ok) s.bad++;
  stats.set(key, s);
  if (!ok && shown < show) {
    shown++;
    console.log(JSON.stringify({ model: r.model, cat: r.cat, text: r.text.slice(0, 80), py: r.ids.slice(0, 30), js: got.slice(0, 30), pyLen: r.ids.length, jsLen: got.length }));
  }
}
let n = 0;
let bad = 0;
for (const [k, s] of [...stats].sort()) {
  n += s.n;
  bad += s.bad;
  if (s.bad) console.log(`${k}\t${s.bad}/${s.n}`);
}
console.log(`total mismatches ${bad}/${n} (${((100 * bad) / n).toFixed(2)}%)`);
