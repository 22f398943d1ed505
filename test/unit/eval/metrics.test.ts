/**
 * The metrics of `vlrerank eval` on cases small enough to check by hand, and nDCG against the
 * repo's own helpers (the figures `npm run eval:search` / `eval:rerank` print) on random rankings.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { bestJudged, distribution, meanRankShift, mrrAt, ndcgAt, overlapAt, percentile, positionOf, promotedInto, recallAt } from '../../../src/eval/metrics.js';
import { ndcgAt10 as searchEvalNdcg } from '../../helpers/search-eval.js';
import { ndcgAt10 as scifactNdcg } from '../../helpers/scifact.js';

const rel = (o: Record<string, number>) => new Map(Object.entries(o));

describe('nDCG@k', () => {
  it('one relevant document at rank 2: 1/log2(3)', () => {
    expect(ndcgAt(['a', 'b', 'c'], rel({ b: 1 }))).toBeCloseTo(1 / Math.log2(3), 12);
  });
  it('graded, exponential gain (2^rel − 1, the repo helpers): ranking [b, a] for a=2, b=1', () => {
    // DCG = 1/1 + 3/log2(3); ideal = 3/1 + 1/log2(3)
    expect(ndcgAt(['b', 'a'], rel({ a: 2, b: 1 }))).toBeCloseTo((1 + 3 / Math.log2(3)) / (3 + 1 / Math.log2(3)), 12);
  });
  it('graded, linear gain (trec_eval / pytrec_eval ndcg_cut): the grade itself', () => {
    expect(ndcgAt(['b', 'a'], rel({ a: 2, b: 1 }), 10, 'linear')).toBeCloseTo((1 + 2 / Math.log2(3)) / (2 + 1 / Math.log2(3)), 12);
  });
  it('the ideal counts judged documents the ranking never retrieved', () => {
    expect(ndcgAt(['a'], rel({ a: 1, z: 1 }))).toBeCloseTo(1 / (1 + 1 / Math.log2(3)), 12);
  });
  it('is cut at k, and 0 with no relevant judgement (grades ≤ 0 are not relevant)', () => {
    const eleven = [...'xxxxxxxxxx'].map((x, i) => `${x}${i}`).concat('a');
    expect(ndcgAt(eleven, rel({ a: 1 }))).toBe(0);
    expect(ndcgAt(['a'], rel({ a: 0, b: -1 }))).toBe(0);
  });
  it('equals the repo helpers (search-eval, scifact) on random graded rankings', () => {
    const ids = fc.constantFrom(...'abcdefghijklmnop'.split(''));
    fc.assert(
      fc.property(fc.uniqueArray(ids, { maxLength: 16 }), fc.dictionary(ids, fc.integer({ min: 0, max: 3 })), (ranked, grades) => {
        const r = rel(grades);
        expect(ndcgAt(ranked, r)).toBeCloseTo(searchEvalNdcg(ranked, r), 12);
        expect(ndcgAt(ranked, r)).toBeCloseTo(scifactNdcg(ranked, r), 12);
      }),
    );
  });
});

describe('MRR@k and recall@k', () => {
  it('reciprocal rank of the first relevant document, 0 past k', () => {
    expect(mrrAt(['x', 'y', 'a', 'b'], rel({ a: 1, b: 2 }))).toBeCloseTo(1 / 3, 12);
    expect(mrrAt(['x', 'a'], rel({ a: 1 }), 1)).toBe(0);
  });
  it('recall: relevant documents in the top k over all relevant ones', () => {
    expect(recallAt(['a', 'x', 'b'], rel({ a: 1, b: 1, c: 0 }), 2)).toBe(0.5);
    expect(recallAt(['a', 'x', 'b'], rel({ a: 1, b: 1, c: 0 }), 3)).toBe(1);
    expect(recallAt(['a'], rel({ c: 0 }), 3)).toBe(0);
  });
  it('best judged document: highest grade, ties broken by the given order; its position', () => {
    expect(bestJudged(rel({ a: 1, b: 2, c: 2 }), ['c', 'b'])).toBe('c');
    expect(positionOf(['x', 'c'], 'c')).toBe(2);
    expect(positionOf(['x'], 'c')).toBeNull();
  });
});

describe('agreement without judgements', () => {
  it('overlap@k, rank shift and promotions between two orders', () => {
    expect(overlapAt(['a', 'b', 'c', 'd'], ['d', 'x', 'a', 'y'], 2)).toBe(0); // {a,b} vs {d,x}
    expect(overlapAt(['a', 'b', 'c', 'd'], ['b', 'a'], 2)).toBe(1);
    expect(meanRankShift(['a', 'b', 'c'], ['c', 'a', 'b'])).toBeCloseTo(4 / 3, 12);
    expect(promotedInto(['a', 'b', 'c', 'd'], ['d', 'a'], 2)).toBe(1);
    // an id held twice counts once, at its first place, as in nDCG/MRR/recall (round 14c)
    expect(promotedInto(['a', 'b', 'c'], ['c', 'c', 'a'], 2)).toBe(1);
    expect(overlapAt(['a', 'a', 'b'], ['b', 'a'], 2)).toBe(1);
    expect(meanRankShift(['a', 'a', 'b'], ['b', 'b', 'a'], 2)).toBe(1);
  });
});

describe('latency distributions', () => {
  it('percentiles interpolate between closest ranks (numpy default)', () => {
    expect(percentile([4, 1, 3, 2], 50)).toBe(2.5);
    expect(percentile([1, 2, 3, 4], 90)).toBeCloseTo(3.7, 12);
    expect(distribution([10, 20, 30])).toEqual({ n: 3, mean: 20, p50: 20, p90: 28, p99: 29.8, max: 30 });
  });
  it('a document listed twice counts once, at its first place (nDCG was 1.63 for [d, d]; held-out eval probe round)', () => {
    const rel = new Map([['d', 1], ['e', 1]]);
    expect(ndcgAt(['d', 'd'], new Map([['d', 1]]), 10)).toBe(1);
    expect(mrrAt(['x', 'x', 'e'], rel, 10)).toBe(1 / 2);
    expect(ndcgAt(['d', 'd', 'e'], rel, 10)).toBeCloseTo(1, 10);
    expect(recallAt(['d', 'd'], rel, 2)).toBe(0.5);
    expect(recallAt(['d', 'd', 'e'], rel, 2)).toBe(1);
  });
});
