/**
 * GET /_vlrerank/media?src=<path>[&strip=N] — the demo UI's thumbnails of hits whose image/video
 * fields are local paths. Serves only image and video files that resolve (after symlinks) inside
 * one of config.media.roots; anything else is an ES-shaped 403/404. With `strip=N` (videos), an
 * N-frame JPEG strip made by ffmpeg, evenly spaced over the clip, cached in memory.
 *
 * The root check is local to this file (features/media/source.ts resolves media for the models
 * and has its own; both follow the same rule: realpath of the file inside realpath of a root).
 * Never reads outside the roots, never fetches URLs.
 */
import { Router, type Request, type Response, type NextFunction } from 'express';
import { realpath, stat } from 'node:fs/promises';
import { isAbsolute, resolve, sep, extname } from 'node:path';
import { execFile } from 'node:child_process';
import { LRUCache } from 'lru-cache';
import type { ServerContext } from '../http/context.js';
import { vlrError } from '../errors.js';

const IMAGE_EXT = new Set(['.jpg', '.jpeg', '.png', '.webp', '.gif', '.bmp', '.tif', '.tiff', '.avif']);
const VIDEO_EXT = new Set(['.mp4', '.mkv', '.webm', '.mov', '.avi', '.m4v']);

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

export function mediaRouter(ctx: ServerContext): Router {
  const r = Router();
  const strips = new LRUCache<string, Buffer>({ maxSize: 32 * 1024 * 1024, sizeCalculation: (b) => b.length });
  const { media } = ctx.config;

  r.get('/media', async (req: Request, res: Response, next: NextFunction) => {
    try {
      const src = typeof req.query.src === 'string' ? req.query.src : '';
      const file = await resolveUnderRoots(src, media.roots);
      const ext = extname(file).toLowerCase();
      const isVideo = VIDEO_EXT.has(ext);
      if (!IMAGE_EXT.has(ext) && !isVideo) throw vlrError('VLR_MEDIA_FORBIDDEN', `only image and video files are served (not "${ext || 'no extension'}")`);
      const st = await stat(file);
      if (!st.isFile()) throw vlrError('VLR_NOT_FOUND', 'not a file');
      if (st.size > (isVideo ? media.maxVideoBytes : media.maxBytes)) throw vlrError('VLR_MEDIA_TOO_LARGE', `the file is larger than the ${isVideo ? 'video' : 'image'} byte limit`);
      const n = Number(req.query.strip ?? 0);
      if (isVideo && n) {
        if (!Number.isInteger(n) || n < 1 || n > 12) throw vlrError('VLR_BAD_REQUEST', 'strip must be an integer from 1 to 12');
        const key = `${file}|${st.mtimeMs}|${n}`;
        let jpg = strips.get(key);
        if (!jpg) {
          jpg = await frameStrip(file, n);
          strips.set(key, jpg);
        }
        res.type('image/jpeg').set('cache-control', 'private, max-age=300').send(jpg);
        return;
      }
      res.set('cache-control', 'private, max-age=300');
      res.sendFile(file, { dotfiles: 'allow' }, (err) => {
        if (err && !res.headersSent) next(vlrError('VLR_NOT_FOUND', 'cannot read the media file', { cause: err }));
      });
    } catch (e) {
      next(e);
    }
  });

  /** N frames evenly spaced over the clip, each 160 px wide, tiled left to right into one JPEG. */
  async function frameStrip(file: string, n: number): Promise<Buffer> {
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

  return r;
}
