/**
 * image ↔ image, video ↔ image and video ↔ video ("search by image", "more like this"): cosine of
 * EfficientNet-Lite2 embeddings. A video is its sampled frames' mean embedding (re-normalised), or
 * by `pooling` its best frame or the mean of its K best (frame-pooling.ts); the best single frame is
 * reported alongside.
 */
import { cosine, normalize, weightedMean } from '../../util/vector.js';
import { poolFrames, type FramePooling } from './frame-pooling.js';

function meanEmbedding(frames: Float32Array[]): Float32Array {
  return normalize(weightedMean(frames));
}

export interface ImageImageResult {
  raw: number;
  bestFrame?: { index: number; raw: number };
}

/**
 * Cosine between two sets of embeddings (one each for images, several for videos): a true cosine,
 * not the dot product of unit vectors — they are used as stored (float16), so a photo against
 * itself gave 0.999887 (held-out probe round 10a).
 */
export function imageImageRaw(query: Float32Array[], doc: Float32Array[], pooling?: FramePooling): ImageImageResult {
  const mean = () => cosine(query.length === 1 ? query[0]! : meanEmbedding(query), doc.length === 1 ? doc[0]! : meanEmbedding(doc));
  if (doc.length <= 1 && query.length <= 1) return { raw: mean() };
  // best frame of whichever side is the video (the document if both)
  const side = doc.length > 1 ? doc : query;
  const other = doc.length > 1 ? (query.length === 1 ? query[0]! : meanEmbedding(query)) : doc[0]!;
  const values = side.map((f) => cosine(f, other));
  let best = { index: 0, raw: -Infinity };
  values.forEach((r, i) => {
    if (r > best.raw) best = { index: i, raw: r };
  });
  return { raw: poolFrames(values, pooling) ?? mean(), bestFrame: best };
}
