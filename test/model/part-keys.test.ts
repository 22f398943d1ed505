/**
 * PartKeys builds each image part's key from a template made once (the content hash spliced in):
 * every key must equal what featureKey gives for the same parts, differ by hash and by part, and
 * follow the extractor's settings (another detector threshold gives another detect key) and name the
 * image decoding (features made by another decoding, e.g. colour-managed pixels, are never read).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { featureKey } from '../../src/features/cache/feature-cache.js';
import { IMAGE_DECODE } from '../../src/features/media/image.js';
import { PartKeys, rev } from '../../src/features/parts.js';
import type { ImageClassifier, Models, ObjectDetector } from '../../src/models/index.js';
import { sharedModels } from '../helpers/models.js';

let models: Models;
let classifier: ImageClassifier;
let detector: ObjectDetector;
beforeAll(async () => {
  models = await sharedModels();
  classifier = await models.imageClassifier();
  detector = await models.objectDetector();
});
afterAll(() => models.close());

const H1 = 'a'.repeat(64);
const H2 = '0123456789abcdef'.repeat(4);

describe('PartKeys', () => {
  it('gives, for every hash, exactly the key featureKey builds from the same parts', () => {
    const keys = new PartKeys({ classifier, detector }, { topK: 5, detectScoreThreshold: 0.3, videoShortestSide: 448 });
    for (const h of [H1, H2, H1]) {
      expect(keys.classify(h)).toBe(featureKey({ media: { contentHash: h }, kind: 'classify', models: [rev(classifier)], params: { dec: IMAGE_DECODE, pre: classifier.preprocess, topK: 5 } }));
      expect(keys.detect(h)).toBe(featureKey({ media: { contentHash: h }, kind: 'detect', models: [rev(detector)], params: { dec: IMAGE_DECODE, pre: detector.preprocess, thr: 0.3 } }));
    }
    expect(keys.classify(H1)).not.toBe(keys.classify(H2));
    expect(keys.classify(H1)).not.toBe(keys.detect(H1));
    expect(keys.image(H2, { detect: true })).toEqual([keys.classify(H2), keys.detect(H2)]);
    for (const k of [keys.classify(H1), keys.detect(H1)]) expect(k).toContain(IMAGE_DECODE);
  });

  it('keeps each extractor’s settings in its keys', () => {
    const a = new PartKeys({ classifier, detector }, { topK: 5, detectScoreThreshold: 0.3, videoShortestSide: 448 });
    const b = new PartKeys({ classifier, detector }, { topK: 3, detectScoreThreshold: 0.5, videoShortestSide: 448 });
    expect(a.classify(H1)).not.toBe(b.classify(H1));
    expect(a.detect(H1)).not.toBe(b.detect(H1));
    expect(b.detect(H1)).toContain('0.5');
  });
});
