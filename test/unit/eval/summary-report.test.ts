/**
 * From recorded orders to figures and to the HTML report: with judgements (quality, wins and
 * losses by nDCG change) and without (agreement with the first stage only), on runs small enough to
 * check by hand. The report must stay one self-contained file whatever the input holds.
 */
import { describe, expect, it } from 'vitest';
import { formatSummary } from '../../../src/eval/format.js';
import { renderReport } from '../../../src/eval/report-html.js';
import { notInIndexNote, relevantNeverReturned, summarise, winsAndLosses, type ConfigRun } from '../../../src/eval/summary.js';
import type { EvalQuery } from '../../../src/eval/judgements.js';

const queries: EvalQuery[] = [
  { id: 'q1', text: 'a dog <b>on</b> a sofa' },
  { id: 'q2', text: 'a rocket' },
];
const q = (id: string, first: string[], reranked: string[], extra: Partial<ConfigRun['queries'][number]> = {}) => ({ id, first, reranked, timings: { first_stage_ms: 10, rerank_ms: 30, total_ms: 42 }, wallMs: 50, documentErrors: 0, featureSources: { cache_hits: 2 }, ...extra });
const runs: ConfigRun[] = [
  { name: 'window 3', window: 3, queries: [q('q1', ['a', 'b', 'c'], ['c', 'a', 'b']), q('q2', ['x', 'y', 'z'], ['y', 'x', 'z'], { degraded: 'VLR_TIMEOUT: budget', documentErrors: 1, documentErrorFirst: 'y: VLR_MEDIA_NOT_FOUND: no file shelf/y.jpg' })] },
];
const qrels = new Map([
  ['q1', new Map([['c', 1]])],
  ['q2', new Map([['x', 1]])],
]);

describe('with judgements', () => {
  const r = summarise({ mode: 'proxy', target: { index: 'i' }, runs, queries, qrels, gain: 'exponential' });
  it('averages the quality of both orders over the judged queries', () => {
    const c = r.configs[0]!;
    // q1: relevant c at #3 first, #1 reranked; q2: relevant x at #1 first, #2 reranked
    expect(c.first!.ndcg10).toBeCloseTo((0.5 + 1) / 2, 4);
    expect(c.reranked!.ndcg10).toBeCloseTo((1 + 1 / Math.log2(3)) / 2, 4);
    expect(c.first!.mrr10).toBeCloseTo((1 / 3 + 1) / 2, 4);
    expect(c.reranked!.mrr10).toBeCloseTo((1 + 1 / 2) / 2, 4);
    expect(c.degraded).toBe(1);
    expect(c.degradedReasons).toEqual({ 'VLR_TIMEOUT: budget': 1 });
    expect(c.documentErrors).toBe(1);
    // the count alone named nothing: the notes say which query and the first reason
    expect(r.notes).toContain('window 3: 1 hits in 1 queries were ranked without their media (it could not be read); first, in query "q2": y: VLR_MEDIA_NOT_FOUND: no file shelf/y.jpg');
    expect(c.featureSources).toEqual({ cache_hits: 4 });
    expect(c.latency.total_ms).toMatchObject({ n: 2, p50: 42 });
    expect(c.latency.wall_ms).toMatchObject({ n: 2, mean: 50 });
  });
  it('wins and losses by the nDCG@10 change, with the best judged document and its positions', () => {
    const { wins, losses } = winsAndLosses(r.perQuery);
    expect(wins.map((w) => [w.id, w.best, w.first.bestPosition, w.reranked.bestPosition])).toEqual([['q1', 'c', 3, 1]]);
    expect(losses.map((w) => [w.id, w.best, w.first.bestPosition, w.reranked.bestPosition])).toEqual([['q2', 'x', 1, 2]]);
  });
  it('renders one self-contained file with the figures, escaping what the queries hold', () => {
    const html = renderReport(r, runs, { c: { thumb: 'data:image/jpeg;base64,AAAA', text: 'photo c', kind: 'image' } });
    expect(html).toContain(`<td data-metric="ndcg10-reranked">${r.configs[0]!.reranked!.ndcg10.toFixed(3)}</td>`);
    expect(html).toContain('a dog &lt;b&gt;on&lt;/b&gt; a sofa');
    expect(html).toContain('<img src="data:image/jpeg;base64,AAAA"');
    expect(html).not.toMatch(/<script|<link|https?:\/\//i);
  });
});

describe('without judgements', () => {
  const r = summarise({ mode: 'proxy', target: { index: 'i' }, runs, queries, gain: 'exponential' });
  it('reports agreement with the first stage and no quality figures', () => {
    const c = r.configs[0]!;
    expect(r.judged).toBe(false);
    expect(c.first).toBeUndefined();
    expect(c.agreement.top1Same).toBe(0);
    expect(c.agreement.overlap10).toBe(1);
    // q1: c 2→0, a 0→1, b 1→2 → 4/3; q2: y 1→0, x 0→1, z 0 → 2/3
    expect(c.agreement.meanRankShift10).toBeCloseTo((4 / 3 + 2 / 3) / 2, 4);
  });
  it('the report shows the largest changes and the overlap chart instead', () => {
    const html = renderReport(r, runs);
    expect(html).toContain('Largest changes');
    expect(html).toContain('overlap@10');
    expect(html).not.toContain('data-metric="ndcg10-reranked"');
  });
});

describe('the means follow trec_eval / pytrec_eval (held-out eval probe round)', () => {
  // the values pytrec_eval-terrier 0.5.11 gave for these orders (ndcg_cut_10, recip_rank, recall_10):
  // q1 0.638788 / 1 / 0.666667 (dX judged, never retrieved), q2 0 / 0 / 0 (judged, nothing relevant), q3 0.5 / 0.333333 / 1;
  // q4 (not judged) is not evaluated
  const rq = (id: string, ranked: string[]) => q(id, ranked, ranked);
  const r = summarise({
    mode: 'proxy',
    target: { index: 'i' },
    runs: [{ name: 'w', window: 4, queries: [rq('q1', ['d1', 'd2', 'd5']), rq('q2', ['d1', 'd2']), rq('q3', ['d1', 'd2', 'd3', 'd4']), rq('q4', ['d1'])] }],
    queries: ['q1', 'q2', 'q3', 'q4'].map((id) => ({ id, text: id })),
    qrels: new Map([
      ['q1', new Map([['d1', 1], ['d5', 2], ['dX', 1]])],
      ['q2', new Map([['d1', 0], ['d2', 0]])],
      ['q3', new Map([['d3', 1]])],
    ]),
    gain: 'linear',
  });
  it('a judged query without a relevant document counts 0; an unjudged one is left out', () => {
    const c = r.configs[0]!;
    expect(c.judged).toBe(3);
    expect(c.reranked!.ndcg10).toBeCloseTo((0.638788 + 0 + 0.5) / 3, 4);
    expect(c.reranked!.mrr10).toBeCloseTo((1 + 0 + 1 / 3) / 3, 4);
    expect(c.reranked!.recall10).toBeCloseTo((2 / 3 + 0 + 1) / 3, 4);
  });
});

describe('relevant judged documents never returned (held-out eval probe round)', () => {
  it('are those of the evaluated queries no configuration returned; the note names them', () => {
    const runs: ConfigRun[] = [{ name: 'w', window: 2, queries: [q('q1', ['a', 'b'], ['b', 'a']), q('q2', ['c', 'd'], ['d', 'c'])] }];
    const judged = new Map([
      ['q1', new Map([['a', 1], ['x', 2], ['y', 0]])],
      ['q2', new Map([['z', 1]])],
      ['q9', new Map([['w', 1]])], // not evaluated
    ]);
    const r = relevantNeverReturned(runs, judged);
    expect(r).toEqual({ ids: ['x', 'z'], relevant: 3 });
    expect(notInIndexNote(['x'], 3, 'the collection')).toEqual(['1 of 3 relevant judged documents are not in the collection (e.g. x): each counts as never found, as trec_eval counts it']);
    expect(notInIndexNote(['x', 'z'], 2, 'index i')[0]).toContain("do the judgement ids match the documents' ids?");
    expect(notInIndexNote([], 3, 'index i')).toEqual([]);
  });
});

describe('a window the first stage never filled (held-out eval probe round)', () => {
  it('is said in a note; a filled one is not', () => {
    const runs: ConfigRun[] = [
      { name: 'window 2', window: 2, queries: [q('q1', ['a', 'b'], ['b', 'a'])] },
      { name: 'window 200', window: 200, queries: [q('q1', ['a', 'b', 'c'], ['c', 'b', 'a']), q('q2', ['a'], ['a'])] },
    ];
    const r = summarise({ mode: 'proxy', target: { index: 'i' }, runs, queries, gain: 'exponential', notes: ['given'] });
    // (window 2's own note says it is smaller than 10: round 14c)
    expect(r.notes.filter((n) => !/smaller than 10/.test(n))).toEqual(['given', 'window 200: the first stage returned at most 3 candidates, fewer than the window: its figures are those of a window of 3 or less']);
  });
});

describe('a very long query in the report (held-out eval probe round)', () => {
  it('shows its first 300 characters; the report stays small', () => {
    const long = 'x'.repeat(100_000);
    const rows = [{ name: 'window 3', window: 3, queries: [q('q1', ['a', 'b', 'c'], ['c', 'a', 'b'])] }];
    const r = summarise({ mode: 'proxy', target: { index: 'i' }, runs: rows, queries: [{ id: 'q1', text: long }], qrels: new Map([['q1', new Map([['c', 1]])]]), gain: 'exponential' });
    const html = renderReport(r, rows);
    expect(html).toContain(`${'x'.repeat(299)}…`);
    expect(html).not.toContain('x'.repeat(300));
    expect(html.length).toBeLessThan(30_000);
  });
});

describe('the printed summary (held-out probe round 12c)', () => {
  const judged = new Map([['q1', new Map([['c', 1]])]]);
  const at = (window: number) => formatSummary(summarise({ mode: 'proxy', target: { index: 'i' }, runs: [{ name: `window ${window}`, window, queries: [q('q1', ['a', 'b', 'c'], ['c', 'a', 'b'])] }], queries, qrels: judged, gain: 'exponential' }));
  it('names recall at the window beside R@10, once when the window is 10', () => {
    expect(at(20)).toMatch(/R@10 .* R@20 1\.000/);
    const ten = at(10).split('\n').find((l) => l.trimStart().startsWith('R@10'))!;
    expect(ten.match(/R@10/g)).toHaveLength(1);
  });
});

describe('what the figures rest on is said (held-out probe round 14c)', () => {
  const run = (window: number, qs: ConfigRun['queries']): ConfigRun[] => [{ name: `window ${window}`, window, queries: qs }];
  it('graded judgements under the default gain name trec_eval\'s linear gain; binary ones, or --gain linear, do not', () => {
    const graded = new Map([['q1', new Map([['c', 2], ['a', 1]])], ['q2', new Map([['x', 1]])]]);
    const r = summarise({ mode: 'proxy', target: { index: 'i' }, runs: run(20, [q('q1', ['a', 'b', 'c'], ['c', 'a', 'b']), q('q2', ['x'], ['x'])]), queries, qrels: graded, gain: 'exponential' });
    expect(r.notes.join('\n')).toMatch(/graded judgements \(up to 2\): nDCG@10 takes 2\^grade−1 as the gain; trec_eval and BEIR \(pytrec_eval\) take the grade itself — --gain linear/);
    expect(formatSummary(r)).toContain('--gain linear gives their figure');
    expect(summarise({ mode: 'proxy', target: { index: 'i' }, runs: run(20, [q('q1', ['c'], ['c'])]), queries, qrels: graded, gain: 'linear' }).notes.join('\n')).not.toMatch(/graded/);
    expect(summarise({ mode: 'proxy', target: { index: 'i' }, runs: run(20, [q('q1', ['c'], ['c'])]), queries, qrels, gain: 'exponential' }).notes.join('\n')).not.toMatch(/graded/);
  });
  it('a query the first stage found nothing for is named: it counts 0', () => {
    const r = summarise({ mode: 'proxy', target: { index: 'i' }, runs: run(20, [q('q1', ['c', 'a'], ['c', 'a']), q('q2', [], [])]), queries, qrels, gain: 'exponential' });
    expect(r.configs[0]!.reranked!.ndcg10).toBeCloseTo(0.5, 4);
    expect(r.notes.join('\n')).toContain('1 queries got no candidate from the first stage (e.g. "q2"): nothing to rerank, each counts 0');
  });
  it('a window smaller than 10 says the @10 figures rank its documents only', () => {
    const r = summarise({ mode: 'proxy', target: { index: 'i' }, runs: run(5, [q('q1', ['c', 'a', 'b', 'd', 'e'], ['c', 'a', 'b', 'd', 'e'])]), queries, qrels, gain: 'exponential' });
    expect(r.notes).toContain('window 5: the window is smaller than 10: nDCG@10, MRR@10, R@10 rank its 5 documents only');
    expect(summarise({ mode: 'proxy', target: { index: 'i' }, runs: run(10, [q('q1', ['c'], ['c'])]), queries, qrels, gain: 'exponential' }).notes.join('\n')).not.toMatch(/smaller than 10/);
  });
});
