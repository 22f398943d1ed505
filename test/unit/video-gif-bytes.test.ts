// An animated GIF sent as a video by its bytes (a data: URI, a URL, the CLI's files): ffmpeg's gif
// demuxer seeks back after its probe, so from a pipe a GIF larger than the probe's read failed with
// "Input/output error" (held-out probe round 13c: a 2 s clip as a 230 KB GIF) — the bytes now go
// to a private temporary file, as an MP4 with its index last does. The GIF is made here with
// Debian's ffmpeg from a real Intel sample clip.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { VideoDecoder } from '../../src/features/media/video.js';
import { needsSeekableInput } from '../../src/features/media/video-frames.js';
import { DATA } from '../helpers/paths.js';

const CLIP = join(DATA, 'intel-sample-videos/clips/bottle-detection.mp4');
let dir: string;
const decoder = new VideoDecoder({ timeoutMs: 60_000 });

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'vlr-gif-bytes-'));
  execFileSync('ffmpeg', ['-y', '-v', 'error', '-i', CLIP, '-t', '2', '-vf', 'fps=5', join(dir, 'clip.gif')]);
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('an animated GIF as a video, from its bytes', () => {
  it('gives the frames it gives from its path', async () => {
    const file = join(dir, 'clip.gif');
    const bytes = readFileSync(file);
    expect(bytes.length).toBeGreaterThan(200_000);
    const fromPath = await decoder.sampleFrames({ path: file }, { fps: 1, maxFrames: 8 });
    const fromBytes = await decoder.sampleFrames(bytes, { fps: 1, maxFrames: 8 });
    expect(fromPath.probe.codec).toBe('gif');
    expect(fromBytes.times).toEqual([0.5, 1.5]);
    expect(fromBytes.frames.map((f) => f.data)).toEqual(fromPath.frames.map((f) => f.data));
    const strip = await decoder.strip(bytes, { frames: 2, height: 90 });
    expect(strip.subarray(0, 2)).toEqual(Buffer.from([0xff, 0xd8]));
    expect(needsSeekableInput(bytes)).toBe(true);
  });
});
