/**
 * image ↔ image, video ↔ image and video ↔ video ("search by image", "more like this"): cosine of
 * EfficientNet-Lite2 embeddings. A video is its sampled frames' mean embedding (re-normalised);
 * the best single frame is reported alongside.
 */
import { dot, normalize, weightedMean } from '../../util/vector.js';

function meanEmbedding(frames: Float32Array[]): Float32Array {
  return normalize(weightedMean(frames));
}

export interface ImageImageResult {
  raw: number;
  bestFrame?: { index: number; raw: number };
}

/** Cosine between two sets of unit embeddings (one each for images, several for videos). */
export function imageImageRaw(query: Float32Array[], doc: Float32Array[]): ImageImageResult {
  const raw = dot(query.length === 1 ? query[0]! : meanEmbedding(query), doc.length === 1 ? doc[0]! : meanEmbedding(doc));
  if (doc.length <= 1 && query.length <= 1) return { raw };
  // best frame of whichever side is the video (the document if both)
  const side = doc.length > 1 ? doc : query;
  const other = doc.length > 1 ? (query.length === 1 ? query[0]! : meanEmbedding(query)) : doc[0]!;
  let best = { index: 0, raw: -Infinity };
  side.forEach((f, i) => {
    const r = dot(f, other);
    if (r > best.raw) best = { index: i, raw: r };
  });
  return { raw, bestFrame: best };
}
