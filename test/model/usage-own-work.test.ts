/**
 * `usage.model_calls` counts the model runs of the request's own inputs (held-out probe round 27c):
 * it was the difference of the process-wide counters over the request's lifetime, so a request
 * whose every feature was cached billed the image runs of a request beside it, and of two
 * identical requests for one new photo, the one that waited billed the runs the other made.
 * Real models and COCO photos, two calls at once on one Reranker.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { testReranker } from '../helpers/reranker.js';

const coco = (id: string) => `coco-captions-mini/images/val2017/${id}.jpg`;
const IMAGE = /efficientnet|nanodet/;
const imageRuns = (calls: Record<string, number>) => Object.entries(calls).filter(([m]) => IMAGE.test(m)).reduce((s, [, n]) => s + n, 0);
const r = testReranker({ maxConcurrentRequests: 2 });
afterAll(() => r.close());

describe('usage.model_calls is the request’s own work', () => {
  it('a cached request beside one computing new photos bills no run; the photos’ request bills its image runs', { timeout: 600_000 }, async () => {
    const texts = { query: 'sleep and memory', documents: [{ text: 'Sleep consolidates memory.' }, { text: 'Rice grows in paddies.' }] };
    await r.process(texts); // now every vector of `texts` is kept
    const photos = { query: 'a dog on a couch', documents: ['000000000802', '000000011813', '000000000139'].map((id) => ({ image: coco(id) })) };
    let done = false;
    const computing = r.process(photos).finally(() => (done = true));
    // the cached request, again and again while the photos are computed (image batches over seconds)
    const billed: Array<Record<string, number>> = [];
    while (!done) {
      const cached = await r.process(texts);
      expect(cached.usage.feature_sources).toEqual({ l1: 2 });
      billed.push(cached.usage.model_calls);
    }
    const busy = await computing;
    expect(billed.length).toBeGreaterThan(1);
    expect(billed.filter((c) => Object.keys(c).length > 0)).toEqual([]);
    expect(imageRuns(busy.usage.model_calls)).toBeGreaterThan(0);
  });

  it('two identical requests for one new photo: the one that waited for the other’s features bills none of its image runs', { timeout: 600_000 }, async () => {
    const same = { query: 'a cat', documents: [{ image: coco('000000012280') }] };
    const [a, b] = await Promise.all([r.process(same), r.process(same)]);
    const runs = [imageRuns(a.usage.model_calls), imageRuns(b.usage.model_calls)].sort();
    expect(runs[0]).toBe(0);
    expect(runs[1]).toBeGreaterThan(0);
  });
});
