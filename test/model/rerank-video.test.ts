/**
 * Videos through sampled frames (1 fps, ≤ 32): a text query against the Intel scene clips
 * (per-frame bridge vectors mean-pooled, best frame reported) and a video query against images
 * and clips (EfficientNet embeddings mean-pooled).
 */
import { afterAll, expect, it } from 'vitest';
import { testReranker } from '../helpers/reranker.js';

const reranker = testReranker();
afterAll(() => reranker.close());
const clip = (f: string) => `intel-sample-videos/clips/${f}`;
const clips = ['car-detection.mp4', 'bottle-detection.mp4', 'classroom.mp4', 'fruit-and-vegetable-detection.mp4', 'store-aisle-detection.mp4'];

it('a text query finds the matching clip and reports its best frame', { timeout: 300_000 }, async () => {
  const out = await reranker.process({ query: 'cars on a road', documents: clips.map((c) => ({ video: clip(c) })), fps: 1, max_frames: 8, explain: true });
  const top = out[0]!;
  console.log(`video: "cars on a road" → ${out.map((r) => `${clips[r.index]} ${r.score.toFixed(3)}`).join(', ')}`);
  expect(clips[top.index]).toBe('car-detection.mp4');
  expect(top.explanation!.signals[0]!.name).toBe('text_video');
  expect(top.explanation!.best_frame).toMatchObject({ index: expect.any(Number), time_s: expect.any(Number) });
  expect(out.usage.video_frames).toBeGreaterThan(clips.length);
});

it('a video query ranks the same clip first among clips and images (video↔video, video↔image)', { timeout: 300_000 }, async () => {
  const out = await reranker.process({
    query: { video: clip('fruit-and-vegetable-detection.mp4') },
    documents: [{ video: clip('classroom.mp4') }, { image: 'skimage-clip-smoke/images/coffee.png' }, { video: clip('fruit-and-vegetable-detection.mp4'), max_frames: 4 }, { video: clip('car-detection.mp4') }],
    max_frames: 8,
    explain: true,
  });
  expect(out[0]!.index).toBe(2);
  const names = out.map((r) => r.explanation!.signals.map((s) => s.name)).flat();
  expect(names).toContain('video_video');
  expect(names).toContain('video_image');
});
