/**
 * The shipped knowledge-base pipeline (issue 14) blends the cosine with BM25 as fitted on SciFact's
 * train claims: `_score` = 0.6 · rerank + 0.4 · s/(s + 2) of the hit's own BM25 score — a function of
 * the pair alone, in [0, 1] — over a window of 300. Fails if the pipeline stops blending, or if the
 * blend starts to look at other hits (a per-window normalisation).
 */
import { describe, expect, it } from 'vitest';
import { loadPipelines } from '../../../src/pipelines/index.js';
import { fuseWithFirstStage } from '../../../src/search/shape.js';

const kb = loadPipelines('pipelines', process.cwd()).find((p) => p.name === 'knowledge-base')!;

describe('knowledge-base pipeline: the fitted first-stage blend', () => {
  it('is a pair-only blend of the rerank score and s/(s+2) of BM25, over a window of 300', () => {
    expect(kb.first_stage.fusion).toEqual({ method: 'blend', weight: 0.4, map: { saturation: 2 } });
    expect(kb.window.default).toBe(300);
    const hits = [{ _id: 'a', _score: 30 }, { _id: 'b', _score: 6 }, { _id: 'c', _score: 12 }];
    const rerank = [0.5, 0.55, 0.5];
    const out = fuseWithFirstStage(hits, rerank.map((score) => ({ score })), kb.first_stage.fusion);
    for (const r of out) {
      const s = r.firstScore!;
      expect(Math.abs(r.score - (0.6 * r.rerankScore! + 0.4 * (s / (s + 2))))).toBeLessThanOrEqual(5e-7); // as printed: 6 decimals
      expect(r.score).toBeGreaterThanOrEqual(0);
      expect(r.score).toBeLessThanOrEqual(1);
    }
    // equal cosines: the higher BM25 ranks first; a slightly better cosine does not beat a far better BM25
    expect(out.map((r) => r.hit._id)).toEqual(['a', 'c', 'b']);
    // pair-only: a hit's score does not change when the other hits do
    const alone = fuseWithFirstStage([hits[1]!], [{ score: 0.55 }], kb.first_stage.fusion);
    expect(alone[0]!.score).toBe(out.find((r) => r.hit._id === 'b')!.score);
  });

  it('sorts by the score as printed: hits printed with equal scores keep their first-stage order', () => {
    // blended 0.5 and 0.50000048: both print 0.5; the second (better by less than the printed
    // precision) went first, so the answer showed equal _scores out of first-stage order
    const hits = [{ _id: 'first', _score: 2 }, { _id: 'second', _score: 2 }];
    const out = fuseWithFirstStage(hits, [{ score: 0.5 }, { score: 0.5000008 }], kb.first_stage.fusion);
    expect(out.map((r) => r.score)).toEqual([0.5, 0.5]);
    expect(out.map((r) => r.hit._id)).toEqual(['first', 'second']);
  });
});
