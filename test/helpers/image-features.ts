/**
 * Test helper for the image feature hand-over tests: a FeatureExtractor over the shared models
 * (batching on, detection threshold 0.3), and one photo's features computed alone from tensors the
 * test keeps, as the feature layer keeps features — the reference the batched, handed-over paths
 * must equal byte for byte.
 */
import { readFileSync } from 'node:fs';
import { mediaSchema } from '../../src/config/schema.js';
import { FeatureExtractor } from '../../src/features/extractor.js';
import { decodeImage, preprocessImage } from '../../src/features/media/image.js';
import { Models } from '../../src/models/index.js';
import { asFloat16 } from '../../src/util/vector-codec.js';
import { DATA } from './paths.js';
import { modelsConfig } from './models.js';

export const DETECT_THRESHOLD = 0.3;

export async function photoExtractor(): Promise<{ models: Models; fx: FeatureExtractor }> {
  const models = await Models.create(modelsConfig({ batch: { maxBatchSize: 16, maxWaitMs: 2, maxQueue: 1024 } }));
  const fx = await FeatureExtractor.create(models, { media: mediaSchema.parse({ roots: [DATA] }), cacheMaxBytes: 64 << 20, ocrId: null, detectScoreThreshold: DETECT_THRESHOLD });
  return { models, fx };
}

/** A photo decoded and preprocessed for both image models here, then embedded and detected alone; the tensors are returned for the caller's own checks. */
export async function photoAlone(fx: FeatureExtractor, path: string) {
  const img = await decodeImage(readFileSync(path));
  const c = await preprocessImage(img, fx.classifier.preprocess);
  const d = await preprocessImage(img, fx.detector.preprocess);
  const [f] = await fx.classifier.embed([c]);
  const detections = await fx.detector.detect(d, d.original, { scoreThreshold: DETECT_THRESHOLD });
  // as the feature layer keeps what it computes (the store's rounding, features/store/codec.ts: the
  // embedding float16, logits exact — a score is the pair's alone, held-out probe round 10a), so that
  // only the batching and the hand-over differ
  return { c, d, embedding: asFloat16(f!.embedding), logits: f!.logits, detections };
}

/** A float array's bytes, for byte-equal comparisons. */
export const bytes = (x: Float32Array): Buffer => Buffer.from(x.buffer, x.byteOffset, x.byteLength);
