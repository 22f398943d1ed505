/**
 * `vlrerank eval --fit` (issue 14 §2): the flags checked before any search (exit 2 with a message),
 * then the judged queries collected once through the proxy (src/eval/fit-collect.ts), the fusion
 * fitted with k-fold cross-validation (src/eval/fit.ts), the held-out figures printed and the
 * pipeline snippet printed or written (src/eval/fit-report.ts), and `--json` with every fold.
 * Several windows (`--window 100,200,300`) are fitted from ONE collection at the largest: a smaller
 * window's candidates are the first W of the same first stage, and every score the fit uses is a
 * function of the (query, document) pair alone, so cutting the collected window is what searching
 * with the smaller window would return. The window with the best held-out mean goes in the snippet;
 * as that mean also chose it, the choice is measured apart by nested cross-validation (fit-windows.ts).
 * A hybrid first stage (the answer reports `vlrerank.knn_boost`: the bridge kNN stood beside the text
 * query) also has its boost chosen: the boost changes which hits reach the window, so each boost of
 * the grid is its own collection (`ext.vlrerank.knn_boost`; after the first, the query vectors come
 * from the proxy's text-vector cache), and every (boost, window) is a variant chosen as the windows are.
 */
import { writeFileSync } from 'node:fs';
import { vlrError } from '../errors.js';
import { collectForFit, type Collected } from '../eval/fit-collect.js';
import { crossValidate, cutWindow, type CrossValidation, type FitQuery } from '../eval/fit.js';
import { chooseWindow, type WindowChoice } from '../eval/fit-windows.js';
import { formatBoosts, formatFit, formatWindowChoice, snippetObject, snippetYaml, type BoostRow, type FitContext } from '../eval/fit-report.js';
import type { EvalQuery, Qrels } from '../eval/judgements.js';
import { hasRelevant, type Gain } from '../eval/metrics.js';
import { absentIds } from '../eval/proxy-runner.js';
import { notInIndexNote } from '../eval/summary.js';
import { partialOf, stopNote } from '../eval/stop.js';
import { termLines, termSafe } from '../eval/terminal-text.js';
import { finishStopped, stopOnSignals } from './eval-stop.js';

export interface FitSettings {
  /** Ascending; the largest is collected. */
  windows: number[];
  pipeline?: string;
  folds: number;
  seed: number;
  json?: string;
  snippet?: string;
  /** The boosts tried when the first stage is hybrid (the pipeline's own is always one). */
  knnBoosts: number[];
  /** `--knn-boost` was given (not the default grid): said when there is no boost to choose. */
  knnBoostsAsked?: boolean;
}

/** `--knn-boost`'s default: from the kNN weighed as the pipeline had it before the boost (1) to far past COCO-mini's plateau (5–30). */
export const KNN_BOOST_GRID = [1, 2, 5, 10, 20, 50];

const int = (v: string, flag: string, min: number) => {
  if (!/^\d+$/.test(v.trim()) || Number(v) < min) throw vlrError('VLR_BAD_REQUEST', `${flag} must be an integer ≥ ${min}, got "${v}"`);
  return Number(v);
};

/** Every flag mistake of `--fit`, before a server starts or a search runs. */
export function fitSettings(
  flags: { folds?: string; seed?: string; json?: string; snippet?: string; report?: string; knnBoost?: string },
  inp: { queries: EvalQuery[]; qrels?: Qrels },
  windows: number[],
  pipelines: Array<string | undefined>,
): FitSettings {
  if (!inp.qrels) throw vlrError('VLR_BAD_REQUEST', '--fit needs judgements: give --qrels (or "relevant" in the queries file, or a --beir folder)');
  if (pipelines.length !== 1) throw vlrError('VLR_BAD_REQUEST', '--fit fits one pipeline: give at most one --pipeline');
  if (flags.report) throw vlrError('VLR_BAD_REQUEST', '--report belongs to the evaluation, not to --fit (its figures go to the output and --json)');
  const folds = int(flags.folds ?? '5', '--folds', 2);
  const seed = int(flags.seed ?? '42', '--seed', 0);
  const judged = inp.queries.filter((q) => hasRelevant(inp.qrels!.get(q.id))).length;
  if (judged < folds) throw vlrError('VLR_BAD_REQUEST', `--fit with ${folds} folds needs at least ${folds} queries with a relevant judgement, found ${judged}`);
  return { windows: [...new Set(windows)].sort((a, b) => a - b), pipeline: pipelines[0], folds, seed, json: flags.json, snippet: flags.snippet, knnBoosts: flags.knnBoost === undefined ? KNN_BOOST_GRID : boostList(flags.knnBoost), ...(flags.knnBoost !== undefined ? { knnBoostsAsked: true } : {}) };
}

function boostList(v: string): number[] {
  const xs = v.split(',').map((x) => x.trim()).filter(Boolean);
  if (!xs.length || xs.some((x) => !/^\d+(\.\d+)?$/.test(x) || !(Number(x) > 0))) throw vlrError('VLR_BAD_REQUEST', `--knn-boost must be a positive number or a comma-separated list of them, got "${v}"`);
  return [...new Set(xs.map(Number))].sort((a, b) => a - b);
}

export async function fitMode(o: FitSettings & {
  url: string;
  index: string;
  queries: EvalQuery[];
  qrels: Qrels;
  gain: Gain;
  progress: (total: number) => { tick: (done: number) => void; stop: () => void };
  /** Longest wait for one search's answer (ms). */
  timeoutMs?: number;
  /** The inputs' notes (judgements skipped, duplicates…), printed with the fit as the evaluation prints them. */
  notes?: string[];
}): Promise<void> {
  const largest = o.windows[o.windows.length - 1]!;
  // the collection searches the judged queries only (a bar over every query never reached its end)
  const judged = o.queries.filter((q) => hasRelevant(o.qrels.get(q.id))).length;
  const collect = async (knnBoost?: number): Promise<Collected> => {
    const bar = o.progress(judged);
    const stop = stopOnSignals();
    return collectForFit({ url: o.url, index: o.index, queries: o.queries, qrels: o.qrels, pipeline: o.pipeline, window: largest, onQuery: bar.tick, timeoutMs: o.timeoutMs, signal: stop.signal, knnBoost }).finally(() => {
      stop.dispose();
      bar.stop();
    });
  };
  const collected = await collect();
  const stopped = collected.stopped;
  if (collected.queries.length < o.folds) {
    const few = `${collected.queries.length} searches came back reranked (${collected.degraded} degraded): too few for ${o.folds} folds`;
    if (stopped?.signal) return finishStopped(stopped, false, stopNote(stopped, `${few}: nothing fitted, nothing written`));
    if (stopped) throw stopped.error;
    throw vlrError('VLR_BAD_REQUEST', `only ${few}`);
  }
  const partial = stopped ? { ...partialOf(stopped), note: stopNote(stopped, `fitted on the ${collected.queries.length} reranked queries collected`) } : undefined;
  // a hybrid first stage (the answer names the kNN's boost): one more collection per boost of the grid,
  // unless the collection as the pipeline stands was already stopped
  const own = collected.knnBoost;
  const byBoost = new Map<number | undefined, Collected>([[own, collected]]);
  const boostNotes: string[] = [];
  if (own === undefined && o.knnBoostsAsked) boostNotes.push('--knn-boost was not used: the first stage has no kNN beside a text query (not a hybrid first stage), so there is no boost to choose');
  if (own !== undefined && !stopped) {
    for (const b of o.knnBoosts.filter((x) => x !== own)) {
      process.stderr.write(`vlrerank: hybrid first stage (knn_boost ${own}): collecting the window again at knn_boost ${b}\n`);
      const c = await collect(b);
      if (c.stopped?.signal) {
        boostNotes.push(`stopped while collecting knn_boost ${b} (${c.stopped.signal}): it and the boosts after it were left out`);
        break;
      }
      if (c.stopped) throw c.stopped.error;
      byBoost.set(b, c);
    }
  }
  // every boost on the same queries in the same order (a search degraded at one boost leaves that query out of all): the folds are then the same
  const ids = [...byBoost.values()].reduce((keep, c) => new Set(c.queries.map((q) => q.id).filter((id) => keep.has(id))), new Set(collected.queries.map((q) => q.id)));
  const left = collected.queries.length - ids.size;
  if (left) boostNotes.push(`${left} queries came back degraded at another knn_boost and were left out of every boost (the folds must hold the same queries)`);
  const queriesAt = (b: number | undefined): FitQuery[] => {
    const got = new Map(byBoost.get(b)!.queries.map((q) => [q.id, q]));
    return collected.queries.filter((q) => ids.has(q.id)).map((q) => got.get(q.id)!);
  };
  const asIs = queriesAt(own);
  // relevant judged documents never among the candidates: absent from the index, or only past the window
  const all = [...byBoost.keys()].flatMap((b) => queriesAt(b));
  const seen = new Set(all.flatMap((q) => q.candidates.map((c) => c.id)));
  const relevant = new Set(asIs.flatMap((q) => [...q.rel].filter(([, g]) => g > 0).map(([d]) => d)));
  const unseen = [...relevant].filter((d) => !seen.has(d));
  const absent = new Set(unseen.length ? ((await absentIds(o.url, o.index, unseen)) ?? []) : []);
  const notes = [...(o.notes ?? []), ...notInIndexNote([...absent], relevant.size, `index ${o.index}`), ...boostNotes];
  const notInIndex = asIs.filter((q) => {
    const rel = [...q.rel].filter(([, g]) => g > 0).map(([d]) => d);
    return rel.length > 0 && rel.every((d) => absent.has(d));
  }).length;
  // `--json -`: the JSON alone on stdout, the words on stderr (see eval-cmd.ts)
  const say = o.json === '-' ? process.stderr : process.stdout;
  // the pipeline's own boost first: on a tie it stays
  const boosts = own === undefined ? [undefined] : [own, ...[...byBoost.keys()].filter((b): b is number => b !== own && b !== undefined).sort((a, b) => a - b)];
  const varied = boosts.length > 1;
  const fits = o.windows.flatMap((window) =>
    boosts.map((knnBoost) => {
      const full = queriesAt(knnBoost);
      // "current" is the pipeline as it stands (its own boost) on the same held-out queries, at every boost
      const queries = full.map((q, i) => ({ ...cutWindow(q, window), current: cutWindow(asIs[i]!, window).current }));
      const inWindow = queries.map((q) => {
        const rel = [...q.rel].filter(([, g]) => g > 0).map(([d]) => d);
        const got = new Set(q.candidates.map((c) => c.id));
        return rel.length ? rel.filter((d) => got.has(d)).length / rel.length : 0;
      });
      const notInWindow = inWindow.filter((x) => x === 0).length;
      const cv = crossValidate(queries, o.folds, o.seed, { gain: o.gain });
      const ctx: FitContext = { index: o.index, pipeline: collected.pipeline, window, folds: o.folds, seed: o.seed, queries: queries.length, notInWindow, notInIndex, notes, degraded: byBoost.get(knnBoost)!.degraded, ...(o.windows.length > 1 ? { setsWindow: true } : {}), ...(knnBoost !== undefined ? { knnBoost } : {}), ...(varied ? { setsBoost: true } : {}), ...(partial ? { partial } : {}) };
      const recall = inWindow.reduce((a, b) => a + b, 0) / (inWindow.length || 1);
      return { window, knnBoost, cv, ctx, full, recall };
    }),
  );
  let choice: WindowChoice | undefined;
  if (fits.length > 1) {
    const what = varied && o.windows.length > 1 ? 'the window and knn_boost' : varied ? 'knn_boost' : 'the window';
    process.stderr.write(`vlrerank: choosing ${what} inside each fold on its training queries only (nested cross-validation: ${o.folds * fits.length * o.folds} more fits)\n`);
    choice = chooseWindow(asIs, fits.map((f) => ({ window: f.window, ...(f.knnBoost !== undefined ? { knnBoost: f.knnBoost } : {}), cv: f.cv, queries: f.full })), o.folds, o.seed, { gain: o.gain });
  }
  const chosenBoost = choice ? choice.chosenBoost : own;
  // each window's fit printed at the chosen boost (the others are in the boost table and --json)
  for (const f of fits.filter((x) => x.knnBoost === chosenBoost)) say.write(`${formatFit(f.cv, f.ctx)}\n\n`);
  const rows: BoostRow[] = varied ? fits.map((f) => ({ knnBoost: f.knnBoost!, window: f.window, recall: f.recall, notInWindow: f.ctx.notInWindow, first: f.cv.mean.first, fitted: f.cv.mean.fitted })) : [];
  if (varied) say.write(`${formatBoosts(rows, own!)}\n`);
  if (choice) say.write(`${formatWindowChoice(choice)}\n`);
  const picked = fits.find((f) => f.window === (choice?.chosen ?? fits[0]!.window) && f.knnBoost === chosenBoost)!;
  const cv = picked.cv;
  const ctx: FitContext = choice ? { ...picked.ctx, nested: choice.nested.fitted } : picked.ctx;
  const yaml = snippetYaml(cv, ctx);
  if (o.snippet) {
    writeFileSync(o.snippet, yaml);
    say.write(`pipeline snippet written to ${termSafe(o.snippet)}\n`);
  } else say.write(`\n${termLines(yaml.split('\n'))}`);
  if (o.json) {
    const one = (f: { cv: CrossValidation; ctx: FitContext }) => ({ ...f.ctx, heldOut: { mean: f.cv.mean, folds: f.cv.folds }, final: f.cv.final, snippet: snippetObject(f.cv.final, f.ctx) });
    const out = {
      mode: 'fit',
      ...one({ cv, ctx }),
      ...(choice ? { windowChoice: choice } : {}),
      ...(o.windows.length > 1 ? { windows: fits.filter((f) => f.knnBoost === chosenBoost).map(one) } : {}),
      ...(own !== undefined ? { pipelineKnnBoost: own } : {}),
      ...(varied ? { knnBoosts: rows } : {}),
    };
    if (o.json === '-') process.stdout.write(`${JSON.stringify(out, null, 2)}\n`);
    else {
      writeFileSync(o.json, `${JSON.stringify(out, null, 2)}\n`);
      say.write(`figures written to ${termSafe(o.json)}\n`);
    }
  }
  finishStopped(stopped, true, partial?.note);
}
