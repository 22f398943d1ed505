/**
 * Held-out probe round 25b: is a photo's, a clip's or a text's score hidden from what it was computed
 * with? Cold `process()` calls (a new Reranker each, no store: nothing kept) score documents alone and
 * among 30 others (int8 bge shifts with batch composition; the image models run batches too).
 *
 *   npx tsx scripts/probe/p25b-batch.ts
 */
import { Reranker } from '../../src/index.js';
import { DATA, MODELS } from '../../test/helpers/paths.js';
import { check, results } from './p25b-lib.js';
import { docs } from './p25b-data.js';

const all = docs().map((d) => ({ id: d.id, doc: { text: [d.body.title, d.body.description].filter(Boolean).join('\n'), ...(d.body.image ? { image: d.body.image } : {}), ...(d.body.video ? { video: d.body.video } : {}) } }));
const pick = [0, 5, 33, 40, 49]; // a product, another, a photo-dup, a SciFact text, a clip
const queries: Array<string | { image: string }> = ['apple', { image: all[7]!.doc.image! }];

async function cold<T>(run: (r: Reranker) => Promise<T>): Promise<T> {
  const r = new Reranker({ modelsDir: MODELS, mediaRoots: [DATA], });
  try {
    return await run(r);
  } finally {
    await r.close();
  }
}
const scoresOf = (out: Array<{ index: number; score: number }>) => {
  const s: number[] = [];
  for (const x of out) s[x.index] = x.score;
  return s;
};

for (const q of queries) {
  const whole = await cold((r) => r.process({ query: q, documents: all.map((d) => d.doc) }));
  const ws = scoresOf(whole);
  const alone = await cold(async (r) => {
    const out: number[] = [];
    for (const i of pick) out.push(scoresOf(await r.process({ query: q, documents: [all[i]!.doc] }))[0]!);
    return out;
  });
  const qn = typeof q === 'string' ? q : 'a photo';
  check(`cold process(), ${qn}: alone = among ${all.length}`, pick.map((i, k) => (alone[k] === ws[i] ? '' : `${all[i]!.id}: ${alone[k]} vs ${ws[i]} (Δ ${Math.abs(alone[k]! - ws[i]!).toExponential(2)})`)).filter(Boolean).join('; '));
}
console.log(`\n${results.filter((r) => !r.ok).length} differences of ${results.length} probes`);
process.exit(0);
