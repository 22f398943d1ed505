// TEMPORARY until the library branch lands (features/media gets these). Not to be committed to main.
import { realpath } from 'node:fs/promises';
import { isAbsolute, resolve, sep } from 'node:path';
import { execFile } from 'node:child_process';
import { vlrError } from '../errors.js';

/** Resolve `src` (absolute, or relative to a root) to a real file path inside one of `roots`, or throw 403/404. */
export async function resolveUnderRoots(src: string, roots: readonly string[]): Promise<string> {
  if (!roots.length) throw vlrError('VLR_MEDIA_FORBIDDEN', 'no media roots are configured (media.roots / VLRERANK_MEDIA_ROOTS), so no local file can be served');
  if (!src || src.includes('\0')) throw vlrError('VLR_BAD_REQUEST', 'src must name a file under the media roots');
  const realRoots = (await Promise.all(roots.map((r) => realpath(resolve(r)).catch(() => null)))).filter((r): r is string => !!r);
  const candidates = isAbsolute(src) ? [src] : realRoots.map((r) => resolve(r, src));
  for (const c of candidates) {
    let real: string;
    try {
      real = await realpath(c);
    } catch {
      continue;
    }
    if (realRoots.some((r) => real === r || real.startsWith(r.endsWith(sep) ? r : r + sep))) return real;
    throw vlrError('VLR_MEDIA_FORBIDDEN', 'the file is outside the configured media roots');
  }
  throw vlrError('VLR_NOT_FOUND', 'no such media file under the configured media roots');
}

function run(cmd: string, args: string[], timeoutMs: number, encoding: 'buffer' | 'utf8'): Promise<Buffer | string> {
  return new Promise((ok, fail) => {
    execFile(cmd, args, { timeout: timeoutMs, maxBuffer: 16 * 1024 * 1024, encoding }, (err, stdout) => (err ? fail(err) : ok(stdout)));
  });
}

/** N frames evenly spaced over the clip, each 160 px wide, tiled left to right into one JPEG. */
export async function frameStrip(media: { ffmpegPath: string; ffprobePath: string; videoTimeoutMs: number }, file: string, n: number): Promise<Buffer> {
  try {
    const out = String(await run(media.ffprobePath, ['-v', 'error', '-show_entries', 'format=duration', '-of', 'csv=p=0', file], media.videoTimeoutMs, 'utf8'));
    const duration = Math.max(0.1, Number.parseFloat(out) || 1);
    const fps = (n / duration).toFixed(6);
    return (await run(
      media.ffmpegPath,
      ['-v', 'error', '-i', file, '-vf', `fps=${fps},scale=160:-2,tile=${n}x1`, '-frames:v', '1', '-f', 'image2pipe', '-vcodec', 'mjpeg', '-q:v', '5', '-'],
      media.videoTimeoutMs,
      'buffer',
    )) as Buffer;
  } catch (e) {
    const err = e as NodeJS.ErrnoException & { killed?: boolean };
    if (err.code === 'ENOENT') throw vlrError('VLR_MEDIA_UNSUPPORTED', `ffmpeg/ffprobe not found (media.ffmpegPath: ${media.ffmpegPath})`, { cause: e });
    if (err.killed) throw vlrError('VLR_MEDIA_TIMEOUT', 'making the frame strip took too long', { cause: e });
    throw vlrError('VLR_MEDIA_UNSUPPORTED', 'the video cannot be decoded', { cause: e });
  }
}

