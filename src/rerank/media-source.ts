/**
 * Stop-gap media resolution for the reranker until features/media/source.ts (features engineer)
 * lands: `data:` URIs, bare base64, and local paths under the allowed roots. Remote URLs are
 * refused here (the SSRF-safe fetcher belongs to features/); replace this module's callers with
 * the shared source resolver when it exists.
 */
import { readFile, realpath, stat } from 'node:fs/promises';
import { isAbsolute, resolve, sep } from 'node:path';
import { vlrError, isVlrerankError } from '../errors.js';

export interface MediaSourceOptions {
  roots?: string[];
  maxBytes?: number;
}

const BASE64 = /^[A-Za-z0-9+/=\r\n]+$/;

export async function resolveMediaBytes(ref: string, options: MediaSourceOptions, signal?: AbortSignal): Promise<Buffer> {
  signal?.throwIfAborted();
  const maxBytes = options.maxBytes ?? 32 * 1024 * 1024;
  const check = (b: Buffer) => {
    if (b.byteLength === 0) throw vlrError('VLR_MEDIA_UNSUPPORTED', 'media is empty');
    if (b.byteLength > maxBytes) throw vlrError('VLR_MEDIA_TOO_LARGE', `media is ${b.byteLength} bytes, over the limit of ${maxBytes}`);
    return b;
  };
  if (ref.startsWith('data:')) {
    const m = /^data:([^;,]*)(;base64)?,(.*)$/s.exec(ref);
    if (!m) throw vlrError('VLR_MEDIA_UNSUPPORTED', 'malformed data: URI');
    return check(m[2] ? Buffer.from(m[3]!, 'base64') : Buffer.from(decodeURIComponent(m[3]!), 'latin1'));
  }
  if (/^https?:\/\//i.test(ref)) {
    throw vlrError('VLR_MEDIA_FORBIDDEN', 'remote media URLs are not enabled in this build (needs the features media fetcher)');
  }
  if (ref.length > 256 && BASE64.test(ref)) return check(Buffer.from(ref, 'base64'));
  const roots = options.roots ?? [];
  if (roots.length === 0) throw vlrError('VLR_MEDIA_FORBIDDEN', `local media path ${JSON.stringify(ref.slice(0, 200))} refused: no media roots are configured (media.roots)`);
  let real: string;
  try {
    const candidates = isAbsolute(ref) ? [ref] : roots.map((r) => resolve(r, ref));
    let found: string | undefined;
    for (const c of candidates) {
      try {
        found = await realpath(c);
        break;
      } catch {
        /* next root */
      }
    }
    if (!found) throw vlrError('VLR_MEDIA_FETCH', `media file ${JSON.stringify(ref.slice(0, 200))} not found under the media roots`, { status: 404 });
    real = found;
  } catch (e) {
    if (isVlrerankError(e)) throw e;
    throw vlrError('VLR_MEDIA_FETCH', `media file cannot be read`, { cause: e });
  }
  const realRoots = await Promise.all(roots.map((r) => realpath(r).catch(() => resolve(r))));
  if (!realRoots.some((r) => real === r || real.startsWith(r.endsWith(sep) ? r : r + sep))) {
    throw vlrError('VLR_MEDIA_FORBIDDEN', `media path ${JSON.stringify(ref.slice(0, 200))} is outside the allowed media roots`);
  }
  const st = await stat(real);
  if (!st.isFile()) throw vlrError('VLR_MEDIA_UNSUPPORTED', 'media path is not a file');
  if (st.size > maxBytes) throw vlrError('VLR_MEDIA_TOO_LARGE', `media is ${st.size} bytes, over the limit of ${maxBytes}`);
  return check(await readFile(real));
}
