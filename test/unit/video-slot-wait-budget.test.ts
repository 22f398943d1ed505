/**
 * A video's time limit (`media.videoTimeoutMs`) runs from when it gets an ffmpeg slot, not from
 * when it was asked: the wait is bounded by the caller's own signal (held-out probe round 22d: a
 * backfill of 50 half-hour videos failed 40 as VLR_MEDIA_TIMEOUT — they had waited their 60 s for a
 * slot and were refused before ffmpeg started; an ingest or a bench over many clips did the same).
 * Real ffmpeg; the only slot is held by a probe of a FIFO nobody writes to until that probe's own
 * limit kills it, so the clip queued behind it has waited the whole limit when its turn comes.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { VideoDecoder } from '../../src/features/media/video.js';
import { rejection } from '../helpers/errors.js';

let dir: string;
let clip: string;
let fifo: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'vlr-slot-wait-'));
  clip = join(dir, 'clip.mp4');
  execFileSync('ffmpeg', ['-v', 'error', '-f', 'lavfi', '-i', 'color=c=red:s=64x48:r=10:d=1', '-pix_fmt', 'yuv420p', clip]);
  fifo = join(dir, 'nobody-writes.mp4');
  execFileSync('mkfifo', [fifo]);
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('the video time limit and the ffmpeg slot queue', () => {
  it('gives a clip that waited for its slot the whole limit once it has one', async () => {
    const decoder = new VideoDecoder({ maxConcurrent: 1, timeoutMs: 4_000 });
    const held = rejection(decoder.sampleFrames({ path: fifo }, { maxFrames: 1 }));
    const queued = decoder.sampleFrames({ path: clip }, { fps: 4, maxFrames: 4 });
    // the holder is killed at its own limit (ffprobe never got a byte)
    expect((await held).code).toBe('VLR_MEDIA_TIMEOUT');
    const r = await queued;
    expect(r.frames.length).toBe(4);
    expect(r.frames[0]!.width).toBe(64);
  });

  it('still bounds the wait by the caller: an abort while queued is ffmpeg’s abort error', async () => {
    const decoder = new VideoDecoder({ maxConcurrent: 1, timeoutMs: 60_000 });
    const holder = new AbortController();
    const held = rejection(decoder.sampleFrames({ path: fifo }, { maxFrames: 1, signal: holder.signal }));
    const caller = new AbortController();
    const queued = rejection(decoder.sampleFrames({ path: clip }, { maxFrames: 1, signal: caller.signal }));
    caller.abort(new Error('the search budget ran out'));
    const e = await queued;
    expect(e.code).toBe('VLR_MEDIA_TIMEOUT');
    expect(e.message).toMatch(/aborted/);
    holder.abort();
    await held;
  });
});
