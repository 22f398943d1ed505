/**
 * Mixed candidates in one request: text, image, text+image and video documents for a text query,
 * and a text+image query. Every document gets the signals its modalities allow, with weights
 * reported, and one fused calibrated score in [0, 1].
 */
import { afterAll, expect, it } from 'vitest';
import { testReranker } from '../helpers/reranker.js';

const reranker = testReranker();
afterAll(() => reranker.close());
const sk = (n: string) => `skimage-clip-smoke/images/${n}.${n === 'rocket' ? 'jpg' : 'png'}`;

it('scores text, image, text+image and video documents together', { timeout: 300_000 }, async () => {
  const out = await reranker.process({
    query: { text: 'a cup of coffee' },
    documents: [
      'A cup of espresso on a saucer.',
      { image: sk('coffee') },
      { text: 'hot drink', image: sk('coffee') },
      { image: sk('rocket') },
      { video: 'intel-sample-videos/clips/classroom.mp4', max_frames: 4 },
      'Rocket launch schedule',
    ],
    explain: true,
  });
  const by = new Map(out.map((r) => [r.index, r]));
  expect(by.get(2)!.explanation!.signals.map((s) => s.name).sort()).toEqual(['text_image', 'text_text']);
  expect(by.get(4)!.explanation!.signals.map((s) => s.name)).toEqual(['text_video']);
  expect(by.get(4)!.explanation!.modalities).toEqual({ query: ['text'], document: ['video'] });
  for (const r of out) {
    expect(r.explanation!.error).toBeUndefined();
    expect(r.score).toBeGreaterThanOrEqual(0);
    expect(r.score).toBeLessThanOrEqual(1);
    for (const s of r.explanation!.signals) expect(s).toMatchObject({ raw: expect.any(Number), calibrated: expect.any(Number), weight: expect.any(Number) });
  }
  expect(by.get(1)!.score).toBeGreaterThan(by.get(3)!.score);
  expect(by.get(0)!.score).toBeGreaterThan(by.get(5)!.score);
  expect(out.scores).toEqual([0, 1, 2, 3, 4, 5].map((i) => by.get(i)!.score));
});

it('a text+image query uses text↔text, text↔image, image↔image and image↔text', { timeout: 300_000 }, async () => {
  const out = await reranker.process({
    query: { text: 'a tabby cat', image: sk('chelsea') },
    documents: [{ text: 'a cat', image: sk('chelsea') }, { text: 'a rocket', image: sk('rocket') }],
    explain: true,
  });
  expect(out[0]!.index).toBe(0);
  expect(out[0]!.explanation!.signals.map((s) => s.name).sort()).toEqual(['image_image', 'image_text', 'text_image', 'text_text']);
  const ii = out[0]!.explanation!.signals.find((s) => s.name === 'image_image')!;
  expect(ii.raw).toBeCloseTo(1, 4);
});
