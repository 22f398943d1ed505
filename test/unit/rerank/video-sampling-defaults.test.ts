/**
 * The video sampling defaults (1 frame a second, at most 32) are spelt once, beside the media
 * settings (config/schema.ts `VIDEO_SAMPLING`), fix20a: admission's cost (twice), the rerank
 * request stage, the reranker's record sampling and the decoder each wrote `?? 1` / `?? 32` out,
 * so changing the default in one place would have costed, sampled and recorded clips differently.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { configSchema, VIDEO_SAMPLING } from '../../../src/config/schema.js';
import { requestCost } from '../../../src/rerank/admission-cost.js';
import { videoSamplingOf } from '../../../src/rerank/options.js';
import type { NormalizedInput } from '../../../src/rerank/types.js';
import { REPO_ROOT } from '../../helpers/paths.js';

describe('video sampling defaults', () => {
  it('the configuration defaults are the constant', () => {
    const media = configSchema.parse({}).media;
    expect({ fps: media.fps, maxFrames: media.maxFrames }).toEqual(VIDEO_SAMPLING);
  });

  it('a request\u2019s sampling, else the reranker\u2019s, else the defaults', () => {
    expect(videoSamplingOf({}, {})).toEqual(VIDEO_SAMPLING);
    expect(videoSamplingOf({}, { fps: 2, maxFrames: 8 })).toEqual({ fps: 2, maxFrames: 8 });
    expect(videoSamplingOf({ maxFrames: 4 }, { fps: 2, maxFrames: 8 })).toEqual({ fps: 2, maxFrames: 4 });
  });

  it('admission costs an unknown clip at the default max frames: the same cost as when it is set to them', () => {
    const req = { query: { text: 'a dog' }, documents: [{ video: 'clip.mp4' }] } as unknown as NormalizedInput;
    expect(requestCost(req, {})).toBe(requestCost(req, { maxFrames: VIDEO_SAMPLING.maxFrames }));
    expect(requestCost(req, {})).toBeGreaterThan(requestCost(req, { maxFrames: 1 }));
  });

  it('no other file spells them out', () => {
    const spelt = /(?:fps \?\? 1\b|(?:maxFrames|max_frames) \?\? 32\b)/;
    const files = ['src/rerank/admission-cost.ts', 'src/rerank/stages/request.ts', 'src/rerank/reranker.ts', 'src/features/media/video.ts'];
    const found = files.flatMap((f) => readFileSync(join(REPO_ROOT, f), 'utf8').split('\n').flatMap((line, i) => (spelt.test(line) ? [`${f}:${i + 1}`] : [])));
    expect(found).toEqual([]);
  });
});
