/**
 * Videos with Debian's ffmpeg/ffprobe, spawned directly (no shell, no wrapper library): probe the
 * duration and size, choose frame times (`fps`, capped by `maxFrames` with uniform resampling over
 * the whole duration, as Qwen3-VL's video reader does), and decode exactly those frames straight to
 * raw RGB on a pipe, scaled down on the way, ready for `preprocessImage`. For people rather than
 * models, `strip()` tiles N evenly spaced frames into one JPEG (the demo UI's video thumbnails).
 *
 * Bytes go in on stdin; only an MP4/MOV whose index (`moov`) sits after its data needs a seekable
 * input, and only then is a private temporary file written (and removed). A local file comes as a
 * path or as an open file (descriptor 3 of each run): read by ffmpeg itself, neither held nor copied. Limits: bytes, duration,
 * pixels, wall time (the process is SIGKILLed on time-out or abort: never a hung ffmpeg), output size.
 * ffmpeg failures become VlrerankErrors in ffmpeg.ts (one place).
 * Never fetches: it gets bytes or a path that source.ts / local.ts already vetted.
 */
import { VIDEO_SAMPLING, type Config } from '../../config/schema.js';
import { vlrError } from '../../errors.js';
import { CHILD_FD, run, translateFfmpegFailure, type RunResult } from './ffmpeg.js';
import type { DecodedImage } from './image.js';
import { Semaphore } from '../../util/semaphore.js';
import { withPrivateFile } from './temp-dir.js';
import { frameSchedule, frameSize, needsSeekableInput, readRotation, selectAt } from './video-frames.js';
import { DEMUXERS, FIRST_FRAME, SEEK_PERIOD, frameArgs, seekStripArgs } from './video-args.js';

export interface VideoLimits {
  ffmpegPath: string;
  ffprobePath: string;
  maxBytes: number;
  maxSeconds: number;
  /** Largest width×height of a frame. */
  maxPixels: number;
  /** Wall time for probe + decode together. */
  timeoutMs: number;
  /** ffmpeg processes allowed at once (each already uses several threads). */
  maxConcurrent?: number;
}

export const DEFAULT_VIDEO_LIMITS: VideoLimits = {
  ffmpegPath: 'ffmpeg',
  ffprobePath: 'ffprobe',
  maxBytes: 256 * 1024 * 1024,
  maxSeconds: 600,
  maxPixels: 50_000_000,
  timeoutMs: 60_000,
  maxConcurrent: 2,
};

/** The decoder's limits from the media configuration (`media.*`). */
export function videoLimits(m: Config['media']): VideoLimits {
  return { ffmpegPath: m.ffmpegPath, ffprobePath: m.ffprobePath, maxBytes: m.maxVideoBytes, maxSeconds: m.maxVideoSeconds, maxPixels: m.maxPixels, timeoutMs: m.videoTimeoutMs };
}

/** Decodes whose cost a frame had are kept for `decodeFloorMs`. */
const RECENT_RUNS = 16;

/**
 * The clip's bytes, a path, or an open file (`fd`: a local file opened after the media roots'
 * checks, source.ts openLocal) that each ffmpeg run gets as its descriptor 3 and opens anew as
 * `/dev/fd/3` — the same file, seekable, never read into memory nor copied.
 */
export type VideoInput = Buffer | { path: string } | { fd: number };

/** Where ffmpeg reads the clip from: `arg` its -i, with the bytes for its stdin or the file for its descriptor 3. */
type Src = { arg: string; stdin?: Buffer; fd?: number };

export interface VideoProbe {
  /** Seconds; undefined when the container does not say (live-recorded WebM). */
  duration?: number;
  /** Display size (rotation applied). */
  width: number;
  height: number;
  codec: string;
  format: string;
  /** Average frame rate, when known. */
  fps?: number;
  rotation: number;
}

export interface SampleOptions {
  /** Frames per second to sample (default 1). */
  fps?: number;
  /** Cap; beyond it the frames are spread uniformly over the duration. */
  maxFrames?: number;
  /** Frames are scaled down (never up) so that their shorter side is at most this (default 448). */
  shortestSide?: number;
  signal?: AbortSignal;
  /** Told how many frames will be decoded once the header is read, before decoding (admission's cost, rerank/admission-cost.ts). */
  onSchedule?: (frames: number) => void;
}

export interface StripOptions {
  /** How many frames, evenly spaced over the clip (at the middle of as many equal intervals). */
  frames: number;
  /** Height of the strip in pixels; each frame keeps its aspect ratio. */
  height: number;
  /** JPEG quality as ffmpeg's -q:v, 2 (best) … 31 (default 5). */
  quality?: number;
  signal?: AbortSignal;
}

export interface SampledVideo {
  frames: DecodedImage[];
  /** Target time of each frame in seconds (the frame shown at that time). */
  times: number[];
  probe: VideoProbe;
}

// ---------------------------------------------------------------------------------------------
export class VideoDecoder {
  readonly limits: VideoLimits;
  readonly #slots: Semaphore;

  /** Wall time (ms) a sampled frame cost in each of the last RECENT_RUNS decodes (either way: sought or decoded through). */
  readonly #msPerFrame: number[] = [];

  constructor(limits: Partial<VideoLimits> = {}) {
    this.limits = { ...DEFAULT_VIDEO_LIMITS, ...limits };
    this.#slots = new Semaphore(this.limits.maxConcurrent ?? 2);
  }

  /**
   * The least wall time (ms) decoding `frames` frames would take now, all slots busy with it: the
   * cheapest cost a frame had in the last RECENT_RUNS decodes × frames ÷ slots — a floor (queueing and probing left out),
   * so that a rerank call refused by it could not have been read in time (rerank/admission-cost.ts).
   * Undefined before any video was decoded.
   */
  decodeFloorMs(frames: number): number | undefined {
    // the cheapest of the recent runs: a short clip's few frames carry a whole ffmpeg start each, a
    // floor must not take them for what a frame costs (an over-estimate would refuse a call that fits)
    return this.#msPerFrame.length ? (frames * Math.min(...this.#msPerFrame)) / (this.limits.maxConcurrent ?? 2) : undefined;
  }

  #measured(ms: number, frames: number): void {
    if (frames < 1) return;
    this.#msPerFrame.push(ms / frames);
    if (this.#msPerFrame.length > RECENT_RUNS) this.#msPerFrame.shift();
  }

  /** Probe only (duration, size, codec). */
  async probe(input: VideoInput, signal?: AbortSignal): Promise<VideoProbe> {
    this.#checkBytes(input);
    return this.#withInput(input, (src) => this.#probe(src, performance.now() + this.limits.timeoutMs, signal));
  }

  /** Probe, choose frame times, decode those frames to RGB. */
  async sampleFrames(input: VideoInput, options: SampleOptions = {}): Promise<SampledVideo> {
    const fps = options.fps ?? VIDEO_SAMPLING.fps;
    const maxFrames = options.maxFrames ?? VIDEO_SAMPLING.maxFrames;
    if (!(fps > 0) || !Number.isFinite(fps)) throw vlrError('VLR_BAD_REQUEST', `fps must be a positive number, got ${fps}`);
    if (!Number.isInteger(maxFrames) || maxFrames < 1) throw vlrError('VLR_BAD_REQUEST', `max_frames must be a positive integer, got ${maxFrames}`);
    this.#checkBytes(input);
    return this.#inSlot(options.signal, (deadline) =>
      this.#withInput(input, async (src) => {
        const probe = await this.#probe(src, deadline, options.signal);
        const size = frameSize(probe.width, probe.height, options.shortestSide ?? 448);
        // Unknown duration: sample at fps from the start, at most maxFrames (and at most maxSeconds).
        const { times, period } = frameSchedule(probe.duration ?? Math.min(this.limits.maxSeconds, maxFrames / fps), fps, maxFrames);
        options.onSchedule?.(times.length);
        // Targets far apart (a long clip under the maxFrames cap): seek to each, so the cost follows
        // the frames taken, not the clip's length — a 10-minute 1080p phone clip decoded whole took
        // 93 s for 16 frames, past the 60 s budget (held-out probe round 13c); seeking, ~9 s.
        const t = performance.now();
        if (period >= SEEK_PERIOD && times.length > 1) {
          const frames = await this.#asFile(src, (file) => this.#seekEach(file, times, size, deadline, options.signal));
          this.#measured(performance.now() - t, frames.length);
          if (frames.length > 0) return { frames: frames.map((f) => f.frame), times: frames.map((f) => f.time), probe };
        }
        const frames = await this.#decode(src, times, period, size, deadline, options.signal);
        this.#measured(performance.now() - t, frames.length);
        return { frames, times: times.slice(0, frames.length), probe };
      }),
    );
  }

  /**
   * `frames` frames evenly spaced over the clip, each scaled to `height`, tiled left to right into
   * one JPEG. Same limits, time budget, concurrency slots and errors as sampleFrames.
   */
  async strip(input: VideoInput, options: StripOptions): Promise<Buffer> {
    const { frames: n, height } = options;
    const quality = options.quality ?? 5;
    if (!Number.isInteger(n) || n < 1 || n > 64) throw vlrError('VLR_BAD_REQUEST', `strip frames must be an integer from 1 to 64, got ${n}`);
    if (!Number.isInteger(height) || height < 2 || height > 2048) throw vlrError('VLR_BAD_REQUEST', `strip height must be an integer from 2 to 2048, got ${height}`);
    if (!Number.isInteger(quality) || quality < 2 || quality > 31) throw vlrError('VLR_BAD_REQUEST', `strip quality must be an integer from 2 to 31, got ${quality}`);
    this.#checkBytes(input);
    return this.#inSlot(options.signal, (deadline) =>
      this.#withInput(input, async (src) => {
        const probe = await this.#probe(src, deadline, options.signal);
        // Unknown duration (live-recorded WebM): one frame a second from the start.
        const duration = probe.duration ?? n;
        const { times, period } = frameSchedule(duration, n / duration, n);
        const width = Math.max(2, 2 * Math.round((probe.width * height) / probe.height / 2));
        const output = ['-f', 'image2pipe', '-vcodec', 'mjpeg', '-q:v', String(quality), 'pipe:1'];
        // a JPEG is never larger than the raw pixels it holds
        const ok = (r: RunResult) => {
          if (r.code !== 0) throw translateFfmpegFailure('ffmpeg', r);
          return r.stdout;
        };
        const at = { deadline, signal: options.signal, maxStdout: times.length * width * height * 3 + 65_536, tool: 'ffmpeg' };
        if (period >= SEEK_PERIOD && times.length > 1) {
          // targets far apart (a long clip): each frame sought, as sampleFrames does
          const jpeg = ok(await this.#asFile(src, (file) => run(this.limits.ffmpegPath, seekStripArgs(file.arg, times, height, output), { ...at, fd: file.fd })));
          if (jpeg.length > 0) return jpeg;
        }
        const strip = async (select: string, tiles: number) =>
          ok(await run(this.limits.ffmpegPath, frameArgs(src, `${select},scale=-2:${height}:flags=area,tile=${tiles}x1`, 1, output), { ...at, stdin: src.stdin, fd: src.fd }));
        const jpeg = await strip(selectAt(period), times.length);
        // a clip whose frames all start before the first target time (one frame long): its first frame
        const out = jpeg.length > 0 ? jpeg : await strip(FIRST_FRAME, 1);
        if (out.length === 0) throw vlrError('VLR_MEDIA_UNSUPPORTED', 'video cannot be decoded: no frame could be read');
        return out;
      }),
    );
  }

  /**
   * `fn` under an ffmpeg slot, waited for in `signal`'s lane (util/lanes.ts); an abort while waiting
   * is ffmpeg's abort error. `fn` gets its deadline (`timeoutMs`) from when the slot is taken: the
   * wait is the caller's to bound (its signal: a search's or a rerank call's budget, a `_bulk`'s) —
   * counted in the budget, a long clip queued behind two others was refused VLR_MEDIA_TIMEOUT before
   * ffmpeg ever started (held-out probe round 22d: a backfill of 50 half-hour videos, 40 failed).
   */
  async #inSlot<T>(signal: AbortSignal | undefined, fn: (deadline: number) => Promise<T>): Promise<T> {
    const release = await this.#slots.acquire(signal).catch((e: unknown) => Promise.reject(vlrError('VLR_MEDIA_TIMEOUT', 'video processing was aborted', { cause: e })));
    try {
      return await fn(performance.now() + this.limits.timeoutMs);
    } finally {
      release();
    }
  }

  #checkBytes(input: VideoInput): void {
    if (Buffer.isBuffer(input)) {
      if (input.length === 0) throw vlrError('VLR_MEDIA_UNSUPPORTED', 'video is empty (0 bytes)');
      if (input.length > this.limits.maxBytes) {
        throw vlrError('VLR_MEDIA_TOO_LARGE', `video is ${input.length} bytes, over the limit of ${this.limits.maxBytes} bytes (media.maxVideoBytes)`, { details: { max_bytes: this.limits.maxBytes } });
      }
    }
  }

  /** Stdin for buffers; a private temp file only when the container needs seeking; paths as they are. */
  async #withInput<T>(input: VideoInput, fn: (src: Src) => Promise<T>, seekable = false): Promise<T> {
    if ('fd' in input) return fn({ arg: `file:/dev/fd/${CHILD_FD}`, fd: input.fd });
    if (!Buffer.isBuffer(input)) return fn({ arg: `file:${input.path}` });
    if (!seekable && !needsSeekableInput(input)) return fn({ arg: 'pipe:0', stdin: input });
    // a read-only or full temporary folder is a clear error naming it (temp-dir.ts)
    return withPrivateFile('vlrerank-video-', 'input.mp4', input, (file) => fn({ arg: `file:${file}` }));
  }

  /** A seekable file for `src`: itself when it is one, else the bytes in a private temporary file (removed after). */
  async #asFile<T>(src: Src, fn: (file: Src) => Promise<T>): Promise<T> {
    return src.stdin ? this.#withInput(src.stdin, fn, true) : fn(src);
  }

  /**
   * One short ffmpeg run per target time, each seeking to it (`-ss` before `-i`: from the keyframe
   * before, decoding only up to the first frame at or after t — the frame `selectAt` keeps) and
   * writing that frame. A target past the last frame gives none and is left out, as with select.
   */
  async #seekEach(src: Src, times: number[], size: { width: number; height: number }, deadline: number, signal?: AbortSignal): Promise<Array<{ frame: DecodedImage; time: number }>> {
    const frameBytes = size.width * size.height * 3;
    const out: Array<{ frame: DecodedImage; time: number }> = [];
    for (const time of times) {
      const args = frameArgs(src, `scale=${size.width}:${size.height}:flags=area,format=rgb24`, 1, ['-f', 'rawvideo', '-pix_fmt', 'rgb24', 'pipe:1'], time);
      const r = await run(this.limits.ffmpegPath, args, { fd: src.fd, deadline, signal, maxStdout: frameBytes, tool: 'ffmpeg' });
      if (r.code !== 0) throw translateFfmpegFailure('ffmpeg', r);
      if (r.stdout.length >= frameBytes) out.push({ frame: { data: r.stdout.subarray(0, frameBytes), width: size.width, height: size.height, channels: 3 }, time });
    }
    return out;
  }

  async #probe(src: Src, deadline: number, signal?: AbortSignal): Promise<VideoProbe> {
    const args = ['-v', 'error', '-print_format', 'json', '-show_format', '-show_streams', '-select_streams', 'v:0', '-format_whitelist', DEMUXERS, '-i', src.arg];
    const r = await run(this.limits.ffprobePath, args, { stdin: src.stdin, fd: src.fd, deadline, signal, maxStdout: 1 << 20, tool: 'ffprobe' });
    if (r.code !== 0) throw translateFfmpegFailure('ffprobe', r);
    let info: { streams?: Array<Record<string, unknown>>; format?: Record<string, unknown> };
    try {
      info = JSON.parse(r.stdout.toString('utf8'));
    } catch {
      throw vlrError('VLR_MEDIA_UNSUPPORTED', 'ffprobe gave no readable description of the video');
    }
    const s = info.streams?.[0];
    if (!s || s.codec_type !== 'video') throw vlrError('VLR_MEDIA_UNSUPPORTED', 'the file has no video stream');
    const rotation = readRotation(s);
    let width = Number(s.width);
    let height = Number(s.height);
    if (!(width > 0 && height > 0)) throw vlrError('VLR_MEDIA_UNSUPPORTED', 'the video stream has no frame size');
    if (Math.abs(rotation) % 180 === 90) [width, height] = [height, width];
    if (width * height > this.limits.maxPixels) {
      throw vlrError('VLR_MEDIA_TOO_LARGE', `video frames are ${width}×${height}, over the pixel limit of ${this.limits.maxPixels}`);
    }
    // The video stream's duration first (the frames' own); the container's is its longest stream's or
    // what its header claims — frames left out, none found, a 3 s clip refused as 10 h (probe 8b).
    // Matroska/WebM streams carry none: the container's then.
    const pos = (d: unknown) => (Number.isFinite(Number(d)) && Number(d) > 0 ? Number(d) : undefined);
    const duration = pos(s.duration) ?? pos(info.format?.duration);
    if (duration !== undefined && duration > this.limits.maxSeconds) {
      throw vlrError('VLR_MEDIA_TOO_LARGE', `video is ${duration.toFixed(1)} s long, over the limit of ${this.limits.maxSeconds} s (media.maxVideoSeconds)`, { details: { max_seconds: this.limits.maxSeconds } });
    }
    const [num, den] = String(s.avg_frame_rate ?? '0/0').split('/').map(Number);
    return {
      duration,
      width,
      height,
      rotation,
      codec: String(s.codec_name ?? 'unknown'),
      format: String(info.format?.format_name ?? 'unknown'),
      fps: num && den ? num / den : undefined,
    };
  }

  /**
   * One ffmpeg run: keep the frames of `selectAt`, scale, rgb24 on stdout, stop after n frames.
   * `-xerror` turns decode errors of a truncated or corrupt stream into a failure instead of
   * garbage frames.
   */
  async #decode(src: Src, times: number[], period: number, size: { width: number; height: number }, deadline: number, signal?: AbortSignal): Promise<DecodedImage[]> {
    const frameBytes = size.width * size.height * 3;
    const decode = async (select: string, count: number) => {
      const args = frameArgs(src, `${select},scale=${size.width}:${size.height}:flags=area,format=rgb24`, count, ['-f', 'rawvideo', '-pix_fmt', 'rgb24', 'pipe:1']);
      const r = await run(this.limits.ffmpegPath, args, { stdin: src.stdin, fd: src.fd, deadline, signal, maxStdout: frameBytes * count, tool: 'ffmpeg' });
      if (r.code !== 0) throw translateFfmpegFailure('ffmpeg', r);
      return r;
    };
    let r = await decode(selectAt(period), times.length);
    // Every frame starts before the first target time (a clip one frame long, or a still with a
    // long duration claimed): the frame shown then is the first one (held-out probe round 13c).
    if (r.stdout.length < frameBytes) r = await decode(FIRST_FRAME, 1);
    const n = Math.floor(r.stdout.length / frameBytes);
    if (n === 0) throw vlrError('VLR_MEDIA_UNSUPPORTED', 'video cannot be decoded: no frame could be read');
    const frames: DecodedImage[] = [];
    for (let i = 0; i < n; i++) {
      // Copy out of the big buffer so one cached frame does not pin all the others.
      frames.push({ data: Buffer.from(r.stdout.subarray(i * frameBytes, (i + 1) * frameBytes)), width: size.width, height: size.height, channels: 3 });
    }
    return frames;
  }
}
