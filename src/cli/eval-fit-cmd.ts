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
 */
import { writeFileSync } from 'node:fs';
import { vlrError } from '../errors.js';
import { collectForFit } from '../eval/fit-collect.js';
import { crossValidate, cutWindow, type CrossValidation } from '../eval/fit.js';
import { chooseWindow, type WindowChoice } from '../eval/fit-windows.js';
import { formatFit, formatWindowChoice, snippetObject, snippetYaml, type FitContext } from '../eval/fit-report.js';
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
}

const int = (v: string, flag: string, min: number) => {
  if (!/^\d+$/.test(v.trim()) || Number(v) < min) throw vlrError('VLR_BAD_REQUEST', `${flag} must be an integer ≥ ${min}, got "${v}"`);
  return Number(v);
};

/** Every flag mistake of `--fit`, before a server starts or a search runs. */
export function fitSettings(
  flags: { folds?: string; seed?: string; json?: string; snippet?: string; report?: string },
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
  return { windows: [...new Set(windows)].sort((a, b) => a - b), pipeline: pipelines[0], folds, seed, json: flags.json, snippet: flags.snippet };
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
  // the collection searches the judged queries only (a bar over every query never reached its end)
  const bar = o.progress(o.queries.filter((q) => hasRelevant(o.qrels.get(q.id))).length);
  const largest = o.windows[o.windows.length - 1]!;
  const stop = stopOnSignals();
  const collected = await collectForFit({ url: o.url, index: o.index, queries: o.queries, qrels: o.qrels, pipeline: o.pipeline, window: largest, onQuery: bar.tick, timeoutMs: o.timeoutMs, signal: stop.signal }).finally(() => {
    stop.dispose();
    bar.stop();
  });
  const stopped = collected.stopped;
  if (collected.queries.length < o.folds) {
    const few = `${collected.queries.length} searches came back reranked (${collected.degraded} degraded): too few for ${o.folds} folds`;
    if (stopped?.signal) return finishStopped(stopped, false, stopNote(stopped, `${few}: nothing fitted, nothing written`));
    if (stopped) throw stopped.error;
    throw vlrError('VLR_BAD_REQUEST', `only ${few}`);
  }
  const partial = stopped ? { ...partialOf(stopped), note: stopNote(stopped, `fitted on the ${collected.queries.length} reranked queries collected`) } : undefined;
  // relevant judged documents never among the candidates: absent from the index, or only past the window
  const seen = new Set(collected.queries.flatMap((q) => q.candidates.map((c) => c.id)));
  const relevant = new Set(collected.queries.flatMap((q) => [...q.rel].filter(([, g]) => g > 0).map(([d]) => d)));
  const unseen = [...relevant].filter((d) => !seen.has(d));
  const absent = new Set(unseen.length ? ((await absentIds(o.url, o.index, unseen)) ?? []) : []);
  const notes = [...(o.notes ?? []), ...notInIndexNote([...absent], relevant.size, `index ${o.index}`)];
  const notInIndex = collected.queries.filter((q) => {
    const rel = [...q.rel].filter(([, g]) => g > 0).map(([d]) => d);
    return rel.length > 0 && rel.every((d) => absent.has(d));
  }).length;
  // `--json -`: the JSON alone on stdout, the words on stderr (see eval-cmd.ts)
  const say = o.json === '-' ? process.stderr : process.stdout;
  const fits = o.windows.map((window) => {
    const queries = collected.queries.map((q) => cutWindow(q, window));
    const notInWindow = queries.filter((q) => !q.candidates.some((c) => (q.rel.get(c.id) ?? 0) > 0)).length;
    const cv = crossValidate(queries, o.folds, o.seed, { gain: o.gain });
    const ctx: FitContext = { index: o.index, pipeline: collected.pipeline, window, folds: o.folds, seed: o.seed, queries: queries.length, notInWindow, notInIndex, notes, degraded: collected.degraded, ...(o.windows.length > 1 ? { setsWindow: true } : {}), ...(partial ? { partial } : {}) };
    say.write(`${formatFit(cv, ctx)}\n\n`);
    return { window, cv, ctx };
  });
  let choice: WindowChoice | undefined;
  if (fits.length > 1) {
    process.stderr.write(`vlrerank: choosing the window inside each fold on its training queries only (nested cross-validation: ${o.folds * fits.length * o.folds} more fits)\n`);
    choice = chooseWindow(collected.queries, fits, o.folds, o.seed, { gain: o.gain });
    say.write(`${formatWindowChoice(choice)}\n`);
  }
  const picked = fits.find((f) => f.window === (choice?.chosen ?? fits[0]!.window))!;
  const cv = picked.cv;
  const ctx: FitContext = choice ? { ...picked.ctx, nested: choice.nested.fitted } : picked.ctx;
  const yaml = snippetYaml(cv, ctx);
  if (o.snippet) {
    writeFileSync(o.snippet, yaml);
    say.write(`pipeline snippet written to ${termSafe(o.snippet)}\n`);
  } else say.write(`\n${termLines(yaml.split('\n'))}`);
  if (o.json) {
    const one = (f: { cv: CrossValidation; ctx: FitContext }) => ({ ...f.ctx, heldOut: { mean: f.cv.mean, folds: f.cv.folds }, final: f.cv.final, snippet: snippetObject(f.cv.final, f.ctx) });
    const out = { mode: 'fit', ...one({ cv, ctx }), ...(choice ? { windowChoice: choice, windows: fits.map(one) } : {}) };
    if (o.json === '-') process.stdout.write(`${JSON.stringify(out, null, 2)}\n`);
    else {
      writeFileSync(o.json, `${JSON.stringify(out, null, 2)}\n`);
      say.write(`figures written to ${termSafe(o.json)}\n`);
    }
  }
  finishStopped(stopped, true, partial?.note);
}
