/**
 * Fit the reranker's per-signal logistic calibration on mixed-modality pools from ../shared/data
 * (issue 14 §4) and write models/calibration/signals.json and models/calibration/mixed-fit.json
 * (the figures quoted in models/CALIBRATION.md, "Comparable across modalities").
 *
 *   npx tsx scripts/calibration/collect.ts              # raw values via Reranker.process(…, explain)
 *   npx tsx scripts/fit-calibration.ts [--pools .cache/calibration/mixed-pools.json] [--balance-sets] [--dry-run]
 *
 * Pools (scripts/calibration/mixed-pools.ts) hold, for one query, relevant and irrelevant documents
 * of several modalities; a pool is wholly train or wholly held-out (fixed seed, 30 % held out, the
 * skimage pools always held out). Each signal's curve is fitted on every train pair it scores,
 * whatever the pool's set, class-balanced (fitLogistic), so that every signal reads p the same way —
 * "relevant vs. an irrelevant candidate of the mixed pools, at even odds" — and a relevant text,
 * photo or clip land near the same p. `--balance-sets` also gives each data set the same weight
 * within a class (measured as a variant: no better on the train pools, see CALIBRATION.md).
 * `image_text` and `video_text` (a photo or a clip as the query against a text) are fitted on the
 * photo- and clip-query pools; `image_image` (also video_image, video_video) keeps its own-modality
 * constants, so search by image, which compares photos, ranks as before. `image_ocr_text` (the query
 * photo's OCR text against a document's text) is fitted on the photo-query pools too (collect.ts
 * weights it there so its raw value is kept); before, it borrowed a text curve. `ocr_text` reuses
 * `text_text`; `remote` stays the identity on the logit.
 * `text_video` is fitted on its pairs and text_image's together (`--text-video`, TEXT_VIDEO_FITS):
 * a clip's raw value is the mean of its frames' text↔photo values, and the 13 relevant clips alone
 * put p = 0.5 lower than for a photo. `--fit` refits only the named signals, the rest from --before.
 * Before/after figures compare with --before (default models/calibration/signals-own-modality.json,
 * the own-modality fit).
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { fitLogistic, sigmoid, type CalibrationTable, type LogisticParams } from '../src/rerank/calibration.js';
import { isHeldOut, type Pool } from './calibration/mixed-pools.js';
import { inversions, reliability, scorePools } from './calibration/metrics.js';

const args = process.argv.slice(2);
const arg = (name: string, def: string) => (args.includes(name) ? args[args.indexOf(name) + 1]! : def);
const POOLS = arg('--pools', '.cache/calibration/mixed-pools.json');
const BALANCE_SETS = args.includes('--balance-sets');
/** `--text-video <way>`: how text_video is fitted (TEXT_VIDEO_FITS below; scripts/calibration/video-curve.ts compares them) */
const TEXT_VIDEO = arg('--text-video', 'frames-as-photos');
const BEFORE = arg('--before', 'models/calibration/signals-own-modality.json');
const FITTED_DEFAULT = ['text_text', 'text_image', 'text_video', 'image_text', 'video_text', 'image_ocr_text'];
/** `--fit a,b` fits these signals instead (e.g. adding image_image to measure a refit of it); the rest keep --before's constants */
const FITTED = args.includes('--fit') ? arg('--fit', '').split(',') : FITTED_DEFAULT;
/** pools whose query is a photo or a clip (mixed-pools.ts) */
const visualQuery = (p: Pool) => !p.query.text;

interface Pair {
  x: number;
  y: 0 | 1;
  set: string;
}

/** Train (or held-out) pairs of one signal across all pools. */
export function pairsOf(pools: Pool[], signal: string): Pair[] {
  return pools.flatMap((p) => p.docs.flatMap((d) => (d.raw && Number.isFinite(d.raw[signal]) ? [{ x: d.raw[signal]!, y: d.rel, set: p.set }] : [])));
}

/** Per-pair weights so that within a class every data set carries the same total. */
export function setBalance(ps: Pair[]): number[] {
  const count = new Map<string, number>();
  for (const p of ps) count.set(`${p.y}:${p.set}`, (count.get(`${p.y}:${p.set}`) ?? 0) + 1);
  return ps.map((p) => 1 / count.get(`${p.y}:${p.set}`)!);
}

export function auc(ps: Pair[]): number {
  const pos = ps.filter((p) => p.y === 1).map((p) => p.x);
  const neg = ps.filter((p) => p.y === 0).map((p) => p.x);
  let s = 0;
  for (const a of pos) for (const b of neg) s += a > b ? 1 : a === b ? 0.5 : 0;
  return pos.length && neg.length ? s / (pos.length * neg.length) : NaN;
}
function balancedAccuracy(ps: Pair[], c: LogisticParams): number {
  const rate = (xs: Pair[], want: boolean) => xs.filter((p) => sigmoid(c.a * p.x + c.b) >= 0.5 === want).length / xs.length;
  return (rate(ps.filter((p) => p.y === 1), true) + rate(ps.filter((p) => p.y === 0), false)) / 2;
}
const round = (x: number, d = 4) => Math.round(x * 10 ** d) / 10 ** d;

/**
 * Ways to fit text_video (scripts/calibration/video-curve.ts compares them): `pairs`, every train
 * pair it scores (as every other signal); `sets`, each data set the same weight within a class;
 * `frames-as-photos`, one curve on the text_image and text_video pairs together (a clip's value is
 * the mean of its frames' text↔photo values); `query-matched`, only pools that hold a relevant clip,
 * so a relevant clip is weighed against irrelevant documents of the same query.
 */
export const TEXT_VIDEO_FITS = ['pairs', 'sets', 'frames-as-photos', 'query-matched'] as const;
export type TextVideoFit = (typeof TEXT_VIDEO_FITS)[number];

export function fitTextVideo(train: Pool[], way: TextVideoFit): LogisticParams {
  const hasRelevantClip = (p: Pool) => p.docs.some((d) => d.rel === 1 && d.modality === 'video');
  const ps =
    way === 'frames-as-photos'
      ? [...pairsOf(train, 'text_video'), ...pairsOf(train, 'text_image')]
      : pairsOf(way === 'query-matched' ? train.filter(hasRelevantClip) : train, 'text_video');
  const c = fitLogistic(
    ps.map((p) => p.x),
    ps.map((p) => p.y),
    way === 'sets' ? { weights: setBalance(ps) } : {},
  );
  return { a: round(c.a), b: round(c.b) };
}

export function fitTable(train: Pool[], before: CalibrationTable, options: { balanceSets?: boolean; textVideo?: TextVideoFit } = {}): CalibrationTable {
  const table: CalibrationTable = { ...before };
  for (const name of FITTED) {
    if (name === 'text_video' && options.textVideo && options.textVideo !== 'pairs') {
      table[name] = fitTextVideo(train, options.textVideo);
      continue;
    }
    const ps = pairsOf(train, name);
    const c = fitLogistic(
      ps.map((p) => p.x),
      ps.map((p) => p.y),
      options.balanceSets ? { weights: setBalance(ps) } : {},
    );
    table[name] = { a: round(c.a), b: round(c.b) };
  }
  table.ocr_text = { ...table.text_text! };
  table.remote = { a: 1, b: 0, input: 'logit' };
  return table;
}

export function figures(pools: Pool[], table: CalibrationTable) {
  const scored = scorePools(pools, table);
  const rel = Object.fromEntries((['text', 'image', 'video'] as const).map((m) => [m, reliability(scored.filter((s) => s.modality === m))]));
  const r3 = (x: number) => round(x, 3);
  return {
    cross_modal_inversion: { rate: r3(inversions(scored).rate), pairs: inversions(scored).pairs, by: Object.fromEntries(Object.entries(inversions(scored).by).map(([k, v]) => [k, { rate: r3(v.rate), pairs: v.pairs }])) },
    within_modality_inversion: r3(inversions(scored, { within: true }).rate),
    reliability: Object.fromEntries(Object.entries(rel).map(([m, r]) => [m, { balanced_ece: r3(r.ece), n: r.n, positives: r.positives, mean_relevant: r3(r.meanRelevant), mean_irrelevant: r3(r.meanIrrelevant), bins: r.bins.map((b) => [b[0], r3(b[1]), r3(b[2]), b[3]]) }])),
  };
}

const isMain = process.argv[1]?.endsWith('fit-calibration.ts');
if (isMain) {
  const pools = (JSON.parse(readFileSync(POOLS, 'utf8')) as { pools: Pool[] }).pools;
  const before = (JSON.parse(readFileSync(BEFORE, 'utf8')) as { signals: CalibrationTable }).signals;
  const train = pools.filter((p) => !isHeldOut(p));
  const test = pools.filter((p) => isHeldOut(p));
  if (!(TEXT_VIDEO_FITS as readonly string[]).includes(TEXT_VIDEO)) throw new Error(`--text-video must be one of ${TEXT_VIDEO_FITS.join(', ')}`);
  const table = fitTable(train, before, { balanceSets: BALANCE_SETS, textVideo: TEXT_VIDEO as TextVideoFit });
  const perSignal = [...new Set([...FITTED_DEFAULT, ...FITTED])].map((name) => {
    const tr = pairsOf(train, name);
    const te = pairsOf(test, name);
    const c = table[name]!;
    return {
      signal: name,
      sets: [...new Set(tr.map((p) => p.set))],
      train: [tr.length, tr.filter((p) => p.y).length],
      held_out: [te.length, te.filter((p) => p.y).length],
      a: c.a,
      b: c.b,
      train_balanced_accuracy: round(balancedAccuracy(tr, c), 3),
      held_out_balanced_accuracy: round(balancedAccuracy(te, c), 3),
      held_out_auc: round(auc(te), 3),
      raw_at_half: round(-c.b / c.a, 3),
    };
  });
  const report = {
    generated_by: `scripts/fit-calibration.ts ${args.filter((a) => a !== '--dry-run').join(' ')}`.trim(),
    fitted: FITTED,
    pools: { train: train.length, held_out: test.length, sets: [...new Set(pools.map((p) => p.set))] },
    per_signal: perSignal,
    held_out: { before: figures(test, before), after: figures(test, table) },
    held_out_text_queries: { before: figures(test.filter((p) => !visualQuery(p)), before), after: figures(test.filter((p) => !visualQuery(p)), table) },
    held_out_visual_queries: { before: figures(test.filter(visualQuery), before), after: figures(test.filter(visualQuery), table) },
  };
  process.stdout.write(`${JSON.stringify(report, null, 1)}\n`);
  if (!args.includes('--dry-run')) {
    const file = {
      version: 1,
      generated_by: 'scripts/fit-calibration.ts (mixed-modality pools, scripts/calibration/)',
      note: 'p = 1 / (1 + exp(-(a*x + b))); x = raw signal (input "logit": x = logit(raw)). See models/CALIBRATION.md.',
      signals: table,
    };
    writeFileSync('models/calibration/signals.json', `${JSON.stringify(file, null, 2)}\n`);
    writeFileSync('models/calibration/mixed-fit.json', `${JSON.stringify(report, null, 1)}\n`);
    process.stderr.write('wrote models/calibration/signals.json and models/calibration/mixed-fit.json\n');
  }
}
