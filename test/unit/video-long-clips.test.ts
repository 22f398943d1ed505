// A long clip (a phone's 10-minute video) under the max_frames cap: the frames were picked by one
// ffmpeg run decoding the whole clip through a select filter, so the cost followed the clip's
// length, not the frames taken. Held-out probe round 13c: a 590 s 1080p30 clip took 93 s for 16
// frames (past the default 60 s media.videoTimeoutMs: refused), now ~9 s — each target is sought.
// The clip is made here with Debian's ffmpeg by looping a real Intel sample clip (stream copy);
// ffmpeg is the real one behind a wrapper that writes down each command line.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { VideoDecoder } from '../../src/features/media/video.js';
import { frameTimes } from '../../src/features/media/video-frames.js';
import { DATA } from '../helpers/paths.js';

const CLIP = join(DATA, 'intel-sample-videos/clips/bottle-detection.mp4'); // 3.000 s, 45 frames at 15 fps, 480×270
let dir: string;
let long: string;
let log: string;
let decoder: VideoDecoder;
const ff = (...a: string[]) => execFileSync('ffmpeg', ['-y', '-v', 'error', ...a], { maxBuffer: 1 << 26 });
const mad = (a: Buffer, b: Buffer) => a.reduce((s, v, i) => s + Math.abs(v - b[i]!), 0) / a.length;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'vlr-long-clips-'));
  long = join(dir, 'long.mp4');
  ff('-stream_loop', '200', '-i', CLIP, '-t', '590', '-c', 'copy', '-an', long);
  log = join(dir, 'ffmpeg.log');
  const spy = join(dir, 'ffmpeg');
  writeFileSync(spy, `#!/bin/sh\nprintf '%s\\n' "$*" >> '${log}'\nexec ffmpeg "$@"\n`);
  chmodSync(spy, 0o755);
  decoder = new VideoDecoder({ ffmpegPath: spy, timeoutMs: 120_000 });
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** The frame `select` keeps for target t in the looped clip: the original's first frame at or after t mod 3 s. */
function expectedFrame(t: number): Buffer {
  const local = (t % 3).toFixed(6);
  return ff('-i', CLIP, '-vf', `select='gte(t\\,${local})'`, '-frames:v', '1', '-f', 'rawvideo', '-pix_fmt', 'rgb24', 'pipe:1');
}

describe('a 10-minute clip sampled under the max_frames cap', () => {
  it('takes the same frames as decoding it through, by seeking to each (from a path and from bytes)', async () => {
    for (const input of [{ path: long }, readFileSync(long)]) {
      writeFileSync(log, '');
      const r = await decoder.sampleFrames(input, { fps: 1, maxFrames: 8 });
      expect(r.probe.duration!).toBeGreaterThan(589);
      expect(r.times).toEqual(frameTimes(r.probe.duration!, 1, 8));
      expect(r.frames).toHaveLength(8);
      r.times.forEach((t, i) => expect(mad(r.frames[i]!.data, expectedFrame(t))).toBeLessThan(0.5));
      // no ffmpeg run decoded the clip through: each one started at a target time
      const runs = readFileSync(log, 'utf8').trim().split('\n');
      expect(runs).toHaveLength(8);
      for (const run of runs) expect(run).toMatch(/ -ss \d+\.\d+ .* -frames:v 1 /);
    }
  });

  it("makes the UI's strip by seeking too: one ffmpeg run, each frame on its own input (was 504 at 60 s for a 1080p one)", async () => {
    for (const input of [{ path: long }, readFileSync(long)]) {
      writeFileSync(log, '');
      const jpeg = await decoder.strip(input, { frames: 4, height: 90 });
      const m = await sharp(jpeg).metadata();
      expect([m.format, m.width, m.height]).toEqual(['jpeg', 4 * 160, 90]);
      const runs = readFileSync(log, 'utf8').trim().split('\n');
      expect(runs).toHaveLength(1);
      expect(runs[0]!.match(/ -ss \d+\.\d+ /g)).toHaveLength(4);
      // the four tiles are the clip at four times, as the select-made strip of the same times shows them
      const tiles = await Promise.all([0, 1, 2, 3].map((i) => sharp(jpeg).extract({ left: i * 160, top: 0, width: 160, height: 90 }).raw().toBuffer()));
      const duration = (await decoder.probe({ path: long })).duration!;
      const times = frameTimes(duration, 4 / duration, 4);
      for (const [i, t] of times.entries()) {
        const want = await sharp(expectedFrame(t), { raw: { width: 480, height: 270, channels: 3 } }).resize(160, 90).raw().toBuffer();
        expect(mad(tiles[i]!, want)).toBeLessThan(8);
      }
    }
  });

  it('still decodes a short clip in one run (targets 1 s apart)', async () => {
    writeFileSync(log, '');
    const r = await decoder.sampleFrames({ path: CLIP }, { fps: 1, maxFrames: 8 });
    expect(r.times).toEqual([0.5, 1.5, 2.5]);
    expect(readFileSync(log, 'utf8').trim().split('\n')).toHaveLength(1);
  });
});
