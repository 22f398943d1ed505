/**
 * Video frame pooling (issue 14 §6, src/rerank/signals/frame-pooling.ts): `mean` keeps the mean
 * vector's value, `max` is the best frame's, `topK` the mean of the K best; text↔video and
 * video↔image take the pooling they are given; the pipeline refuses an unknown pooling by name.
 */
import { expect, it } from 'vitest';
import { poolFrames } from '../../../src/rerank/signals/frame-pooling.js';
import { textVisualRaw } from '../../../src/rerank/signals/text-image.js';
import { imageImageRaw } from '../../../src/rerank/signals/image-image.js';
import { pipelineSchema } from '../../../src/pipelines/schema.js';

const unit = (...xs: number[]) => {
  const n = Math.hypot(...xs);
  return Float32Array.from(xs.map((x) => x / n));
};

it('max, topK and mean of per-frame values', () => {
  expect(poolFrames([0.1, 0.7, 0.4], 'max')).toBeCloseTo(0.7, 9);
  expect(poolFrames([0.1, 0.7, 0.4], 'top2')).toBeCloseTo(0.55, 9);
  expect(poolFrames([0.1, 0.7, 0.4], 'top9')).toBeCloseTo(0.4, 9);
  expect(poolFrames([0.1, 0.7, 0.4], 'mean')).toBeUndefined();
  expect(poolFrames([0.1, 0.7, 0.4], undefined)).toBeUndefined();
});

it('text↔video and video↔image use the pooling given; the best frame is reported either way', () => {
  const q = unit(1, 0, 0);
  const frames = [unit(1, 0, 0), unit(0, 1, 0), unit(0, 0, 1)];
  expect(textVisualRaw(q, frames).raw).toBeCloseTo(1 / 3, 6);
  expect(textVisualRaw(q, frames, 'max')).toEqual({ raw: expect.closeTo(1, 6), bestFrame: { index: 0, raw: expect.closeTo(1, 6) } });
  expect(textVisualRaw(q, frames, 'top2').raw).toBeCloseTo(0.5, 6);
  expect(imageImageRaw([q], frames, 'max').raw).toBeCloseTo(1, 6);
  expect(imageImageRaw([q], frames).raw).toBeCloseTo(1 / Math.sqrt(3), 5);
});

it('the pipeline setting names the rule', () => {
  const base = { index_patterns: ['v-*'], fields: { video: ['video'] } };
  expect(pipelineSchema.parse({ ...base, scorer: { frame_pooling: 'top3' } }).scorer.frame_pooling).toBe('top3');
  const bad = pipelineSchema.safeParse({ ...base, scorer: { frame_pooling: 'median' } });
  expect(bad.success).toBe(false);
  expect(bad.error!.issues[0]!.message).toContain('mean, max or topK');
});
