/**
 * `vlrerank eval --fit` (issue 14 §2): the flags checked before any search (exit 2 with a message),
 * then the judged queries collected once through the proxy (src/eval/fit-collect.ts), the fusion
 * fitted with k-fold cross-validation (src/eval/fit.ts), the held-out figures printed and the
 * pipeline snippet printed or written (src/eval/fit-report.ts), and `--json` with every fold.
 */
import { writeFileSync } from 'node:fs';
import { vlrError } from '../errors.js';
import { collectForFit } from '../eval/fit-collect.js';
import { crossValidate } from '../eval/fit.js';
import { formatFit, snippetObject, snippetYaml, type FitContext } from '../eval/fit-report.js';
import type { EvalQuery, Qrels } from '../eval/judgements.js';
import { hasRelevant, type Gain } from '../eval/metrics.js';

export interface FitSettings {
  window: number;
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
  if (windows.length !== 1) throw vlrError('VLR_BAD_REQUEST', `--fit takes one --window (the window the fitted pipeline will rerank), got ${windows.join(',')}`);
  if (pipelines.length !== 1) throw vlrError('VLR_BAD_REQUEST', '--fit fits one pipeline: give at most one --pipeline');
  if (flags.report) throw vlrError('VLR_BAD_REQUEST', '--report belongs to the evaluation, not to --fit (its figures go to the output and --json)');
  const folds = int(flags.folds ?? '5', '--folds', 2);
  const seed = int(flags.seed ?? '42', '--seed', 0);
  const judged = inp.queries.filter((q) => hasRelevant(inp.qrels!.get(q.id))).length;
  if (judged < folds) throw vlrError('VLR_BAD_REQUEST', `--fit with ${folds} folds needs at least ${folds} queries with a relevant judgement, found ${judged}`);
  return { window: windows[0]!, pipeline: pipelines[0], folds, seed, json: flags.json, snippet: flags.snippet };
}

export async function fitMode(o: FitSettings & {
  url: string;
  index: string;
  queries: EvalQuery[];
  qrels: Qrels;
  gain: Gain;
  progress: (total: number) => { tick: (done: number) => void; stop: () => void };
}): Promise<void> {
  const bar = o.progress(o.queries.length);
  const collected = await collectForFit({ url: o.url, index: o.index, queries: o.queries, qrels: o.qrels, pipeline: o.pipeline, window: o.window, onQuery: bar.tick });
  bar.stop();
  if (collected.queries.length < o.folds) throw vlrError('VLR_BAD_REQUEST', `only ${collected.queries.length} searches came back reranked (${collected.degraded} degraded): too few for ${o.folds} folds`);
  const cv = crossValidate(collected.queries, o.folds, o.seed, { gain: o.gain });
  const ctx: FitContext = { index: o.index, pipeline: collected.pipeline, window: o.window, folds: o.folds, seed: o.seed, queries: collected.queries.length, notInWindow: collected.notInWindow, degraded: collected.degraded };
  process.stdout.write(`${formatFit(cv, ctx)}\n`);
  const yaml = snippetYaml(cv, ctx);
  if (o.snippet) {
    writeFileSync(o.snippet, yaml);
    process.stdout.write(`pipeline snippet written to ${o.snippet}\n`);
  } else process.stdout.write(`\n${yaml}`);
  if (o.json) {
    const out = { mode: 'fit', ...ctx, heldOut: { mean: cv.mean, folds: cv.folds }, final: cv.final, snippet: snippetObject(cv.final) };
    writeFileSync(o.json, `${JSON.stringify(out, null, 2)}\n`);
    process.stdout.write(`figures written to ${o.json}\n`);
  }
}
