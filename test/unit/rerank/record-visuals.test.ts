/**
 * `recordVisuals` (records/use.ts): the visual features a carried record holds for ingest's kNN
 * vectors (fix18) — only from a part made under the running keys (a video's with ingest's
 * sampling) from this very media reference, with vectors that decode; anything else is undefined,
 * so the vectors are computed.
 */
import { describe, expect, it } from 'vitest';
import { contentId, encodeVisual, RECORD_SCHEMA_VERSION, type FeatureRecord } from '../../../src/features/record/index.js';
import type { RecordKeys } from '../../../src/rerank/records/keys.js';
import { recordVisuals } from '../../../src/rerank/records/use.js';

const unit = (dim: number, seed: number) => {
  const v = Float32Array.from({ length: dim }, (_, i) => Math.sin(seed + i));
  const n = Math.hypot(...v);
  return v.map((x) => x / n);
};
const frame = (seed: number) => encodeVisual({ embedding: unit(16, seed), passage: unit(8, seed + 1), passageText: 'a photo', bridge: unit(8, seed + 2), concepts: ['apple'] });
const keys: RecordKeys = { text: 'T', textFor: () => 'T', image: 'I', video: (fps, mf) => `V${fps}/${mf}`, textDim: 8 };
const record: FeatureRecord = {
  v: RECORD_SCHEMA_VERSION,
  image: { k: 'I', r: contentId('/photos/a.jpg'), ...frame(1) },
  video: { k: 'V1/16', r: contentId('/clips/c.mp4'), fps: 1, mf: 16, t: [0, 1], f: [frame(2), frame(3)] },
};
const sampling = { fps: 1, maxFrames: 16 };

describe('the visual features a carried record holds for ingest', () => {
  it('an image or a video part of the running keys and of this very media', () => {
    const im = recordVisuals(record, '/photos/a.jpg', 'image', keys, sampling)!;
    expect(im).toHaveLength(1);
    expect(im[0]!.embedding).toHaveLength(16);
    expect(im[0]!.bridge).toHaveLength(8);
    expect(recordVisuals(record, '/clips/c.mp4', 'video', keys, sampling)).toHaveLength(2);
  });
  it('none from another photo, other keys, other sampling, a malformed vector or no record', () => {
    expect(recordVisuals(record, '/photos/b.jpg', 'image', keys, sampling)).toBeUndefined();
    expect(recordVisuals(record, '/photos/a.jpg', 'image', { ...keys, image: 'other' }, sampling)).toBeUndefined();
    expect(recordVisuals(record, '/clips/c.mp4', 'video', keys, { fps: 1, maxFrames: 32 })).toBeUndefined();
    expect(recordVisuals({ ...record, image: { ...record.image!, e: 'AAAA' } }, '/photos/a.jpg', 'image', keys, sampling)).toBeUndefined();
    expect(recordVisuals({ ...record, image: { ...record.image!, br: frame(4).e } }, '/photos/a.jpg', 'image', keys, sampling)).toBeUndefined();
    expect(recordVisuals(undefined, '/photos/a.jpg', 'image', keys, sampling)).toBeUndefined();
    expect(recordVisuals({ v: 99 }, '/photos/a.jpg', 'image', keys, sampling)).toBeUndefined();
  });
});
