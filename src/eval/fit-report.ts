/**
 * What `vlrerank eval --fit` prints and writes: the held-out figures per fold and their mean (the
 * fitted fusion, the current pipeline's order and the first stage alone on the same held-out
 * queries), and a pipeline snippet (YAML) with the parameters fitted on every query, to paste into
 * the pipeline's `scorer` and `first_stage` blocks. Pure formatting; no I/O.
 */
import { stringify } from 'yaml';
import type { CrossValidation, FirstMap, FusionParams } from './fit.js';
import type { WindowChoice } from './fit-windows.js';
import { termLines, termSafe } from './terminal-text.js';
import type { PartialRun } from './stop.js';

const r4 = (x: number) => Math.round(x * 1e4) / 1e4;
const f3 = (x: number) => x.toFixed(3);

export interface FitContext {
  index: string;
  pipeline?: string;
  window: number;
  folds: number;
  seed: number;
  queries: number;
  notInWindow: number;
  /** Of `notInWindow`, the queries whose every relevant document is absent from the index: a larger window cannot help them. */
  notInIndex?: number;
  /** Notes on the inputs and the index (judgements skipped, relevant documents the index lacks), as the evaluation prints them. */
  notes?: string[];
  degraded: number;
  /** Several windows were fitted: the snippet sets `window.default` to this one. */
  setsWindow?: boolean;
  /** A hybrid first stage: the bridge kNN's boost these figures were collected with, set in the snippet as `first_stage.knn_boost`. */
  knnBoost?: number;
  /** Several boosts were tried: the snippet's is the one with the best held-out figure. */
  setsBoost?: boolean;
  /** Several windows: the held-out figure of choosing the window inside each fold (nested cross-validation, fit-windows.ts). */
  nested?: number;
  /** The collection ended early (a signal or a failed search): fitted on the queries collected until then. */
  partial?: PartialRun & { note: string };
}

/** The pipeline keys the fit sets, as plain data (also the JSON output's `snippet`). */
export function snippetObject(p: FusionParams, c?: Pick<FitContext, 'window' | 'setsWindow' | 'knnBoost'>): { scorer: Record<string, unknown>; first_stage: Record<string, unknown>; window?: { default: number } } {
  const weights = Object.fromEntries(Object.entries(p.weights).sort(([a], [b]) => a.localeCompare(b)));
  return {
    scorer: { fusion: p.mode, ...(p.mode === 'raw' ? { raw_logistic: { a: r4(p.raw.a), b: r4(p.raw.b) } } : {}), weights },
    // the blend's map reads the engine's summed score, which the boost scales: the two go together
    first_stage: { fusion: p.blend > 0 ? { method: 'blend', weight: p.blend, map: mapObject(p.map) } : { method: 'none' }, ...(c?.knnBoost !== undefined ? { knn_boost: c.knnBoost } : {}) },
    ...(c?.setsWindow ? { window: { default: c.window } } : {}),
  };
}

const mapObject = (m: FirstMap): FirstMap => ('logistic' in m ? { logistic: { a: r4(m.logistic.a), b: r4(m.logistic.b) } } : { saturation: m.saturation });

function describeMap(m: FirstMap): string {
  if ('saturation' in m) return `s/(s + ${m.saturation})`;
  const { a, b } = m.logistic;
  return `logistic(${r4(a)}·s ${b < 0 ? '−' : '+'} ${Math.abs(r4(b))})`;
}

export function describeParams(p: FusionParams): string {
  const w = Object.entries(p.weights).map(([k, v]) => `${k} ${v}`).join(', ');
  const blend = p.blend > 0 ? `blend ${p.blend} of ${describeMap(p.map)}` : 'no first-stage blend';
  return `${p.mode}${p.mode === 'raw' ? ` (logistic a ${r4(p.raw.a)}, b ${r4(p.raw.b)})` : ''}; weights ${w}; ${blend}`;
}

export function snippetYaml(cv: CrossValidation, c: FitContext): string {
  const head = [
    `# vlrerank eval --fit on index ${c.index}${c.pipeline ? ` (pipeline ${c.pipeline})` : ''}: ${c.queries} judged queries, window ${c.window},`,
    `# ${c.folds}-fold cross-validation (seed ${c.seed}). Held-out nDCG@10: fitted ${f3(cv.mean.fitted)}, current pipeline ${f3(cv.mean.current)}, first stage ${f3(cv.mean.first)}.`,
    '# Fitted on every query; set these keys in the pipeline (they replace its scorer.fusion, scorer.weights',
    `# and first_stage.fusion${c.knnBoost !== undefined ? `, first_stage.knn_boost (the hybrid first stage's boost${c.setsBoost ? ' with the best held-out figure' : ' these figures were measured at'})` : ''}${c.setsWindow ? ', and window.default (the window with the best held-out figure; keep window.max ≥ it)' : ''}; signals not listed keep their default weights).`,
    ...(c.nested !== undefined ? [`# That figure also chose the ${chosenWhat(c)}, so it flatters; the ${chosenWhat(c)} chosen inside each fold instead (nested): held-out nDCG@10 ${f3(c.nested)}.`] : []),
    ...(c.partial ? [`# Partial: ${c.partial.note}.`] : []),
  ];
  // comment lines: a newline or control character in a name would break them (yaml escapes the body's C0 itself)
  return `${termLines(head)}\n${stringify(snippetObject(cv.final, c))}`;
}

/** What the nested cross-validation chose: the window, the boost, or both. */
const chosenWhat = (c: Pick<FitContext, 'setsWindow' | 'setsBoost'>) => (c.setsWindow && c.setsBoost ? 'window and knn_boost' : c.setsBoost ? 'knn_boost' : 'window');

export function formatFit(cv: CrossValidation, c: FitContext): string {
  const lines = [
    `fusion fit on index ${c.index}${c.pipeline ? `, pipeline ${c.pipeline}` : ''}: ${c.queries} judged queries, window ${c.window}${c.knnBoost !== undefined ? `, knn_boost ${c.knnBoost}` : ''}, ${c.folds}-fold cross-validation (seed ${c.seed})`,
    `held-out nDCG@10 (each fold fitted on the other folds only):`,
    `  fold  queries  fitted  current  first stage  fitted parameters`,
    ...cv.folds.map((f) => `  ${String(f.fold).padStart(4)}  ${String(f.test.length).padStart(7)}  ${f3(f.fitted)}   ${f3(f.current)}    ${f3(f.first)}      ${describeParams(f.params)}`),
    `   all  ${String(c.queries).padStart(7)}  ${f3(cv.mean.fitted)}   ${f3(cv.mean.current)}    ${f3(cv.mean.first)}      (each query once, in the fold that held it out)`,
    `fitted on every query (the snippet): ${describeParams(cv.final)}`,
  ];
  if (c.partial) lines.push(`note: ${c.partial.note}`);
  for (const n of c.notes ?? []) lines.push(`note: ${n}`);
  // held-out probe round 12c: a query whose relevant documents the index does not hold was counted
  // among those "a larger --window may help"; no window helps it
  const absent = c.notInIndex ?? 0;
  if (c.notInWindow - absent > 0) lines.push(`note: ${c.notInWindow - absent} queries have no relevant document in the window (nDCG 0 whatever the fusion; a larger --window may help)`);
  if (absent > 0) lines.push(`note: ${absent} queries have no relevant document in the index at all (nDCG 0 whatever the fusion or the window)`);
  if (c.degraded) lines.push(`note: ${c.degraded} searches came back degraded (first-stage order, no signals) and were left out`);
  return termLines(lines);
}

/** One variant named as the choice prints it: `50`, or `knn_boost 20, window 50`. */
const variantName = (v: { window: number; knnBoost?: number }, windows: boolean, boosts: boolean) =>
  !boosts || v.knnBoost === undefined ? `${v.window}` : windows ? `knn_boost ${v.knnBoost}, window ${v.window}` : `knn_boost ${v.knnBoost}`;

/** The choice among several `--window`s (and a hybrid first stage's boosts): the figures that chose it, and what the choice is worth held out (nested). */
export function formatWindowChoice(w: WindowChoice): string {
  const windows = new Set(w.byWindow.map((x) => x.window)).size > 1;
  const boosts = new Set(w.byWindow.map((x) => x.knnBoost)).size > 1;
  const what = boosts && windows ? 'window and knn_boost' : boosts ? 'knn_boost' : 'window';
  const chosen = variantName({ window: w.chosen, knnBoost: w.chosenBoost }, windows, boosts);
  return [
    `held-out nDCG@10 by ${boosts ? what.replace(' and ', ' × ') : 'window'}: ${w.byWindow.map((x) => `${variantName(x, windows, boosts)} ${f3(x.fitted)}`).join(boosts ? '; ' : ', ')} → ${boosts ? '' : 'window '}${chosen} (the snippet's)`,
    `  the same figures chose the ${what}, so the best of them flatters the choice; choosing it inside each fold on`,
    `  its training queries only (nested cross-validation): held-out nDCG@10 ${f3(w.nested.fitted)} (${w.optimism >= 0 ? '−' : '+'}${Math.abs(w.optimism).toFixed(3)}) — folds chose ${w.nested.folds.map((f) => variantName(f, windows, boosts)).join(boosts ? '; ' : ', ')}`,
  ].map(termSafe).join('\n');
}

/** A hybrid first stage's boosts side by side: what each does to the window (recall) and to nDCG@10, first stage alone and fitted (held out). */
export interface BoostRow {
  knnBoost: number;
  window: number;
  /** Mean over the queries of the share of their relevant documents inside the window. */
  recall: number;
  /** Queries with no relevant document in the window. */
  notInWindow: number;
  first: number;
  fitted: number;
}

export function formatBoosts(rows: BoostRow[], own: number): string {
  return termLines([
    `hybrid first stage: the bridge kNN's boost beside the text query (first_stage.knn_boost; the pipeline's own ${own}), each its own first-stage run:`,
    `  knn_boost  window  recall@window  not in window  first stage  fitted (held-out nDCG@10)`,
    ...rows.map((r) => `  ${String(r.knnBoost).padStart(9)}  ${String(r.window).padStart(6)}  ${f3(r.recall).padStart(13)}  ${String(r.notInWindow).padStart(13)}  ${f3(r.first).padStart(11)}  ${f3(r.fitted)}${r.knnBoost === own ? '  (the pipeline\'s)' : ''}`),
  ]);
}
