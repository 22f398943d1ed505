// Sampling real videos from ../shared/data/intel-sample-videos: frame counts at fps, max_frames
// resampling over the whole duration, frame sizes, and the same frames from bytes and from a path.
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { VideoDecoder } from '../../src/features/media/video.js';
import { frameSize, frameTimes, needsSeekableInput } from '../../src/features/media/video-frames.js';
import { preprocessImage } from '../../src/features/media/image.js';
import type { ImagePreprocess } from '../../src/models/preprocess.js';
import { DATA } from '../helpers/paths.js';

const V = join(DATA, 'intel-sample-videos');
const meta = readFileSync(join(V, 'videos.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { file: string; duration_s: number; width: number; height: number });
const decoder = new VideoDecoder({ timeoutMs: 60_000 });

describe('frameTimes', () => {
  it('takes one frame per 1/fps interval, at its middle', () => {
    expect(frameTimes(3, 1, 32)).toEqual([0.5, 1.5, 2.5]);
    expect(frameTimes(3, 2, 32)).toEqual([0.25, 0.75, 1.25, 1.75, 2.25, 2.75]);
    expect(frameTimes(0.4, 1, 32)).toEqual([0.2]); // always at least one frame
  });
  it('spreads max_frames uniformly over the whole duration when fps would give more', () => {
    const t = frameTimes(40, 1, 8);
    expect(t).toHaveLength(8);
    expect(t[0]).toBeCloseTo(2.5, 6);
    expect(t[7]).toBeCloseTo(37.5, 6);
    const gaps = t.slice(1).map((x, i) => x - t[i]!);
    for (const g of gaps) expect(g).toBeCloseTo(5, 6);
  });
  it('scales frames down to a shorter side, never up', () => {
    expect(frameSize(640, 480, 448)).toEqual({ width: 597, height: 448 });
    expect(frameSize(480, 270, 448)).toEqual({ width: 480, height: 270 });
  });
});

describe('VideoDecoder.sampleFrames', () => {
  it('samples ASL clips (mkv) at 1 and 2 fps: floor(duration·fps) frames of the right size', async () => {
    for (const name of ['thanks', 'book', 'walk']) {
      const m = meta.find((x) => x.file.endsWith(`${name}.mkv`))!;
      for (const fps of [1, 2]) {
        const r = await decoder.sampleFrames(readFileSync(join(V, m.file)), { fps, maxFrames: 32 });
        expect(r.probe.duration!).toBeCloseTo(m.duration_s, 1);
        expect(r.frames).toHaveLength(Math.max(1, Math.floor(r.probe.duration! * fps)));
        for (const f of r.frames) {
          expect([f.width, f.height]).toEqual([597, 448]); // 640×480 scaled to a 448 shorter side
          expect(f.data.length).toBe(597 * 448 * 3);
        }
      }
    }
  });

  it('caps a 30 s video at max_frames, spread over the whole duration', async () => {
    const r = await decoder.sampleFrames({ path: join(V, 'full/car-detection.mp4') }, { fps: 1, maxFrames: 6 });
    expect(r.probe.duration!).toBeGreaterThan(29);
    expect(r.frames).toHaveLength(6);
    expect(r.times[0]!).toBeCloseTo(r.probe.duration! / 12, 3);
    expect(r.times[5]!).toBeGreaterThan(r.probe.duration! * 0.9);
    // the frames really differ over time (cars move): not six copies of one frame
    const diff = (a: Buffer, b: Buffer) => { let s = 0; for (let i = 0; i < a.length; i += 97) s += Math.abs(a[i]! - b[i]!); return s / (a.length / 97); };
    expect(diff(r.frames[0]!.data, r.frames[5]!.data)).toBeGreaterThan(3);
  });

  it('decodes the same frames from bytes on stdin and from a path', async () => {
    const file = join(V, 'clips/classroom.mp4');
    const a = await decoder.sampleFrames(readFileSync(file), { fps: 1, maxFrames: 4 });
    const b = await decoder.sampleFrames({ path: file }, { fps: 1, maxFrames: 4 });
    expect(a.frames).toHaveLength(3);
    expect(a.times).toEqual(b.times);
    a.frames.forEach((f, i) => expect(f.data.equals(b.frames[i]!.data)).toBe(true));
  });

  it('handles an MP4 whose index follows its data (needs seeking) from bytes', async () => {
    const buf = readFileSync(join(V, 'full/bottle-detection.mp4'));
    expect(needsSeekableInput(buf)).toBe(true);
    expect(needsSeekableInput(readFileSync(join(V, 'clips/classroom.mp4')))).toBe(false);
    const r = await decoder.sampleFrames(buf, { fps: 0.25, maxFrames: 4 });
    expect(r.frames).toHaveLength(4);
    expect([r.frames[0]!.width, r.frames[0]!.height]).toEqual([640, 360]);
  });

  it('gives frames that preprocessImage accepts', async () => {
    const spec: ImagePreprocess = { width: 260, height: 260, resize: 'shortest-crop', resizeShortest: 297, interpolation: 'bicubic', channelOrder: 'rgb', rescale: 1, mean: [127, 127, 127], std: [128, 128, 128] };
    const r = await decoder.sampleFrames(readFileSync(join(V, 'clips/store-aisle-detection.mp4')), { fps: 1, maxFrames: 2 });
    const p = await preprocessImage(r.frames[0]!, spec);
    expect(p.dims).toEqual([3, 260, 260]);
    expect(p.original).toEqual({ width: r.frames[0]!.width, height: r.frames[0]!.height });
  });
});
