// The frames sampleFrames returns are the frames shown at their reported times: each one matches
// a frame that ffmpeg extracts on its own with an accurate seek to that time, and not its neighbours.
import { describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { VideoDecoder } from '../../src/features/media/video.js';
import { DATA } from '../helpers/paths.js';

const file = join(DATA, 'intel-sample-videos/clips/store-aisle-detection.mp4');

/** One frame at time t (first frame at or after t), by an independent ffmpeg run. */
function frameAt(t: number, w: number, h: number): Buffer {
  return execFileSync('ffmpeg', ['-v', 'error', '-ss', String(t), '-i', file, '-frames:v', '1', '-vf', `scale=${w}:${h}:flags=area,format=rgb24`, '-f', 'rawvideo', 'pipe:1'], { maxBuffer: 64 << 20 });
}

function meanAbsDiff(a: Buffer, b: Buffer): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += Math.abs(a[i]! - b[i]!);
  return s / a.length;
}

describe('frame timing', () => {
  it('returns the frame at each reported time', async () => {
    const r = await new VideoDecoder().sampleFrames({ path: file }, { fps: 1, maxFrames: 8 });
    expect(r.frames.length).toBeGreaterThanOrEqual(3);
    r.frames.forEach((f, i) => {
      const t = r.times[i]!;
      const same = meanAbsDiff(f.data, frameAt(t, f.width, f.height));
      const before = meanAbsDiff(f.data, frameAt(Math.max(0, t - 0.5), f.width, f.height));
      const after = meanAbsDiff(f.data, frameAt(t + 0.4, f.width, f.height));
      expect(same).toBeLessThan(1);
      expect(same).toBeLessThan(before);
      expect(same).toBeLessThan(after);
    });
  });
});
