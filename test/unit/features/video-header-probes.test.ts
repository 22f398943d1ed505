/**
 * A local video's header is read (ffprobe) before admission to cost it by its length
 * (features/video-extractor.ts frameCount). That runs before a request is admitted or refused, so
 * a burst must not start a process per request: one read per file at a time (joined), four at
 * once process-wide, and past 16 waiting a video keeps its max_frames estimate at once. The
 * decoder is a fake named after the fault it plays (ffprobe hanging until released); the files are
 * real (their path, size and mtime key the remembered durations).
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { VideoExtractor, type VideoExtractorDeps } from '../../../src/features/video-extractor.js';

const dir = mkdtempSync(join(tmpdir(), 'vlr-probes-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const files = Array.from({ length: 24 }, (_, i) => {
  const p = join(dir, `clip-${i}.mp4`);
  writeFileSync(p, `not a real clip ${i}`);
  return p;
});

/** ffprobe hanging: each header read waits until the test releases it (duration 3 s). */
function hangingFfprobe() {
  const waiting: Array<() => void> = [];
  let running = 0;
  let most = 0;
  let calls = 0;
  const decoder = {
    probe: async () => {
      calls++;
      most = Math.max(most, ++running);
      await new Promise<void>((r) => waiting.push(r));
      running--;
      return { duration: 3 };
    },
  };
  return { decoder, release: () => waiting.splice(0).forEach((r) => r()), stats: () => ({ calls, most, waiting: waiting.length }) };
}

function extractor(decoder: unknown): VideoExtractor {
  const deps = { source: { localPath: async (ref: string) => ref }, decoder, media: { fps: 1, maxFrames: 32 } } as unknown as VideoExtractorDeps;
  return new VideoExtractor(deps);
}

const tick = () => new Promise((r) => setImmediate(r));

describe('video header reads before admission', () => {
  it('one read per file, joined by every caller of it', async () => {
    const f = hangingFfprobe();
    const x = extractor(f.decoder);
    const asks = Array.from({ length: 10 }, () => x.frameCount(files[0]!, {}));
    for (let i = 0; i < 6000 && f.stats().calls < 1; i++) await new Promise((r) => setTimeout(r, 5)); // the file's stat first (see below)
    for (let i = 0; i < 5; i++) await tick();
    expect(f.stats().calls).toBe(1);
    f.release();
    expect(await Promise.all(asks)).toEqual(Array(10).fill(3));
    // remembered: no read again
    expect(await x.frameCount(files[0]!, { maxFrames: 2 })).toBe(2);
    expect(f.stats().calls).toBe(1);
  });

  it('four processes at once; past 16 waiting, the estimate is kept without waiting', async () => {
    const f = hangingFfprobe();
    const x = extractor(f.decoder);
    const settled = new Set<number>();
    const asks = files.map((p, i) => x.frameCount(p, {}).finally(() => settled.add(i)));
    // each ask first looks at its file (a real stat on libuv's pool: its turn is not a fixed number
    // of ticks on a loaded machine), so wait — bounded — until the reads and the refusals settled
    for (let i = 0; i < 6000 && (f.stats().most < 4 || settled.size < files.length - 20); i++) await new Promise((r) => setTimeout(r, 5));
    for (let i = 0; i < 5; i++) await tick();
    expect(f.stats().most).toBe(4);
    // past 4 running and 16 waiting, the other distinct files were answered at once with no count (max_frames kept)
    const now = await Promise.all(asks.map((a) => Promise.race([a, tick().then(() => 'waiting' as const)])));
    expect(now.filter((v) => v === undefined)).toHaveLength(files.length - 20);
    expect(now.filter((v) => v === 'waiting')).toHaveLength(20);
    for (let i = 0; i < 10 && f.stats().waiting > 0; i++) {
      f.release();
      for (let j = 0; j < 5; j++) await tick();
    }
    const counts = await Promise.all(asks);
    expect(counts.filter((v) => v === 3)).toHaveLength(20);
    expect(f.stats().most).toBe(4);
    expect(f.stats().calls).toBe(20);
  });
});
