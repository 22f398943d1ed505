/**
 * Held-out probe round 23a: does the coco pipeline's first-stage blend need the query's length?
 * Its map, logistic(a·s + b) of the hybrid `_score` (BM25 on the caption + knn_boost × the bridge
 * kNN's similarity), was fitted on captions #2–#5 — sentences of 7–42 words. BM25 grows with the
 * query's matching terms, so for a one- or two-word query every hit maps to ≈ 0 and the blend
 * carries nothing of the first stage. This collects the reranked searches (with `explain`) of
 *   - captions #2–#5 → their photo (the pipeline's own fit set, 956 queries),
 *   - the COCO category names (`p23a-relevance.ts --eval-files`, coco-categories.*),
 *   - the round's fresh coco queries (coco.*), kept out of every fit,
 * and compares, by 5-fold cross-validation (folds by photo / query, seed 42) over a small grid, the
 * shipped form logistic(a·(s − m)) with a length-aware one logistic(a·(s − m − m1·ln words)).
 *
 *   npx tsx scripts/probe/p23a-relevance.ts - --eval-files DIR
 *   npx tsx scripts/probe/p23a-length-map.ts <vlrerank url> DIR
 */
import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const DATA = process.env.VLRERANK_DATA_DIR ?? resolve(dirname(fileURLToPath(import.meta.url)), '../../../shared/data');
const [url = 'http://127.0.0.1:9280', dir = '.'] = process.argv.slice(2);
const SHIPPED = { w: 0.1, a: 0.4374, b: -12.9361 };

type Hit = { rerank: number; first: number; rank: number; gain: number };
type Q = { group: string; words: number; idcg: number; hits: Hit[] };
const dcgOf = (gs: number[]) => gs.slice(0, 10).reduce((s, g, i) => s + (2 ** g - 1) / Math.log2(i + 2), 0);
const logistic = (x: number) => 1 / (1 + Math.exp(-x));

async function collect(text: string, gains: Record<string, number>, group: string): Promise<Q> {
  const r = await fetch(`${url}/coco/_search`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ size: 50, _source: false, ext: { vlrerank: { query: { text }, window: 50, explain: true } } }) });
  const j = await r.json() as { hits: { hits: { _id: string; _score: number; _vlrerank: { first_stage_rank: number; first_stage_score: number | null } }[] } };
  const hits = j.hits.hits.map((h) => {
    const first = h._vlrerank.first_stage_score ?? 0;
    // the rerank score back out of the shipped blend (_score = (1 − w)·rerank + w·map(first))
    const rerank = (h._score - SHIPPED.w * logistic(SHIPPED.a * first + SHIPPED.b)) / (1 - SHIPPED.w);
    return { rerank, first, rank: h._vlrerank.first_stage_rank, gain: gains[h._id] ?? 0 };
  });
  return { group, words: Math.max(1, text.match(/\w+/g)?.length ?? 1), idcg: dcgOf(Object.values(gains).sort((a, b) => b - a)), hits };
}
const jsonl = <T>(file: string) => readFileSync(file, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as T);
async function judged(prefix: string): Promise<Q[]> {
  const g: Record<string, Record<string, number>> = {};
  for (const x of jsonl<{ query_id: string; doc_id: string; relevance: number }>(join(dir, `${prefix}.qrels.jsonl`))) (g[x.query_id] ??= {})[x.doc_id] = x.relevance;
  const out: Q[] = [];
  for (const q of jsonl<{ _id: string; text: string }>(join(dir, `${prefix}.queries.jsonl`))) out.push(await collect(q.text, g[q._id]!, q._id));
  return out;
}
const captions: Q[] = [];
for (const c of jsonl<{ coco_id: number; captions: string[] }>(join(DATA, 'coco-captions-mini/captions.jsonl')))
  for (const t of c.captions.slice(1, 5)) captions.push(await collect(t, { [String(c.coco_id)]: 1 }, String(c.coco_id)));
const categories = await judged('coco-categories');
const fresh = await judged('coco');

type P = { w: number; a: number; m0: number; m1: number };
function ndcg(q: Q, score: (h: Hit) => number): number {
  const order = q.hits.map((h) => ({ h, s: score(h) })).sort((x, y) => y.s - x.s || x.h.rank - y.h.rank);
  return dcgOf(order.map((o) => o.h.gain)) / q.idcg;
}
const blended = (p: P, q: Q) => (h: Hit) => (1 - p.w) * h.rerank + p.w * logistic(p.a * (h.first - p.m0 - p.m1 * Math.log(q.words)));
const mean = (qs: Q[], p: P) => qs.reduce((s, q) => s + ndcg(q, blended(p, q)), 0) / qs.length;
const firstStage = (qs: Q[]) => qs.reduce((s, q) => s + ndcg(q, (h) => -h.rank), 0) / qs.length;
const shipped: P = { w: SHIPPED.w, a: SHIPPED.a, m0: -SHIPPED.b / SHIPPED.a, m1: 0 };
const grid: P[] = [];
for (const w of [0.1, 0.2, 0.3, 0.5, 0.7]) for (const a of [0.2, 0.44, 0.8, 1.5]) for (const m0 of [5, 10, 15, 20, 25, 30]) for (const m1 of [0, 2, 4, 6, 8]) grid.push({ w, a, m0, m1 });
const best = (qs: Q[], lengthAware: boolean) => grid.filter((p) => lengthAware || p.m1 === 0).reduce((b, p) => { const v = mean(qs, p); return v > b.v ? { v, p } : b; }, { v: -1, p: shipped }).p;

// folds by group (a photo's four captions together), seed 42 (mulberry32)
let seed = 42;
const rand = () => { seed = (seed + 0x6d2b79f5) | 0; let t = seed; t = Math.imul(t ^ (t >>> 15), t | 1); t ^= t + Math.imul(t ^ (t >>> 7), t | 61); return ((t ^ (t >>> 14)) >>> 0) / 4294967296; };
const train = [...captions, ...categories];
const groups = [...new Set(train.map((q) => q.group))].sort().map((g) => ({ g, r: rand() })).sort((x, y) => x.r - y.r).map((x) => x.g);
const foldOf = new Map(groups.map((g, i) => [g, i % 5]));
const f3 = (x: number) => x.toFixed(3);
const short = fresh.filter((q) => q.words <= 2);
const longer = fresh.filter((q) => q.words > 2);
console.log(`first stage: captions ${f3(firstStage(captions))}, categories ${f3(firstStage(categories))}, fresh ${f3(firstStage(fresh))} (≤ 2 words ${f3(firstStage(short))}, longer ${f3(firstStage(longer))})`);
console.log(`shipped map: captions ${f3(mean(captions, shipped))}, categories ${f3(mean(categories, shipped))}, fresh ${f3(mean(fresh, shipped))} (≤ 2 words ${f3(mean(short, shipped))}, longer ${f3(mean(longer, shipped))})`);
for (const lengthAware of [false, true]) {
  const held = { captions: [] as number[], categories: [] as number[] };
  const chosen: P[] = [];
  const perFold: string[] = [];
  for (let f = 0; f < 5; f++) {
    const p = best(train.filter((q) => foldOf.get(q.group) !== f), lengthAware);
    chosen.push(p);
    const c = captions.filter((q) => foldOf.get(q.group) === f).map((q) => ndcg(q, blended(p, q)));
    const k = categories.filter((q) => foldOf.get(q.group) === f).map((q) => ndcg(q, blended(p, q)));
    held.captions.push(...c);
    held.categories.push(...k);
    // q24: each fold's held-out figures, to tell whether a form holds on every fold
    perFold.push(`${f3(c.reduce((a, b) => a + b, 0) / c.length)}/${f3(k.reduce((a, b) => a + b, 0) / Math.max(1, k.length))}`);
  }
  const p = best(train, lengthAware);
  const avg = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
  console.log(`${lengthAware ? 'length-aware' : 'plain'}: held-out captions ${f3(avg(held.captions))}, categories ${f3(avg(held.categories))}; folds chose ${chosen.map((c) => JSON.stringify(c)).join(' ')}`);
  console.log(`  held-out per fold, captions/categories: ${perFold.join(' ')}`);
  console.log(`  fitted on both ${JSON.stringify(p)} → fresh (in no fit) ${f3(mean(fresh, p))} (≤ 2 words ${f3(mean(short, p))}, longer ${f3(mean(longer, p))})`);
}
