/**
 * How a video's per-frame values become one (issue 14 §6): `mean` (the frames' mean vector, the
 * default), `max` (the best frame), or `topK` (the mean of the K best frames' values). The
 * per-frame values are cosines against the other side; `mean` is computed on the mean vector by
 * the callers (text↔video: the mean of the frames' cosines; video↔image: the cosine of the
 * re-normalised mean embedding), so this module only ranks values.
 * Pure arithmetic: never sees a model or a frame's pixels.
 */
export type FramePooling = 'mean' | 'max' | `top${number}`;

export const FRAME_POOLING_PATTERN = /^(mean|max|top[1-9][0-9]?)$/;

/** Pooled value of per-frame values for `max` and `topK` (undefined for `mean`: the caller's mean vector decides). */
export function poolFrames(values: number[], pooling: FramePooling | undefined): number | undefined {
  if (!pooling || pooling === 'mean' || values.length === 0) return undefined;
  const k = pooling === 'max' ? 1 : Math.max(1, Number(pooling.slice(3)));
  const top = [...values].sort((a, b) => b - a).slice(0, k);
  return top.reduce((a, b) => a + b, 0) / top.length;
}
