/**
 * Fusion: one score in [0, 1] per (query, document) from the calibrated signals present for that
 * pair — a weighted mean of probabilities. It depends on nothing but the pair (no per-request
 * min-max, no rank fusion), so the same pair gets the same score in any request and thresholds
 * keep their meaning.
 */

/** Default weights by signal name; configurable per Reranker and per request. */
export const DEFAULT_WEIGHTS: Readonly<Record<string, number>> = Object.freeze({
  text_text: 1,
  text_image: 1,
  text_video: 1,
  image_image: 1,
  video_image: 1,
  video_video: 1,
  image_text: 1,
  video_text: 1,
  ocr_text: 0.3,
  clip: 1,
  remote: 2,
});

export interface FusedSignal {
  name: string;
  calibrated: number;
  weight: number;
}

/** Σ w·p / Σ w over the signals with weight > 0; no signal → 0. Result clamped to [0, 1]. */
export function fuse(signals: FusedSignal[]): number {
  let num = 0;
  let den = 0;
  for (const s of signals) {
    if (!(s.weight > 0) || !Number.isFinite(s.calibrated)) continue;
    num += s.weight * s.calibrated;
    den += s.weight;
  }
  if (den === 0) return 0;
  return Math.min(1, Math.max(0, num / den));
}

export function resolveWeights(base: Record<string, number> | undefined, override?: Record<string, number>): Record<string, number> {
  return { ...DEFAULT_WEIGHTS, ...(base ?? {}), ...(override ?? {}) };
}
