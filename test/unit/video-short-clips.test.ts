// A clip one frame long (a phone's "live photo" cut, a 1-frame export): every frame starts before the
// first target time (the middle of the clip), so the sampler's select kept none. Held-out probe
// round 13c: "video cannot be decoded: no frame could be read" (415) for a valid 1-frame MP4 and
// WebM, in the reranker and in the UI's strip — now the frame shown then, the first one.
// The files are made here with Debian's ffmpeg from a real Intel sample clip.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { VideoDecoder } from '../../src/features/media/video.js';
import { DATA } from '../helpers/paths.js';

const CLIP = join(DATA, 'intel-sample-videos/clips/bottle-detection.mp4');
let dir: string;
let firstFrame: Buffer;
const decoder = new VideoDecoder({ timeoutMs: 60_000 });
const mad = (a: Buffer, b: Buffer) => a.reduce((s, v, i) => s + Math.abs(v - b[i]!), 0) / a.length;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'vlr-short-clips-'));
  const ff = (...a: string[]) => execFileSync('ffmpeg', ['-y', '-v', 'error', ...a]);
  ff('-i', CLIP, '-frames:v', '1', '-c:v', 'libx264', '-crf', '12', '-an', join(dir, 'one.mp4'));
  ff('-i', CLIP, '-frames:v', '1', '-c:v', 'libvpx-vp9', '-crf', '12', '-b:v', '0', '-an', join(dir, 'one.webm'));
  firstFrame = ff('-i', CLIP, '-frames:v', '1', '-f', 'rawvideo', '-pix_fmt', 'rgb24', 'pipe:1');
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('a clip one frame long', () => {
  for (const file of ['one.mp4', 'one.webm']) {
    it(`${file}: its one frame, from bytes and from a path, at any fps`, async () => {
      for (const input of [readFileSync(join(dir, file)), { path: join(dir, file) }]) {
        for (const fps of [1, 4]) {
          const r = await decoder.sampleFrames(input, { fps, maxFrames: 8 });
          expect(r.probe.duration!).toBeLessThan(0.1);
          expect(r.frames).toHaveLength(1);
          expect(r.times).toHaveLength(1);
          expect([r.frames[0]!.width, r.frames[0]!.height]).toEqual([480, 270]);
          expect(mad(r.frames[0]!.data, firstFrame)).toBeLessThan(3); // the clip's first frame, re-encoded
        }
      }
    });
  }

  it('gets a thumbnail strip (the UI asks for 4 frames)', async () => {
    const jpeg = await decoder.strip(readFileSync(join(dir, 'one.mp4')), { frames: 4, height: 90 });
    const m = await sharp(jpeg).metadata();
    expect([m.format, m.height]).toEqual(['jpeg', 90]);
    expect(m.width).toBeGreaterThanOrEqual(160);
  });
});
