// A local long video is handed to ffmpeg as the file it is — opened after the media roots' checks
// (O_NOFOLLOW) and passed as ffmpeg's descriptor 3 — instead of being read whole into memory and
// copied to a private temporary file to be sought (held-out probe round 22d: the 2-hour video held
// 67 MB and wrote 67 MB per decode). The proof that nothing is copied: a TMPDIR that does not exist
// (a read-only container without an emptyDir) — the copy failed there with VLR_CONFIG_INVALID.
// The roots still hold: a symlink out of them is refused. Real ffmpeg, real models; the long clip
// is an Intel clip looped with ffmpeg (stream copy: its index after its data, so it must be sought).
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, expect, it } from 'vitest';
import { mediaSchema } from '../../src/config/schema.js';
import { FeatureExtractor } from '../../src/features/extractor.js';
import { Models } from '../../src/models/index.js';
import { rejection } from '../helpers/errors.js';
import { modelsConfig } from '../helpers/models.js';
import { DATA } from '../helpers/paths.js';

const CLIP = join(DATA, 'intel-sample-videos/clips/bottle-detection.mp4');
let dir: string;
let root: string;
let models: Models;
let fx: FeatureExtractor;
const saved = process.env.TMPDIR;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'vlr-local-video-'));
  root = join(dir, 'root');
  execFileSync('mkdir', [root]);
  execFileSync('ffmpeg', ['-y', '-v', 'error', '-stream_loop', '-1', '-i', CLIP, '-t', '1200', '-c', 'copy', '-an', join(root, 'long.mp4')]);
  symlinkSync(CLIP, join(root, 'outside.mp4'));
  models = await Models.create(modelsConfig());
  fx = await FeatureExtractor.create(models, { media: mediaSchema.parse({ roots: [root], maxVideoSeconds: 7200 }), cacheMaxBytes: 64 << 20, ocrId: null });
}, 120_000);
afterEach(() => {
  if (saved === undefined) delete process.env.TMPDIR;
  else process.env.TMPDIR = saved;
});
afterAll(async () => {
  await fx?.close();
  await models?.close();
  rmSync(dir, { recursive: true, force: true });
});

it('a 20-minute local video whose index follows its data is sampled with no temporary copy (TMPDIR missing)', { timeout: 180_000 }, async () => {
  process.env.TMPDIR = join(dir, 'no-such-folder');
  const r = await fx.video('long.mp4', { fps: 1, maxFrames: 8, detect: false });
  expect(r.duration).toBeGreaterThan(1199);
  expect(r.frames).toHaveLength(8);
  expect(r.times[7]).toBeGreaterThan(1000); // sought over the whole clip
  // stored under the file's content hash, as when its bytes were read
  expect(r.contentHash).toBe(createHash('sha256').update(readFileSync(join(root, 'long.mp4'))).digest('hex'));
  // the same clip sent as bytes still needs the copy: the folder really is unusable here
  const e = await rejection(fx.videoDecoder.sampleFrames(readFileSync(join(root, 'long.mp4')), { maxFrames: 2 }));
  expect(e.code).toBe('VLR_CONFIG_INVALID');
});

it('a symlink out of the media roots is still refused', async () => {
  const e = await rejection(fx.video('outside.mp4', { detect: false }));
  expect(e.code).toBe('VLR_MEDIA_FORBIDDEN');
});
