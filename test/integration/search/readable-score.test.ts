/**
 * A reranked hit's `_score` reads as relevance (issue 14 §2): with a `blend` fusion it is in [0, 1],
 * the hits come ordered by it, it is (1 − w) · rerank score + w · logistic(first-stage score) as the
 * pipeline defines it, and the same (query, document) pair gets the same `_score` in two requests
 * with different windows. Real Elasticsearch 8.19, real models, 20 COCO-mini photos, the official
 * client; the first stage is the request's own BM25 query (pair-only by itself).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { clientSearch, type SearchProxy } from '../../helpers/search-fixtures.js';
import { FUSION_IT_BLEND, fusionProxy } from '../../helpers/fusion-fixtures.js';
import { coco } from '../../helpers/search-eval.js';

const INDEX = 'fusion-it-coco';
const N = 20;
let p: SearchProxy;

beforeAll(async () => {
  p = await fusionProxy(INDEX, N);
}, 900_000);
afterAll(async () => p?.close());

const search = (text: string, window: number) =>
  clientSearch('elasticsearch', p.url, { index: INDEX, body: { size: window, query: { match: { caption: text } }, ext: { vlrerank: { query: { text }, window, explain: true } } } });

describe('readable _score with a blend fusion (Elasticsearch 8.19)', () => {
  it('is in [0, 1], orders the hits, and is the blend of the rerank score and the mapped first-stage score', async () => {
    const { weight, a, b } = FUSION_IT_BLEND;
    for (const row of coco.slice(0, 5)) {
      const body = await search(row.captions[1]!, 20);
      const hits = body.hits.hits as Array<{ _score: number; _vlrerank: { first_stage_score: number; rerank_score: number } }>;
      expect(hits.length).toBeGreaterThan(1);
      expect(body.vlrerank.degraded).toBe(false);
      const scores = hits.map((h) => h._score);
      expect(scores).toEqual([...scores].sort((x, y) => y - x));
      for (const h of hits) {
        expect(h._score).toBeGreaterThanOrEqual(0);
        expect(h._score).toBeLessThanOrEqual(1);
        const mapped = 1 / (1 + Math.exp(-(a * h._vlrerank.first_stage_score + b)));
        expect(h._score).toBeCloseTo((1 - weight) * h._vlrerank.rerank_score + weight * mapped, 5);
      }
      expect(body.hits.max_score).toBe(scores[0]);
    }
  });

  it('gives the same pair the same _score in two requests with different windows', async () => {
    let compared = 0;
    for (const row of coco.slice(5, 10)) {
      const text = row.captions[2]!;
      const small = await search(text, 5);
      const large = await search(text, 20);
      const byId = new Map((large.hits.hits as Array<{ _id: string; _score: number }>).map((h) => [h._id, h._score]));
      for (const h of small.hits.hits as Array<{ _id: string; _score: number }>) {
        expect(byId.has(h._id)).toBe(true);
        expect(h._score).toBeCloseTo(byId.get(h._id)!, 5);
        compared++;
      }
    }
    expect(compared).toBeGreaterThan(5);
  });

  it("explains the reranked _score when the client asks the engine's own `explain: true`", async () => {
    const text = coco[0]!.captions[0]!;
    const body = await clientSearch('elasticsearch', p.url, { index: INDEX, body: { size: 5, explain: true, query: { match: { caption: text } }, ext: { vlrerank: { query: { text }, window: 20, explain: true } } } });
    const hits = body.hits.hits as Array<{ _score: number; _explanation: { value: number; description: string; details: Array<{ value: number; description: string }> }; _vlrerank: { first_stage_score: number; rerank_score: number } }>;
    expect(hits.length).toBe(5);
    for (const h of hits) {
      expect(h._explanation.value).toBe(h._score);
      expect(h._explanation.description).toMatch(/^vlrerank: reranked score/);
      // the rerank score, then the engine's own explanation of the first-stage score
      expect(h._explanation.details[0]!.value).toBeCloseTo(h._vlrerank.rerank_score, 5);
      expect(h._explanation.details[1]!.value).toBeCloseTo(h._vlrerank.first_stage_score, 4);
      expect(h._explanation.details[1]!.description).not.toMatch(/vlrerank/);
    }
  });
});
