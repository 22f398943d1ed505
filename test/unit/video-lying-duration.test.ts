// A video's frames are spread over the video stream's own duration, not the container's: an MP4
// whose header (mvhd/tkhd) claims 500 s or 10 h over 3 s of frames, and a 5 s clip muxed with 60 s
// of audio. Held-out probe round 8b: the 500 s one gave "no frame could be read", the 10 h one was
// refused as over media.maxVideoSeconds, the long-audio one got 3 frames where its 5 s give 5.
// The files are made here with Debian's ffmpeg from a real Intel sample clip.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { VideoDecoder } from '../../src/features/media/video.js';
import { DATA } from '../helpers/paths.js';

const CLIP = join(DATA, 'intel-sample-videos/clips/car-detection.mp4');
let dir: string;
const decoder = new VideoDecoder({ timeoutMs: 60_000 });

/** The same bytes with the movie and track headers (version 0 boxes) claiming `seconds`. */
function claimDuration(mp4: Buffer, seconds: number): Buffer {
  const b = Buffer.from(mp4);
  const mvhd = b.indexOf('mvhd');
  const timescale = b.readUInt32BE(mvhd + 16);
  b.writeUInt32BE(timescale * seconds, mvhd + 20);
  b.writeUInt32BE(timescale * seconds, b.indexOf('tkhd') + 24);
  return b;
}

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'vlr-lying-duration-'));
  const ff = (...a: string[]) => execFileSync('ffmpeg', ['-y', '-v', 'error', ...a]);
  ff('-i', CLIP, '-t', '3', '-c', 'copy', '-movflags', '+faststart', join(dir, 'clip3s.mp4'));
  ff('-i', CLIP, '-f', 'lavfi', '-i', 'sine=d=60', '-map', '0:v', '-map', '1:a', '-c:v', 'copy', '-c:a', 'aac', '-movflags', '+faststart', join(dir, 'long-audio.mp4'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('a container duration that is not the video stream\'s', () => {
  it('a header claiming 500 s over 3 s of frames: the 3 s are sampled', async () => {
    const bytes = claimDuration(readFileSync(join(dir, 'clip3s.mp4')), 500);
    const r = await decoder.sampleFrames(bytes, { fps: 1, maxFrames: 16 });
    expect(r.probe.duration!).toBeLessThan(4);
    expect(r.frames).toHaveLength(3);
    expect(r.times).toEqual([0.5, 1.5, 2.5]);
  });

  it('a header claiming 10 h over 3 s of frames is not refused as too long', async () => {
    const bytes = claimDuration(readFileSync(join(dir, 'clip3s.mp4')), 36_000);
    const r = await decoder.sampleFrames(bytes, { fps: 1, maxFrames: 16 });
    expect(r.frames).toHaveLength(3);
  });

  it('a 5 s clip with 60 s of audio: frames over its 5 s of video', async () => {
    const r = await decoder.sampleFrames({ path: join(dir, 'long-audio.mp4') }, { fps: 1, maxFrames: 32 });
    expect(r.probe.duration!).toBeCloseTo(5.17, 1);
    expect(r.frames).toHaveLength(5);
  });
});
