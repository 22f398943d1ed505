/**
 * `vlrerank eval --fit` as users run it (issue 14 §2): 20 COCO-mini photos on the real
 * Elasticsearch 8.19 behind a vlrerank with the real models, the CLI spawned with `--url`. Checks
 * that the figures are held-out ones — the folds partition the queries, each fold is fitted on the
 * others, its "current" figure is what the official client's searches give on that fold's queries,
 * and its "fitted" figure is what the proxy gives on them with that fold's parameters as a pipeline —
 * and that the snippet, set into the pipeline, loads and gives `_score`s equal to their definition,
 * in the fitted fusion mode and in the other one. Then the flag mistakes: exit 2 with a message.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse as parseYaml, stringify } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parsePipeline } from '../../../src/pipelines/index.js';
import { ndcgAt10 } from '../../helpers/search-eval.js';
import { clientSearch, pipelinesDir, startSearchProxy, type SearchProxy } from '../../helpers/search-fixtures.js';
import { cocoEvalFiles, evalCli } from '../../helpers/eval-fixtures.js';
import { fusionPipelinesDir, fusionProxy } from '../../helpers/fusion-fixtures.js';

const INDEX = 'fusion-it-coco';
const N = 20;
const WINDOW = 20;
const files = cocoEvalFiles(N);
let p: SearchProxy;
let fitted: SearchProxy | undefined;
let out: any;
let stdout: string;
let snippet: any;

const mean = (xs: number[]) => xs.reduce((s, x) => s + x, 0) / xs.length;
const logistic = (x: number) => 1 / (1 + Math.exp(-x));

/** The fusion-it pipeline with `keys` (scorer / first_stage parts) set, under another name. */
function pipelineWith(name: string, keys: { scorer: any; first_stage: any }): string {
  const doc = parseYaml(readFileSync(join(fusionPipelinesDir(), 'fusion-it.yaml'), 'utf8'));
  doc.name = name;
  doc.scorer = { ...(doc.scorer ?? {}), ...keys.scorer };
  doc.first_stage = { ...doc.first_stage, ...keys.first_stage };
  parsePipeline(doc, `${name}.yaml`);
  return stringify(doc);
}

beforeAll(async () => {
  p = await fusionProxy(INDEX, N);
  await p.reranker.warmup();
  const json = join(files.dir, 'fit.json');
  const snippetFile = join(files.dir, 'fitted.yaml');
  // the boost held at the pipeline's own (coco.yaml's 20): this file is about the fusion; choosing the
  // boost is eval-fit-knn-boost.test.ts's
  ({ stdout } = await evalCli(['--url', p.url, '--index', INDEX, '--queries', files.queries, '--qrels', files.qrels, '--window', String(WINDOW), '--fit', '--knn-boost', '20', '--json', json, '--snippet', snippetFile]));
  out = JSON.parse(readFileSync(json, 'utf8'));
  snippet = parseYaml(readFileSync(snippetFile, 'utf8'));
}, 900_000);

afterAll(async () => {
  await fitted?.close();
  await p?.close();
});

describe('vlrerank eval --fit on COCO-mini (Elasticsearch 8.19)', () => {
  it('prints held-out figures: folds partition the queries, each fitted on the others', () => {
    expect(stdout).toContain('held-out nDCG@10');
    expect(out.folds).toBe(5);
    expect(out.queries).toBe(N);
    const ids = out.heldOut.folds.flatMap((f: any) => f.test).sort();
    expect(ids).toEqual([...files.texts.keys()].sort());
    for (const f of out.heldOut.folds) {
      expect(f.trainQueries).toBe(N - f.test.length);
      expect(stdout).toMatch(new RegExp(`^\\s+${f.fold}\\s+${f.test.length}\\s+${f.fitted.toFixed(3)}\\s+${f.current.toFixed(3)}\\s+${f.first.toFixed(3)}`, 'm'));
    }
    // pooled: each query once, in the fold that held it out (the folds' means weighed by their sizes)
    const pooled = out.heldOut.folds.reduce((s: number, f: any) => s + f.fitted * f.test.length, 0) / N;
    expect(out.heldOut.mean.fitted).toBeCloseTo(pooled, 10);
  });

  it("each fold's current-pipeline figure is what the official client's searches give on its queries", async () => {
    for (const f of out.heldOut.folds) {
      const got: number[] = [];
      for (const id of f.test) {
        const body = await clientSearch('elasticsearch', p.url, { index: INDEX, body: { size: WINDOW, _source: false, ext: { vlrerank: { query: { text: files.texts.get(id) }, window: WINDOW } } } });
        got.push(ndcgAt10(body.hits.hits.map((h: any) => String(h._id)), new Map([[id, 1]])));
      }
      expect(f.current).toBeCloseTo(mean(got), 4);
    }
  });

  it("the snippet loads as a pipeline; each fold's parameters give through the proxy the held-out figures printed; _score is its definition in both fusion modes", async () => {
    expect(['calibrated', 'raw']).toContain(snippet.scorer.fusion);
    const foldKeys = (params: any) => ({ scorer: { fusion: params.mode, weights: params.weights, ...(params.mode === 'raw' ? { raw_logistic: params.raw } : {}) }, first_stage: { fusion: params.blend > 0 ? { method: 'blend', weight: params.blend, map: params.map } : { method: 'none' } } });
    const foldPipelines = Object.fromEntries(out.heldOut.folds.map((f: any) => [`fit-fold-${f.fold}.yaml`, pipelineWith(`fit-fold-${f.fold}`, foldKeys(f.params))]));
    const other = snippet.scorer.fusion === 'raw' ? { ...snippet.scorer, fusion: 'calibrated', raw_logistic: undefined } : { ...snippet.scorer, fusion: 'raw', raw_logistic: { a: 10, b: -5 } };
    if (!other.raw_logistic) delete other.raw_logistic;
    const dir = pipelinesDir({
      'fusion-it.yaml': readFileSync(join(fusionPipelinesDir(), 'fusion-it.yaml'), 'utf8'),
      'fit-final.yaml': pipelineWith('fit-final', snippet),
      'fit-other.yaml': pipelineWith('fit-other', { scorer: other, first_stage: snippet.first_stage }),
      ...foldPipelines,
    });
    fitted = await startSearchProxy('elasticsearch', { pipelinesDir: dir });
    const search = (pipeline: string, text: string) => clientSearch('elasticsearch', fitted!.url, { index: INDEX, body: { size: WINDOW, _source: false, ext: { vlrerank: { query: { text }, window: WINDOW, explain: true, pipeline } } } });

    // every query searched with the parameters of the fold that held it out: their mean is the
    // printed held-out mean. The int8 text model's query vector shifts slightly with what it is
    // batched with (../shared/PITFALLS.md), so a near-tie may flip: one query of 20 (±0.02) is allowed.
    const got: number[] = [];
    for (const f of out.heldOut.folds) {
      for (const id of f.test) {
        const body = await search(`fit-fold-${f.fold}`, files.texts.get(id)!);
        const ids = body.hits.hits.map((h: any) => String(h._id));
        got.push(ndcgAt10(ids, new Map([[id, 1]])));
        if (ids[0] !== id) console.log(`[eval-fit] fold ${f.fold} query ${id}: top ${ids.slice(0, 3).join(',')} scores ${body.hits.hits.slice(0, 3).map((h: any) => h._score).join(',')}`);
      }
    }
    expect(mean(got)).toBeGreaterThan(out.heldOut.mean.fitted - 0.02);
    expect(mean(got)).toBeLessThan(out.heldOut.mean.fitted + 0.02);
    const fold = out.heldOut.folds[0];

    for (const [pipeline, scorer, fs] of [['fit-final', snippet.scorer, snippet.first_stage.fusion], ['fit-other', other, snippet.first_stage.fusion]] as const) {
      const body = await search(pipeline, files.texts.get(fold.test[0])!);
      const hits = body.hits.hits as any[];
      const scores = hits.map((h) => h._score);
      expect(scores).toEqual([...scores].sort((a, b) => b - a));
      for (const h of hits) {
        const sig = (h._vlrerank.explanation.signals as any[]).filter((s) => s.weight > 0);
        const wsum = sig.reduce((a, s) => a + s.weight, 0);
        const m = (k: 'raw' | 'calibrated') => sig.reduce((a, s) => a + s.weight * s[k], 0) / wsum;
        const rerank = scorer.fusion === 'raw' ? logistic(scorer.raw_logistic.a * m('raw') + scorer.raw_logistic.b) : m('calibrated');
        expect(h._vlrerank.rerank_score, pipeline).toBeCloseTo(rerank, 5);
        const s = h._vlrerank.first_stage_score;
        const mapped = fs.method !== 'blend' ? 0 : 'logistic' in fs.map ? logistic(fs.map.logistic.a * s + fs.map.logistic.b) : s <= 0 ? 0 : s / (s + fs.map.saturation);
        const final = fs.method === 'blend' ? (1 - fs.weight) * rerank + fs.weight * mapped : rerank;
        expect(h._score, pipeline).toBeCloseTo(final, 5);
        expect(h._score).toBeGreaterThanOrEqual(0);
        expect(h._score).toBeLessThanOrEqual(1);
      }
    }
  });

  it('fits several windows from one collection at the largest: its figures are the single-window fit\'s, and the snippet takes the best window', { timeout: 600_000 }, async () => {
    const json = join(files.dir, 'fit-windows.json');
    const snippetFile = join(files.dir, 'fitted-windows.yaml');
    const { stdout: text } = await evalCli(['--url', p.url, '--index', INDEX, '--queries', files.queries, '--qrels', files.qrels, '--window', `5,${WINDOW}`, '--fit', '--knn-boost', '20', '--json', json, '--snippet', snippetFile]);
    const multi = JSON.parse(readFileSync(json, 'utf8'));
    expect(multi.windows.map((w: any) => w.window)).toEqual([5, WINDOW]);
    const largest = multi.windows[1];
    // the same searches (window 20) and the same deterministic fit as the single-window run above
    expect(largest.heldOut.folds.map((f: any) => f.fitted)).toEqual(out.heldOut.folds.map((f: any) => f.fitted));
    // window 5: only the first 5 of each first stage are candidates
    const small = multi.windows[0];
    expect(small.notInWindow).toBeGreaterThanOrEqual(largest.notInWindow);
    // the smallest window with the best figure (1e-9 tolerance, as src/eval/fit-windows.ts chooses): on a
    // tie the smaller window (with coco.yaml's knn_boost every photo is in the first 5, and both tie)
    const best = largest.heldOut.mean.fitted > small.heldOut.mean.fitted + 1e-9 ? largest : small;
    expect(multi.window, `held-out nDCG@10: window 5 ${small.heldOut.mean.fitted}, window ${WINDOW} ${largest.heldOut.mean.fitted}`).toBe(best.window);
    expect(parseYaml(readFileSync(snippetFile, 'utf8')).window).toEqual({ default: best.window });
    expect(text).toContain('held-out nDCG@10 by window');
    // the figure that chose the window is not the one the choice is measured by: nested, each fold choosing on its training queries
    expect(multi.windowChoice.chosen).toBe(best.window);
    expect(multi.windowChoice.nested.folds.map((f: any) => f.queries)).toEqual(largest.heldOut.folds.map((f: any) => f.test.length));
    for (const f of multi.windowChoice.nested.folds) expect([5, WINDOW]).toContain(f.window);
    expect(text).toMatch(/nested cross-validation\): held-out nDCG@10 \d\.\d{3}/);
  });

  it('says what is wrong, with exit 2, for --fit without judgements, a bad window, and too many folds', { timeout: 300_000 }, async () => {
    await expect(evalCli(['--url', p.url, '--index', INDEX, '--queries', files.queries, '--fit'])).rejects.toMatchObject({ code: 2, stderr: expect.stringContaining('--fit needs judgements') });
    await expect(evalCli(['--url', p.url, '--index', INDEX, '--queries', files.queries, '--qrels', files.qrels, '--fit', '--window', '10,0'])).rejects.toMatchObject({ code: 2, stderr: expect.stringContaining('--window') });
    await expect(evalCli(['--url', p.url, '--index', INDEX, '--queries', files.queries, '--qrels', files.qrels, '--fit', '--folds', '50'])).rejects.toMatchObject({ code: 2, stderr: expect.stringContaining('needs at least 50 queries') });
    await expect(evalCli(['--url', p.url, '--index', INDEX, '--queries', files.queries, '--qrels', files.qrels, '--folds', '3'])).rejects.toMatchObject({ code: 2, stderr: expect.stringContaining('belong to --fit') });
  });
});
