/**
 * image ↔ image, video ↔ image and video ↔ video ("search by image", "more like this"): cosine of
 * EfficientNet-Lite2 embeddings. A video is its sampled frames' mean embedding (re-normalised), or
 * by `pooling` its best frame or the mean of its K best (frame-pooling.ts); the best single frame is
 * reported alongside.
 */
import { dot, normalize, weightedMean } from '../../util/vector.js';
import { poolFrames, type FramePooling } from './frame-pooling.js';

function meanEmbedding(frames: Float32Array[]): Float32Array {
  return normalize(weightedMean(frames));
}

export interface ImageImageResult {
  raw: number;
  bestFrame?: { index: number; raw: number };
}

/** Cosine between two sets of unit embeddings (one each for images, several for videos). */
export function imageImageRaw(query: Float32Array[], doc: Float32Array[], pooling?: FramePooling): ImageImageResult {
  const mean = () => dot(query.length === 1 ? query[0]! : meanEmbedding(query), doc.length === 1 ? doc[0]! : meanEmbedding(doc));
  if (doc.length <= 1 && query.length <= 1) return { raw: mean() };
  // best frame of whichever side is the video (the document if both)
  const side = doc.length > 1 ? doc : query;
  const other = doc.length > 1 ? (query.length === 1 ? query[0]! : meanEmbedding(query)) : doc[0]!;
  const values = side.map((f) => dot(f, other));
  let best = { index: 0, raw: -Infinity };
  values.forEach((r, i) => {
    if (r > best.raw) best = { index: i, raw: r };
  });
  return { raw: poolFrames(values, pooling) ?? mean(), bestFrame: best };
}
