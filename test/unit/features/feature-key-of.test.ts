/**
 * featureKeyOf (the kind, models and parameters serialised once) gives exactly the keys featureKey
 * gives, so parts kept on disk or in Redis under the old computation are still found, and any
 * changed model or parameter still gives another key.
 */
import { describe, expect, it } from 'vitest';
import { featureKey, featureKeyOf } from '../../../src/features/cache/feature-cache.js';

const fixed = { kind: 'classify', models: ['b@2', 'a@1'], params: { pre: { size: 260, mean: [0.5, 0.5, 0.5] }, topK: 5, off: undefined } };

describe('featureKeyOf', () => {
  it('equals featureKey for content hashes and URLs with validators', () => {
    const of = featureKeyOf(fixed);
    for (const media of [{ contentHash: 'abc' }, { contentHash: 'def' }, { url: 'https://x/y.jpg', etag: '"1"' }, { url: 'https://x/y.jpg', lastModified: 'Tue, 01 Dec 2026 00:00:00 GMT' }]) {
      expect(of(media)).toBe(featureKey({ ...fixed, media }));
    }
    expect(of({ contentHash: 'abc' })).toBe('classify|sha256:abc|a@1+b@2|{"pre":{"mean":[0.5,0.5,0.5],"size":260},"topK":5}');
  });

  it('another model revision or parameter gives another key; a URL without validators is refused', () => {
    const base = featureKeyOf(fixed)({ contentHash: 'abc' });
    expect(featureKeyOf({ ...fixed, models: ['b@3', 'a@1'] })({ contentHash: 'abc' })).not.toBe(base);
    expect(featureKeyOf({ ...fixed, params: { ...fixed.params, topK: 6 } })({ contentHash: 'abc' })).not.toBe(base);
    expect(() => featureKeyOf(fixed)({ url: 'https://x/y.jpg' })).toThrow(/ETag or Last-Modified/);
  });
});
