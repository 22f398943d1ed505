// The video strip (demo UI thumbnails): N frames evenly spaced over the clip, tiled left to right
// into one JPEG of the asked height, with the decoder's limits, time budget and errors.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { chmod, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { VideoDecoder } from '../../src/features/media/video.js';
import { DATA } from '../helpers/paths.js';
import { rejection } from '../helpers/errors.js';

const classroom = join(DATA, 'intel-sample-videos/clips/classroom.mp4');
const COLORS = { red: [255, 0, 0], lime: [0, 255, 0], blue: [0, 0, 255], white: [255, 255, 255] } as const;
let dir: string;
let fourColors: string;
let hangingFfmpeg: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'vlr-strip-'));
  // A 4 s clip, one solid colour per second: evenly spaced frames show each colour once, in order.
  fourColors = join(dir, 'four-colors.mp4');
  const inputs = Object.keys(COLORS).flatMap((c) => ['-f', 'lavfi', '-i', `color=c=${c}:s=64x48:r=10:d=1`]);
  execFileSync('ffmpeg', ['-v', 'error', ...inputs, '-filter_complex', 'concat=n=4:v=1', '-pix_fmt', 'yuv420p', fourColors]);
  // Fault fake: an "ffmpeg" that never exits, as a wedged decoder would.
  hangingFfmpeg = join(dir, 'hanging-ffmpeg');
  await writeFile(hangingFfmpeg, '#!/bin/sh\nexec sleep 600\n');
  await chmod(hangingFfmpeg, 0o755);
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('VideoDecoder.strip', () => {
  const decoder = new VideoDecoder({ timeoutMs: 30_000 });

  it('tiles N evenly spaced frames left to right into one JPEG of the asked height', async () => {
    const jpg = await decoder.strip({ path: fourColors }, { frames: 4, height: 48 });
    expect(jpg.subarray(0, 2).toString('hex')).toBe('ffd8');
    const { data, info } = await sharp(jpg).raw().toBuffer({ resolveWithObject: true });
    expect(info).toMatchObject({ width: 4 * 64, height: 48 });
    Object.values(COLORS).forEach((rgb, k) => {
      const at = (24 * info.width + k * 64 + 32) * info.channels; // centre of tile k
      const px = [data[at]!, data[at + 1]!, data[at + 2]!];
      px.forEach((v, c) => expect(Math.abs(v - rgb[c]!), `tile ${k} channel ${c}`).toBeLessThan(40));
    });
  });

  it('keeps each frame’s aspect ratio and reads bytes as well as paths', async () => {
    const probe = await decoder.probe({ path: classroom });
    const jpg = await decoder.strip(await readFile(classroom), { frames: 3, height: 60 });
    const meta = await sharp(jpg).metadata();
    expect(meta.height).toBe(60);
    expect(Math.abs(meta.width! - (3 * 60 * probe.width) / probe.height)).toBeLessThanOrEqual(6);
  });

  it('maps ffmpeg failures like the frame sampler: not a video, not installed, hung', async () => {
    expect((await rejection(decoder.strip(Buffer.from('definitely not a video'.repeat(100)), { frames: 4, height: 48 }))).code).toBe('VLR_MEDIA_UNSUPPORTED');
    const none = await rejection(new VideoDecoder({ ffprobePath: join(dir, 'no-such-ffprobe') }).strip({ path: classroom }, { frames: 4, height: 48 }));
    expect(none).toMatchObject({ code: 'VLR_MEDIA_UNSUPPORTED', status: 503 });
    const hung = new VideoDecoder({ ffprobePath: hangingFfmpeg, ffmpegPath: hangingFfmpeg, timeoutMs: 300 });
    expect(await rejection(hung.strip({ path: classroom }, { frames: 4, height: 48 }))).toMatchObject({ code: 'VLR_MEDIA_TIMEOUT', status: 504 });
  });

  it('refuses nonsense strip parameters before running anything', async () => {
    for (const o of [{ frames: 0, height: 48 }, { frames: 2.5, height: 48 }, { frames: 4, height: 0 }, { frames: 4, height: 48, quality: 99 }]) {
      expect((await rejection(decoder.strip({ path: classroom }, o))).code, JSON.stringify(o)).toBe('VLR_BAD_REQUEST');
    }
  });
});
