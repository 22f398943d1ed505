/**
 * Running ffmpeg / ffprobe, and the one place their outcomes become VlrerankErrors: a spawn that
 * fails (not installed → 503), a wall-time budget overrun or an abort (the process is SIGKILLed,
 * VLR_MEDIA_TIMEOUT: never a hung ffmpeg), too much output (VLR_MEDIA_TOO_LARGE), and ffmpeg's own
 * words for bytes that are not a decodable video (VLR_MEDIA_UNSUPPORTED).
 * Spawned directly, no shell. Knows nothing about frames or what the arguments ask for.
 */
import { spawn } from 'node:child_process';
import { vlrError, type VlrerankError } from '../../errors.js';
import { raiseNice, workNice } from '../../util/work-nice.js';

export interface RunResult {
  stdout: Buffer;
  stderr: string;
  code: number | null;
  signal: NodeJS.Signals | null;
}

/**
 * The one place ffmpeg/ffprobe outcomes become errors. ffmpeg's own words ("moov atom not found",
 * "Invalid data found when processing input", "partial file", "corrupt input packet") mean the
 * bytes are not a decodable video.
 */
export function translateFfmpegFailure(tool: string, r: { stderr: string; code: number | null; signal: NodeJS.Signals | null }, spawnError?: NodeJS.ErrnoException): VlrerankError {
  if (spawnError) {
    if (spawnError.code === 'ENOENT') {
      return vlrError('VLR_MEDIA_UNSUPPORTED', `${tool} was not found; install Debian's ffmpeg package or set media.ffmpegPath / media.ffprobePath`, { status: 503, cause: spawnError });
    }
    return vlrError('VLR_MEDIA_UNSUPPORTED', `${tool} could not be started: ${spawnError.message}`, { status: 503, cause: spawnError });
  }
  if (/not on whitelist/.test(r.stderr)) {
    const format = /\[(\w+) @/.exec(r.stderr)?.[1];
    // ffmpeg's still-image demuxers (jpeg_pipe, png_pipe, webp_pipe…): a photo sent as a video
    const still = /^(\w+)_pipe$/.exec(format ?? '')?.[1];
    if (still) return vlrError('VLR_MEDIA_UNSUPPORTED', `this is a still image (${still}), not a video: send it as an image`);
    return vlrError('VLR_MEDIA_UNSUPPORTED', `video container ${format ? `[${format}] ` : ''}is not one vlrerank decodes (playlists and lists that name other files are refused)`);
  }
  const lines = r.stderr.split('\n').map((l) => l.replace(/^\[[^\]]*\]\s*/, '').trim()).filter(Boolean);
  const telling = lines.find((l) => /moov atom not found|Invalid data|partial file|corrupt|truncat|Error|error|No such/i.test(l)) ?? lines[lines.length - 1] ?? `exit code ${r.code}`;
  return vlrError('VLR_MEDIA_UNSUPPORTED', `video cannot be decoded (corrupt, truncated or unsupported): ${telling.slice(0, 200)}`);
}

/** The descriptor a file handed over as `fd` has in the child (the first after stdin, stdout, stderr). */
export const CHILD_FD = 3;

/** `fd`: an open file handed to the child as its descriptor CHILD_FD (read there as `file:/dev/fd/3`). */
export function run(cmd: string, args: string[], opts: { stdin?: Buffer; fd?: number; deadline: number; signal?: AbortSignal; maxStdout: number; tool: string }): Promise<RunResult> {
  return new Promise((resolvePromise, reject) => {
    const remaining = opts.deadline - performance.now();
    if (remaining <= 0) return reject(vlrError('VLR_MEDIA_TIMEOUT', `video processing exceeded its time budget (media.videoTimeoutMs)`));
    if (opts.signal?.aborted) return reject(vlrError('VLR_MEDIA_TIMEOUT', 'video processing was aborted', { cause: opts.signal.reason }));
    const child = spawn(cmd, args, { stdio: [opts.stdin ? 'pipe' : 'ignore', 'pipe', 'pipe', ...(opts.fd !== undefined ? [opts.fd] : [])], windowsHide: true });
    // decoding is ingest and rerank work: at the nice of model work (util/work-nice.ts), raised as it starts (before any stdin is written)
    if (child.pid !== undefined) raiseNice(child.pid, workNice());
    const out: Buffer[] = [];
    let outBytes = 0;
    let err = '';
    let failure: VlrerankError | undefined;
    let settled = false;
    const kill = (why: VlrerankError) => {
      failure ??= why;
      child.kill('SIGKILL');
    };
    const timer = setTimeout(() => kill(vlrError('VLR_MEDIA_TIMEOUT', `${opts.tool} took longer than the video time budget (media.videoTimeoutMs); killed`)), remaining);
    const onAbort = () => kill(vlrError('VLR_MEDIA_TIMEOUT', 'video processing was aborted', { cause: opts.signal?.reason }));
    opts.signal?.addEventListener('abort', onAbort, { once: true });
    const done = (fn: () => void) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      opts.signal?.removeEventListener('abort', onAbort);
      fn();
    };
    child.stdout!.on('data', (c: Buffer) => {
      outBytes += c.length;
      if (outBytes > opts.maxStdout) return kill(vlrError('VLR_MEDIA_TOO_LARGE', `${opts.tool} produced more output than expected`));
      out.push(c);
    });
    child.stderr!.on('data', (c: Buffer) => {
      if (err.length < 64 * 1024) err += c.toString('utf8');
    });
    child.on('error', (e: NodeJS.ErrnoException) => done(() => reject(translateFfmpegFailure(opts.tool, { stderr: '', code: null, signal: null }, e))));
    child.on('close', (code, signal) => {
      done(() => {
        if (failure) reject(failure);
        else resolvePromise({ stdout: Buffer.concat(out, Math.min(outBytes, opts.maxStdout)), stderr: err, code, signal });
      });
    });
    if (opts.stdin && child.stdin) {
      // ffmpeg closes stdin as soon as it has the frames it needs: EPIPE is expected, not an error.
      child.stdin.on('error', () => undefined);
      child.stdin.end(opts.stdin);
    }
  });
}
