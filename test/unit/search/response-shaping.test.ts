import { describe, expect, it } from 'vitest';
import { firstStageOrder, fuseWithFirstStage, mapFirstStage, partialFirstStage, shapeResponse } from '../../../src/search/shape.js';
import { parseSourceFilter } from '../../../src/search/source.js';
import { documentFromSource, resolveMedia } from '../../../src/pipelines/document.js';
import { products } from './helpers.js';

const hits = [0, 1, 2, 3, 4].map((i) => ({ _index: 'p', _id: `d${i}`, _score: 10 - i, _source: { title: `t${i}`, image: { url: `i${i}.jpg` } } }));
const scores = [0.1, 0.9, 0.5, 0.3, 0.7].map((score) => ({ score }));
const report = { pipeline: 'products', syntax: 'ext', window: 5, candidates: 5, degraded: false as const, timings: {} };

describe('response shaping', () => {
  it('orders by rerank score with fusion none, ties by first-stage rank', () => {
    expect(fuseWithFirstStage(hits, scores, { method: 'none' }).map((r) => r.hit._id)).toEqual(['d1', 'd4', 'd2', 'd3', 'd0']);
    expect(fuseWithFirstStage(hits, [{ score: 0.5 }, { score: 0.5 }, undefined, { score: 0.5 }, { score: 0.5 }], { method: 'none' }).map((r) => r.hit._id)).toEqual(['d0', 'd1', 'd3', 'd4', 'd2']);
  });

  it('fuses with the first stage by rrf and by weight', () => {
    const rrf = fuseWithFirstStage(hits, scores, { method: 'rrf', k: 1 });
    // d1: rerank rank 1 + first rank 2 → 1/2 + 1/3; d0: rerank 5 + first 1 → 1/6 + 1/2
    expect(rrf[0]!.hit._id).toBe('d1');
    expect(rrf[0]!.score).toBeCloseTo(1 / 2 + 1 / 3);
    const w = fuseWithFirstStage(hits, scores, { method: 'weight', weight: 1 });
    expect(w.map((r) => r.hit._id)).toEqual(['d0', 'd1', 'd2', 'd3', 'd4']);
  });

  it('blends the rerank score with a pair-only map of the first-stage score: in [0, 1], its definition, whatever else is in the window', () => {
    const logistic = { method: 'blend' as const, weight: 0.25, map: { logistic: { a: 0.5, b: -4 } } };
    const all = fuseWithFirstStage(hits, scores, logistic);
    for (const r of all) {
      const mapped = 1 / (1 + Math.exp(-(0.5 * r.firstScore! - 4)));
      expect(r.score).toBeCloseTo(0.75 * r.rerankScore! + 0.25 * mapped, 6);
      expect(r.score).toBeGreaterThanOrEqual(0);
      expect(r.score).toBeLessThanOrEqual(1);
    }
    expect(all.map((r) => r.score)).toEqual([...all.map((r) => r.score)].sort((a, b) => b - a));
    // the same hit in a window without the best first-stage hit: the same score (no per-request max)
    const alone = fuseWithFirstStage(hits.slice(2), scores.slice(2), logistic);
    expect(alone.find((r) => r.hit._id === 'd3')!.score).toBe(all.find((r) => r.hit._id === 'd3')!.score);
    const sat = fuseWithFirstStage(hits, scores, { method: 'blend', weight: 0.5, map: { saturation: 4 } });
    expect(sat.find((r) => r.hit._id === 'd0')!.score).toBeCloseTo(0.5 * 0.1 + 0.5 * (10 / 14), 6);
    expect(mapFirstStage(-3, { saturation: 4 })).toBe(0);
    expect(mapFirstStage(null, { logistic: { a: 1, b: 0 } })).toBe(0);
  });

  it('pages the window, restores the client _source view and explains', () => {
    const ranked = fuseWithFirstStage(hits, scores, { method: 'none' });
    const out = shapeResponse({ took: 3, hits: { total: { value: 5, relation: 'eq' }, max_score: 10, hits }, aggregations: { a: 1 } }, ranked, {
      from: 1, size: 2, sourceFilter: parseSourceFilter(['title']), explain: true, keepScores: false, report,
    }) as { hits: { max_score: number; hits: Array<Record<string, unknown>> }; aggregations: unknown; vlrerank: { returned: number } };
    expect(out.hits.max_score).toBe(0.9);
    expect(out.hits.hits.map((h) => h._id)).toEqual(['d4', 'd2']);
    expect(out.hits.hits[0]).toMatchObject({ _score: 0.7, _source: { title: 't4' }, _vlrerank: { first_stage_score: 6, first_stage_rank: 5, rerank_score: 0.7 } });
    expect(out.aggregations).toEqual({ a: 1 });
    expect(out.vlrerank.returned).toBe(2);
  });

  it('strips the feature records it asked for from each hit, keeping the fields the client asked for', () => {
    const withFields = hits.slice(0, 2).map((h, i) => ({ ...h, fields: i === 0 ? { vlrerank_features: ['AAAA'] } : { vlrerank_features: ['AAAA'], price: [3] } }));
    const ranked = fuseWithFirstStage(withFields, [{ score: 0.9 }, { score: 0.1 }], { method: 'none' });
    const o = { from: 0, size: 2, sourceFilter: parseSourceFilter(undefined), explain: false, report };
    const out = shapeResponse({ hits: { hits: withFields } }, ranked, { ...o, keepScores: false, stripFields: ['vlrerank_features'] }) as any;
    expect(out.hits.hits[0].fields).toBeUndefined();
    expect(out.hits.hits[1].fields).toEqual({ price: [3] });
    // degraded (first-stage order): stripped all the same
    const degraded = shapeResponse({ hits: { hits: withFields } }, firstStageOrder(withFields), { ...o, keepScores: true, stripFields: ['vlrerank_features'] }) as any;
    expect(degraded.hits.hits[0].fields).toBeUndefined();
  });

  it('keeps first-stage order and scores when degraded, and applies min_score otherwise', () => {
    const deg = shapeResponse({ hits: { max_score: 10, hits } }, firstStageOrder(hits), { from: 0, size: 2, sourceFilter: parseSourceFilter(false), explain: false, keepScores: true, report: { ...report, degraded: 'failed' as const } }) as { hits: { max_score: number; hits: Array<Record<string, unknown>> } };
    expect(deg.hits.hits.map((h) => [h._id, h._score, h._source])).toEqual([['d0', 10, undefined], ['d1', 9, undefined]]);
    expect(deg.hits.max_score).toBe(10);
    const min = shapeResponse({ hits: { hits } }, fuseWithFirstStage(hits, scores, { method: 'none' }), { from: 0, size: 10, minScore: 0.5, sourceFilter: parseSourceFilter(undefined), explain: false, keepScores: false, report }) as { hits: { hits: unknown[] } };
    expect(min.hits.hits).toHaveLength(3);
  });

  it('builds rerank documents from the pipeline fields', () => {
    expect(documentFromSource({ title: 'a', description: ['b', 'c'], image: [{ url: 'x.jpg' }] }, products)).toEqual({ text: 'a\nb\nc', image: 'x.jpg' });
    expect(documentFromSource({ other: 1 }, products)).toBeUndefined();
    expect(resolveMedia('img/a.jpg', 'https://cdn.example/base')).toBe('https://cdn.example/base/img/a.jpg');
    expect(resolveMedia('data:image/png;base64,xx', '/srv')).toBe('data:image/png;base64,xx');
    expect(resolveMedia('img/a.jpg', '/srv/media')).toBe('/srv/media/img/a.jpg');
  });
});

describe('partialFirstStage', () => {
  it('names failed shards and a search that timed out, and nothing for a full answer', () => {
    expect(partialFirstStage({ _shards: { total: 3, successful: 3, failed: 0 }, timed_out: false })).toBeUndefined();
    expect(partialFirstStage({ _shards: { total: 3, successful: 2, failed: 1 }, timed_out: false })).toMatchObject({ failed_shards: 1, total_shards: 3, timed_out: false });
    const late = partialFirstStage({ _shards: { total: 3, successful: 3, failed: 0 }, timed_out: true })!;
    expect(late).toMatchObject({ failed_shards: 0, timed_out: true });
    expect(late.note).toMatch(/timed out/);
    expect(partialFirstStage({ _shards: { total: 3, successful: 3, failed: 0 }, timed_out: false, terminated_early: false })).toBeUndefined();
    const early = partialFirstStage({ _shards: { total: 3, successful: 3, failed: 0 }, timed_out: false, terminated_early: true })!;
    expect(early).toMatchObject({ failed_shards: 0, timed_out: false, terminated_early: true });
    expect(early.note).toMatch(/terminate_after/);
  });
});
