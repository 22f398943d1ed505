/**
 * Task q26: offline, on what `q26-collect.ts` collected through the proxy:
 *   1. where the rerank loses to the first stage (per set, short ≤ 2 words vs longer), and which signal
 *      alone orders the judged documents worse than the first stage (each signal's calibrated value as
 *      the only score);
 *   2. for coco, remedies kept pair-only and in [0, 1], each fitted by 5-fold cross-validation (folds by
 *      photo for captions #2–#5, by query for the category names; seed 42, as p23a-length-map.ts), on
 *      captions + category names, held-out per fold; round 23a's fresh queries in no fit:
 *        - `coverage`: a lexical-coverage signal — the share of the query's content words (lower-cased,
 *          plural s stripped, stop words out) found in the document's text fields — calibrated
 *          logistic(α·c + β) and averaged in log-odds with the others at weight v (the blend as shipped);
 *        - `length`: the length-aware first-stage map logistic(a·(s − m0 − m1·ln words)) (round 23a's);
 *        - `coverage+length`: both;
 *        - `coverage-short`: the coverage signal at weight v·min(1, k/n), n the query's content words;
 *        - `coverage-blend`: the coverage itself beside the blend, (1 − w − u)·rerank + w·map(s) + u·c;
 *        - `split`: a first-stage map reading BM25 and the kNN similarity apart,
 *          logistic(c1·bm/(bm + sk) + c2·(knn − 0.8) + a), `a` the intercept here (needs `q26-collect.ts --split`'s file).
 *
 *   npx tsx scripts/probe/q26-coverage.ts coco.json [gv.json]
 */
import { readFileSync } from 'node:fs';
import type { Q, Hit } from './q26-collect.ts';

const qs: Q[] = process.argv.slice(2).flatMap((f) => JSON.parse(readFileSync(f, 'utf8')) as Q[]);
const f3 = (x: number) => x.toFixed(3);
const avg = (xs: number[]) => (xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : NaN);
const dcg = (gs: number[]) => gs.slice(0, 10).reduce((s, g, i) => s + (2 ** g - 1) / Math.log2(i + 2), 0);
const ndcg = (q: Q, score: (h: Hit) => number) => dcg(q.hits.map((h) => ({ h, s: score(h) })).sort((x, y) => y.s - x.s || x.h.rank - y.h.rank).map((o) => o.h.gain)) / q.idcg;
const logistic = (x: number) => 1 / (1 + Math.exp(-x));
const logit = (p: number) => { const q = Math.min(1 - 1e-6, Math.max(1e-6, p)); return Math.log(q / (1 - q)); };
const words = (t: string) => Math.max(1, t.match(/\w+/g)?.length ?? 1);

// ---- lexical coverage (pair-only) ----
const STOP = new Set('a an the of on in at to for by with from and or but is are was were be been being it its this that these those there here some any as into onto over under up down out off near next his her their our your my one'.split(' '));
const stem = (w: string) => w.length <= 3 ? w : w.endsWith('ies') && w.length > 4 ? `${w.slice(0, -3)}y` : /(xes|ches|shes|sses|zes)$/.test(w) ? w.slice(0, -2) : w.endsWith('s') && !/(ss|us|is)$/.test(w) ? w.slice(0, -1) : w;
const terms = (t: string) => (t.toLowerCase().match(/[a-z0-9]+/g) ?? []).filter((w) => !STOP.has(w)).map(stem);
function coverage(query: string, doc: string): number | undefined {
  const q = [...new Set(terms(query))];
  if (!q.length) return undefined;
  const d = new Set(terms(doc));
  return q.filter((w) => d.has(w)).length / q.length;
}

// ---- 1. where the rerank loses, and which signal ----
const first = (q: Q) => ndcg(q, (h) => -h.rank);
const shippedScore = (q: Q) => ndcg(q, (h) => h.score);
const bySignal = (q: Q, name: string) => ndcg(q, (h) => h.signals.find((s) => s.name === name)?.calibrated ?? -1);
const groups = new Map<string, Q[]>();
for (const q of qs) {
  const len = words(q.text) <= 2 ? 'short' : 'longer';
  const key = q.kind === 'fit' ? `${q.set} captions #2–#5` : q.kind === 'short' ? `${q.set} ${q.set === 'coco' ? 'category names' : q.set === 'grocery' ? 'product names' : 'labels'} (${len === 'short' ? '≤ 2 words' : 'some longer'})` : `${q.set} fresh 23a, ${len === 'short' ? '≤ 2 words' : '> 2 words'}`;
  groups.set(key, [...(groups.get(key) ?? []), q]);
}
console.log('set | n | first stage | reranked | lost / won | signal alone (calibrated)');
for (const [k, g] of groups) {
  const names = [...new Set(g.flatMap((q) => q.hits.flatMap((h) => h.signals.map((s) => s.name))))];
  const lost = g.filter((q) => shippedScore(q) < first(q) - 1e-9).length;
  const won = g.filter((q) => shippedScore(q) > first(q) + 1e-9).length;
  console.log(`${k} | ${g.length} | ${f3(avg(g.map(first)))} | ${f3(avg(g.map(shippedScore)))} | ${lost} / ${won} | ${names.map((n) => `${n} ${f3(avg(g.map((q) => bySignal(q, n))))}`).join(', ')}, coverage ${f3(avg(g.map((q) => ndcg(q, (h) => coverage(q.text, h.text) ?? 0))))}`);
}

// ---- 2. coco remedies ----
const coco = qs.filter((q) => q.set === 'coco');
if (!coco.length) process.exit(0);
const SHIPPED = { w: 0.1, a: 0.4374, b: -12.9361 };
const KNN_BOOST = 20; // coco.yaml's first_stage.knn_boost
type P = { sk: number; c1: number; c2: number; k: number; v: number; al: number; be: number; u: number; w: number; a: number; m0: number; m1: number };
const base: P = { sk: 0, c1: 0, c2: 0, k: 0, v: 0, al: 0, be: 0, u: 0, w: SHIPPED.w, a: SHIPPED.a, m0: -SHIPPED.b / SHIPPED.a, m1: 0 };
// precompute per hit: Σ w·logit(p), Σ w, the coverage
type Pre = { sw: number; sl: number; cov: number | undefined; words: number; content: number };
const pre = new Map<Hit, Pre>();
let worst = 0;
for (const q of coco) for (const h of q.hits) {
  const sig = h.signals.filter((s) => s.weight > 0);
  const sw = sig.reduce((a, s) => a + s.weight, 0);
  const sl = sig.reduce((a, s) => a + s.weight * logit(s.calibrated), 0);
  pre.set(h, { sw, sl, cov: coverage(q.text, h.text), words: words(q.text), content: new Set(terms(q.text)).size });
  worst = Math.max(worst, Math.abs((1 - SHIPPED.w) * logistic(sl / sw) + SHIPPED.w * logistic(SHIPPED.a * h.first + SHIPPED.b) - h.score));
}
console.log(`\ncoco: the shipped score rebuilt from the explained signals, largest difference ${worst.toExponential(1)}`);
const scoreOf = (p: P) => (h: Hit) => {
  const x = pre.get(h)!;
  const withCov = p.v > 0 && x.cov !== undefined;
  // k > 0: the coverage's weight falls with the query's content words beyond k (v·min(1, k/n))
  const v = withCov ? (p.k > 0 ? p.v * Math.min(1, p.k / x.content) : p.v) : 0;
  const fused = logistic((x.sl + (withCov ? v * logit(logistic(p.al * x.cov! + p.be)) : 0)) / (x.sw + v));
  // sk > 0: the map reads BM25 (saturated, s/(s + sk)) and the kNN similarity apart (`q26-collect.ts --split`)
  const map = p.sk > 0 ? logistic(p.c1 * (h.bm25! / (h.bm25! + p.sk)) + p.c2 * ((h.first - h.bm25!) / KNN_BOOST - 0.8) + p.a) : logistic(p.a * (h.first - p.m0 - p.m1 * Math.log(x.words)));
  return (1 - p.w - p.u) * fused + p.w * map + p.u * (x.cov ?? 0);
};
const mean = (g: Q[], p: P) => avg(g.map((q) => ndcg(q, scoreOf(p))));
function grid(form: string): P[] {
  const out: P[] = [];
  const covs = form.includes('coverage-blend') ? [0.05, 0.1, 0.15, 0.2, 0.3].map((u) => ({ k: 0, v: 0, al: 0, be: 0, u }))
    : form.includes('coverage-short') ? [1, 2, 3].flatMap((k) => [0.2, 0.5, 1, 2, 4].flatMap((v) => [2, 4, 6, 8, 12].flatMap((al) => [-10, -8, -6, -4, -2].map((be) => ({ k, v, al, be, u: 0 })))))
    : form.includes('coverage') ? [0.1, 0.2, 0.3, 0.5, 0.8].flatMap((v) => [2, 4, 6, 8, 12].flatMap((al) => [-10, -8, -6, -4, -2].map((be) => ({ k: 0, v, al, be, u: 0 })))) : [{ k: 0, v: 0, al: 0, be: 0, u: 0 }];
  if (form === 'split') return [0.1, 0.2, 0.3].flatMap((w) => [1, 3, 10].flatMap((sk) => [2, 4, 8].flatMap((c1) => [0, 10, 20, 40].flatMap((c2) => [-8, -6, -4, -2].map((a) => ({ ...base, w, sk, c1, c2, a }))))));
  const maps = form.includes('length') ? [0.1, 0.2, 0.3].flatMap((w) => [0.2, 0.44, 0.8].flatMap((a) => [10, 15, 20, 25, 30].flatMap((m0) => [0, 2, 4, 6, 8].map((m1) => ({ w, a, m0, m1 }))))) : [{ w: base.w, a: base.a, m0: base.m0, m1: 0 }];
  for (const c of covs) for (const m of maps) out.push({ ...base, ...c, ...m });
  return out;
}
const best = (g: Q[], ps: P[]) => ps.reduce((b, p) => { const v = mean(g, p); return v > b.v ? { v, p } : b; }, { v: -1, p: base }).p;

let seed = 42;
const rand = () => { seed = (seed + 0x6d2b79f5) | 0; let t = seed; t = Math.imul(t ^ (t >>> 15), t | 1); t ^= t + Math.imul(t ^ (t >>> 7), t | 61); return ((t ^ (t >>> 14)) >>> 0) / 4294967296; };
const captions = coco.filter((q) => q.kind === 'fit');
const categories = coco.filter((q) => q.kind === 'short');
const fresh = coco.filter((q) => q.kind === 'fresh');
const train = [...captions, ...categories];
const order = [...new Set(train.map((q) => q.group))].sort().map((g) => ({ g, r: rand() })).sort((x, y) => x.r - y.r).map((x) => x.g);
const foldOf = new Map(order.map((g, i) => [g, i % 5]));
const short = fresh.filter((q) => words(q.text) <= 2);
const longer = fresh.filter((q) => words(q.text) > 2);
const line = (p: P) => `captions ${f3(mean(captions, p))}, categories ${f3(mean(categories, p))}, fresh ${f3(mean(fresh, p))} (≤ 2 words ${f3(mean(short, p))}, longer ${f3(mean(longer, p))})`;
console.log(`first stage: captions ${f3(avg(captions.map(first)))}, categories ${f3(avg(categories.map(first)))}, fresh ≤ 2 words ${f3(avg(short.map(first)))}, longer ${f3(avg(longer.map(first)))}`);
console.log(`shipped: ${line(base)}`);
const show = (p: P) => JSON.stringify(Object.fromEntries(Object.entries(p).map(([k, v]) => [k, Math.round(v * 1e4) / 1e4])));
for (const form of (process.env.Q26_FORMS ?? 'coverage,length,coverage+length').split(',')) {
  const ps = grid(form);
  const held = { c: [] as number[], k: [] as number[] };
  const perFold: string[] = [];
  for (let f = 0; f < 5; f++) {
    const p = best(train.filter((q) => foldOf.get(q.group) !== f), ps);
    const c = captions.filter((q) => foldOf.get(q.group) === f);
    const k = categories.filter((q) => foldOf.get(q.group) === f);
    held.c.push(...c.map((q) => ndcg(q, scoreOf(p))));
    held.k.push(...k.map((q) => ndcg(q, scoreOf(p))));
    perFold.push(`fold ${f}: captions ${f3(mean(c, base))} → ${f3(mean(c, p))}, categories ${f3(mean(k, base))} → ${f3(mean(k, p))}, chose ${show(p)}`);
  }
  console.log(`\n${form}: held-out captions ${f3(mean(captions, base))} → ${f3(avg(held.c))}, categories ${f3(mean(categories, base))} → ${f3(avg(held.k))}`);
  for (const l of perFold) console.log(`  ${l}`);
  const p = best(train, ps);
  console.log(`  fitted on all ${show(p)}: ${line(p)}`);
  // each fresh short query (in no fit): first stage / shipped → this form fitted on all
  console.log(`  fresh ≤ 2 words, first stage / shipped → fitted: ${short.map((q) => `"${q.text}" ${f3(first(q))}/${f3(ndcg(q, scoreOf(base)))}→${f3(ndcg(q, scoreOf(p)))}`).join(', ')}`);
}
