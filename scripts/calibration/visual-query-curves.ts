/**
 * Issue 14 §4, photo and clip queries: a relevant text should not sit below an irrelevant photo.
 * For a photo query, a text document is scored by `image_text` and a photo by `image_image`
 * (a clip query: `video_text`, `video_video`, `video_image`), each through its own logistic curve;
 * whether a relevant caption beats an irrelevant photo depends on where the two curves sit against
 * each other. This compares ways of fitting those curves, 5-fold cross-validated by pool (by query)
 * over the photo- and clip-query pools (the text-query pools use other signals and do not move),
 * every fold's curves fitted on the other four folds:
 *
 *   shipped          models/calibration/signals.json as it is
 *   balanced         each signal's own logistic, class-balanced, on every train pair it scores in
 *                    the mixed pools (fit-calibration.ts's way; image_image included)
 *   base-rate        each signal's logistic without class balance: p is the share of relevant
 *                    documents of that modality in the pools (a prior per modality)
 *   isotonic         each signal's class-balanced isotonic curve (PAV, linear between steps) —
 *                    any monotone shape, to see whether the logistic's shape is what costs
 *   pairwise λ       the signals' curves fitted together: class-balanced log loss of every signal
 *                    plus λ × the logistic loss of every (relevant, irrelevant of another
 *                    modality) pair of the same pool, so that the curves are placed against each
 *                    other as well as each against its own labels
 *
 * Reports out-of-fold cross-modal inversions (all, and relevant text below irrelevant photo and the
 * reverse), within-modality inversions (the same for every monotone curve) and per-modality balanced
 * ECE. `--sweep` moves image_image's curve along the logit instead (the frontier, no fit); `--ocr`
 * weighs the query photo's OCR text (image_ocr_text) at 0–3 with its curve fitted per fold.
 * Writes nothing.
 *
 *   npx tsx scripts/calibration/visual-query-curves.ts [--pools .cache/calibration/mixed-pools.json] [--by-set] [--split] [--sweep] [--ocr] [--kinds] [--ways a,b] [--text-queries] [--fit-all λ]
 */
import { readFileSync } from 'node:fs';
import { Calibrator, fitLogistic, sigmoid, type CalibrationTable, type LogisticParams } from '../../src/rerank/calibration.js';
import { fuse, resolveWeights } from '../../src/rerank/fusion.js';
import { pairsOf } from '../fit-calibration.js';
import { inversions, reliability, type Scored } from './metrics.js';
import { isHeldOut, rng, type Pool } from './mixed-pools.js';

const args = process.argv.slice(2);
const arg = (name: string, def: string) => (args.includes(name) ? args[args.indexOf(name) + 1]! : def);
const all = (JSON.parse(readFileSync(arg('--pools', '.cache/calibration/mixed-pools.json'), 'utf8')) as { pools: Pool[] }).pools;
/** `--text-queries`: the text-query pools instead (text_text, text_image, text_video; skimage left out, as in the fit) */
const TEXT_QUERIES = args.includes('--text-queries');
const pools = all.filter((p) => !p.query.text === !TEXT_QUERIES && p.set !== 'skimage' && p.docs.every((d) => d.raw));
const shipped = (JSON.parse(readFileSync('models/calibration/signals.json', 'utf8')) as { signals: CalibrationTable }).signals;
const SIGNALS = TEXT_QUERIES ? ['text_text', 'text_image', 'text_video'] : ['image_text', 'image_image', 'video_text', 'video_video', 'video_image'];
const K = 5;
const fold = (p: Pool) => {
  let h = 2166136261;
  for (const c of `cv:${p.id}`) h = Math.imul(h ^ c.charCodeAt(0), 16777619);
  return (h >>> 0) % K;
};

/** A curve: a function of the raw value (logistic or isotonic). */
type Curve = (x: number) => number;
type Curves = Record<string, Curve>;
const logisticCurve = (c: LogisticParams): Curve => (x) => sigmoid(c.a * x + c.b);
const ALIAS: Record<string, string> = { video_image: 'image_image', video_video: 'image_image', video_text: 'image_text' };
const curveOf = (curves: Curves, table: CalibrationTable, name: string): Curve =>
  curves[name] ?? (table[name] ? logisticCurve(table[name]!) : curves[ALIAS[name] ?? ''] ?? logisticCurve(table[ALIAS[name] ?? '']!));

/** Each document's score: its one signal's p (the photo- and clip-query pools have one signal per document). */
function score(ps: Pool[], curves: Curves): Scored[] {
  return ps.flatMap((p) =>
    p.docs.flatMap((d) => {
      const [name, raw] = Object.entries(d.raw ?? {}).find(([n]) => SIGNALS.includes(n)) ?? [];
      return name === undefined ? [] : [{ pool: p.id, set: p.set, modality: d.modality, rel: d.rel, score: curveOf(curves, shipped, name)(raw!) }];
    }),
  );
}

/** Signals that have both classes among these pools' pairs (a clip query's video_video has few). */
const fittable = (train: Pool[]) => SIGNALS.filter((s) => {
  const ps = pairsOf(train, s);
  return ps.some((p) => p.y === 1) && ps.some((p) => p.y === 0);
});

function balanced(train: Pool[], balance = true): Curves {
  return Object.fromEntries(fittable(train).map((s) => {
    const ps = pairsOf(train, s);
    return [s, logisticCurve(fitLogistic(ps.map((p) => p.x), ps.map((p) => p.y), { balance }))];
  }));
}

/** Class-balanced isotonic regression (pool adjacent violators), linear between block centres. */
function isotonic(train: Pool[]): Curves {
  return Object.fromEntries(fittable(train).map((s) => {
    const ps = pairsOf(train, s).sort((a, b) => a.x - b.x);
    const pos = ps.filter((p) => p.y === 1).length;
    const wPos = ps.length / (2 * pos);
    const wNeg = ps.length / (2 * (ps.length - pos));
    const blocks: Array<{ x: number; y: number; w: number }> = [];
    for (const p of ps) {
      const w = p.y ? wPos : wNeg;
      blocks.push({ x: p.x * w, y: p.y * w, w });
      while (blocks.length > 1 && blocks.at(-2)!.y / blocks.at(-2)!.w >= blocks.at(-1)!.y / blocks.at(-1)!.w) {
        const b = blocks.pop()!;
        const a = blocks.at(-1)!;
        a.x += b.x;
        a.y += b.y;
        a.w += b.w;
      }
    }
    const xs = blocks.map((b) => b.x / b.w);
    const ys = blocks.map((b) => Math.min(0.999, Math.max(0.001, b.y / b.w)));
    const curve: Curve = (x) => {
      if (x <= xs[0]!) return ys[0]!;
      if (x >= xs.at(-1)!) return ys.at(-1)!;
      let i = 1;
      while (xs[i]! < x) i++;
      const t = (x - xs[i - 1]!) / (xs[i]! - xs[i - 1]!);
      return ys[i - 1]! + t * (ys[i]! - ys[i - 1]!);
    };
    return [s, curve];
  }));
}

/**
 * The pairwise fit: start from the balanced curves, then gradient steps on
 * Σ_signals balanced-mean log loss + λ · mean over cross-modal (relevant, irrelevant) pairs of log(1 + e^−(z_rel − z_irr)), z = a·x + b.
 */
function pairwise(train: Pool[], lambda: number, directionBalanced = false): { curves: Curves; table: CalibrationTable } {
  const names = fittable(train);
  const theta: Record<string, LogisticParams> = {};
  for (const s of names) {
    const ps = pairsOf(train, s);
    theta[s] = fitLogistic(ps.map((p) => p.x), ps.map((p) => p.y));
  }
  type D = { s: string; x: number; y: 0 | 1; m: string };
  const byPool = train.map((p) =>
    p.docs.flatMap((d): D[] => {
      const e = Object.entries(d.raw ?? {}).find(([n]) => names.includes(n));
      return e ? [{ s: e[0], x: e[1], y: d.rel, m: d.modality }] : [];
    }),
  );
  const cross = byPool.flatMap((docs) => docs.flatMap((r) => (r.y ? docs.filter((n) => !n.y && n.m !== r.m).map((n) => [r, n] as const) : [])));
  // each kind of pair (relevant text vs irrelevant photo, relevant photo vs irrelevant text, …) the same total weight, or every pair the same
  const kinds = new Map<string, number>();
  for (const [r, n] of cross) kinds.set(`${r.m}>${n.m}`, (kinds.get(`${r.m}>${n.m}`) ?? 0) + 1);
  const pairWeight = ([r, n]: readonly [D, D]) => (directionBalanced ? 1 / (kinds.size * kinds.get(`${r.m}>${n.m}`)!) : 1 / cross.length);
  const docsOf = (s: string) => byPool.flat().filter((d) => d.s === s);
  const weightsOf = new Map(names.map((s) => {
    const ds = docsOf(s);
    const pos = ds.filter((d) => d.y).length;
    return [s, { ds, wPos: 0.5 / pos, wNeg: 0.5 / (ds.length - pos) }];
  }));
  // Adam on (a, b) of every signal; the slope is on a raw-cosine scale, so steps are scaled per coordinate
  const m: Record<string, [number, number]> = {};
  const v: Record<string, [number, number]> = {};
  for (const s of names) (m[s] = [0, 0]), (v[s] = [0, 0]);
  const lr = 0.05;
  for (let it = 1; it <= 1500; it++) {
    const g: Record<string, [number, number]> = Object.fromEntries(names.map((s) => [s, [0, 0]]));
    for (const s of names) {
      const { ds, wPos, wNeg } = weightsOf.get(s)!;
      for (const d of ds) {
        const r = (d.y ? wPos : wNeg) * (sigmoid(theta[s]!.a * d.x + theta[s]!.b) - d.y);
        g[s]![0] += r * d.x;
        g[s]![1] += r;
      }
    }
    for (const pair of cross) {
      const [r, n] = pair;
      const diff = theta[r.s]!.a * r.x + theta[r.s]!.b - (theta[n.s]!.a * n.x + theta[n.s]!.b);
      const q = -lambda * sigmoid(-diff) * pairWeight(pair); // d/d(diff) of λ·w·log(1+e^−diff)
      g[r.s]![0] += q * r.x;
      g[r.s]![1] += q;
      g[n.s]![0] -= q * n.x;
      g[n.s]![1] -= q;
    }
    for (const s of names) {
      for (const k of [0, 1] as const) {
        m[s]![k] = 0.9 * m[s]![k] + 0.1 * g[s]![k];
        v[s]![k] = 0.999 * v[s]![k] + 0.001 * g[s]![k] ** 2;
        const step = (lr * (m[s]![k] / (1 - 0.9 ** it))) / (Math.sqrt(v[s]![k] / (1 - 0.999 ** it)) + 1e-8);
        if (k === 0) theta[s]!.a -= step;
        else theta[s]!.b -= step;
      }
    }
  }
  return { curves: Object.fromEntries(names.map((s) => [s, logisticCurve(theta[s]!)])), table: theta };
}

const r3 = (x: number | undefined) => (x === undefined || Number.isNaN(x) ? '  —  ' : x.toFixed(3));
/** The mean of the two directions' rates (relevant text below irrelevant photo, relevant photo below irrelevant text): the pair counts differ by set (a COCO photo query has no relevant photo), so the plain rate mostly counts one direction. */
const twoWay = (scored: Scored[]) => {
  const by = inversions(scored).by;
  return ((by['text>image']?.rate ?? NaN) + (by['image>text']?.rate ?? NaN)) / 2;
};
function line(name: string, scored: Scored[]) {
  const inv = inversions(scored);
  const by = (k: string) => `${r3(inv.by[k]?.rate)} (${inv.by[k]?.pairs ?? 0})`;
  const ece = (['text', 'image', 'video'] as const).map((mo) => `${mo} ${r3(reliability(scored.filter((s) => s.modality === mo)).ece)}`).join(' ');
  process.stdout.write(
    `${name.padEnd(14)} cross ${r3(inv.rate)} (${inv.pairs})  two-way ${r3(twoWay(scored))}  text<photo ${by('text>image')}  photo<text ${by('image>text')}  within ${r3(inversions(scored, { within: true }).rate)}  ECE ${ece}\n`,
  );
}

const only = args.includes('--ways') ? arg('--ways', '').split(',') : undefined;
const ways: Record<string, (train: Pool[]) => Curves> = {
  shipped: () => ({}),
  balanced: (t) => balanced(t),
  'base-rate': (t) => balanced(t, false),
  isotonic,
  ...Object.fromEntries([0.25, 1, 4].map((l) => [`pairwise ${l}`, (t: Pool[]) => pairwise(t, l).curves])),
  ...Object.fromEntries([1, 4].map((l) => [`pairwise-2w ${l}`, (t: Pool[]) => pairwise(t, l, true).curves])),
};
process.stdout.write(`${pools.length} ${TEXT_QUERIES ? 'text' : 'photo/clip'}-query pools (${[...new Set(pools.map((p) => p.set))].join(', ')}), ${K}-fold by pool, out of fold:\n`);
const bySet = args.includes('--by-set');
/** Paired bootstrap by pool (1,000 resamples, fixed seed): the 95 % interval of (way − shipped) for the plain and the two-way rate. */
function bootstrap(a: Scored[], b: Scored[]): string {
  const ids = [...new Set(a.map((s) => s.pool))];
  const groupA = new Map(ids.map((id) => [id, [] as Scored[]]));
  const groupB = new Map(ids.map((id) => [id, [] as Scored[]]));
  for (const s of a) groupA.get(s.pool)!.push(s);
  for (const s of b) groupB.get(s.pool)!.push(s);
  const rand = rng(7);
  const d1: number[] = [];
  const d2: number[] = [];
  for (let i = 0; i < 1000; i++) {
    const ra: Scored[] = [];
    const rb: Scored[] = [];
    for (let j = 0; j < ids.length; j++) {
      const id = ids[Math.floor(rand() * ids.length)]!;
      ra.push(...groupA.get(id)!.map((s) => ({ ...s, pool: `${s.pool}@${j}` })));
      rb.push(...groupB.get(id)!.map((s) => ({ ...s, pool: `${s.pool}@${j}` })));
    }
    d1.push(inversions(rb).rate - inversions(ra).rate);
    d2.push(twoWay(rb) - twoWay(ra));
  }
  const ci = (xs: number[]) => {
    const s = xs.filter(Number.isFinite).sort((x, y) => x - y);
    return `[${s[Math.floor(0.025 * s.length)]!.toFixed(3)}, ${s[Math.floor(0.975 * s.length)]!.toFixed(3)}]`;
  };
  return `Δ vs shipped, 95 % by pool: cross ${ci(d1)}  two-way ${ci(d2)}`;
}
let base: Scored[] = [];
for (const [name, fit] of args.includes('--sweep') || args.includes('--ocr') ? [] : Object.entries(ways).filter(([n]) => n === 'shipped' || !only || only.includes(n))) {
  const oof: Scored[] = [];
  for (let k = 0; k < K; k++) oof.push(...score(pools.filter((p) => fold(p) === k), fit(pools.filter((p) => fold(p) !== k))));
  if (name === 'shipped') base = oof;
  line(name, oof);
  if (args.includes('--kinds')) process.stdout.write(`${''.padEnd(15)}${Object.entries(inversions(oof).by).map(([k, v]) => `${k} ${r3(v.rate)} (${v.pairs})`).join('  ')}\n`);
  if (name !== 'shipped') process.stdout.write(`${''.padEnd(15)}${bootstrap(base, oof)}\n`);
  if (bySet) for (const set of new Set(oof.map((s) => s.set))) line(`  ${set}`, oof.filter((s) => s.set === set));
  if (args.includes('--split')) {
    // the fixed held-out split of fit-calibration.ts (the figures CALIBRATION.md quotes), fitted on its train pools
    const held = score(pools.filter((p) => isHeldOut(p)), fit(pools.filter((p) => !isHeldOut(p))));
    line('  split', held);
  }
}
if (args.includes('--fit-all')) {
  const lambda = Number(arg('--fit-all', '1'));
  const { table } = pairwise(pools, lambda);
  process.stdout.write(`pairwise ${lambda} on all pools: ${JSON.stringify(table)}\n`);
}
if (args.includes('--sweep')) {
  // the frontier: image_image's (and the clip→photo signals') curve moved along the logit by δ against image_text, no refit, every photo/clip-query pool
  for (const delta of [-1.5, -1, -0.5, -0.25, 0, 0.25, 0.5, 1, 1.5]) {
    const ii = shipped.image_image!;
    const moved = logisticCurve({ a: ii.a, b: ii.b + delta });
    line(`δ ${delta >= 0 ? '+' : ''}${delta}`, score(pools, { image_image: moved, video_image: moved, video_video: moved }));
  }
}
if (args.includes('--ocr')) {
  // the query photo's OCR text (image_ocr_text) fused with the shipped curves at several weights, its own curve
  // fitted on the other folds (collect.ts keeps its raw value in the photo-query pools); COCO and Grocery photo queries
  const photoPools = pools.filter((p) => !!p.query.image);
  const fused = (ps: Pool[], table: CalibrationTable, w: number): Scored[] => {
    const cal = new Calibrator(table, 'visual-query-curves');
    const weights = resolveWeights(undefined, { image_ocr_text: w });
    return ps.flatMap((p) => p.docs.map((d) => ({ pool: p.id, set: p.set, modality: d.modality, rel: d.rel, score: fuse(Object.entries(d.raw ?? {}).map(([name, raw]) => ({ name, raw, calibrated: cal.calibrate(name, raw), weight: weights[name] ?? 1 }))) })));
  };
  let none: Scored[] = [];
  for (const w of [0, 0.3, 1, 2, 3]) {
    const oof: Scored[] = [];
    for (let k = 0; k < K; k++) {
      const ps = pairsOf(photoPools.filter((p) => fold(p) !== k), 'image_ocr_text');
      const c = fitLogistic(ps.map((p) => p.x), ps.map((p) => p.y));
      oof.push(...fused(photoPools.filter((p) => fold(p) === k), { ...shipped, image_ocr_text: c }, w));
    }
    if (w === 0) none = oof;
    line(`ocr weight ${w}`, oof);
    if (w) process.stdout.write(`${''.padEnd(15)}${bootstrap(none, oof).replace('shipped', 'weight 0')}\n`);
    if (bySet) for (const set of new Set(oof.map((s) => s.set))) line(`  ${set}`, oof.filter((s) => s.set === set));
  }
}
