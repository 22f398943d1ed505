/**
 * The process's file size limit (RLIMIT_FSIZE: `ulimit -f`, systemd's `LimitFSIZE=`), for the disk
 * tier's check before each write. lmdb's commit past that limit fails with EIO, and after a few
 * such failures its write lock stayed taken: the next write transaction blocked the main thread
 * for good — every request and health check hung (held-out probe round 12b: `ulimit -f 200` under
 * `vlrerank serve`). Like free space (statfs), the limit is checked first and the write skipped.
 * Linux only (/proc/self/limits); elsewhere no limit is assumed. Free space (statfs) is checked here too.
 */
import { statSync, statfsSync } from 'node:fs';
import { processLimit } from '../../util/process-limits.js';

/** Free space a write leaves on the file system at least: lmdb writes copy-on-write pages and meta pages besides the value. */
const MIN_FREE_BYTES = 1 << 20;

/** The soft limit in bytes, or Infinity. Read once: a process cannot raise its own soft limit past the hard one, and none of vlrerank changes it. */
export const fileSizeLimit = (): number => processLimit('Max file size');

/** Why a write of `n` bytes to `file` would pass the limit (with `margin` for lmdb's page copies), or undefined. */
export function pastFileSizeLimit(file: string, n: number, margin: number): string | undefined {
  const limit = fileSizeLimit();
  if (!Number.isFinite(limit)) return undefined;
  let size = 0;
  try {
    size = statSync(file).size;
  } catch {
    /* not created yet */
  }
  if (size + n * 4 + margin <= limit) return undefined;
  return `the process's file size limit (ulimit -f: ${limit} bytes) leaves no room in ${file} (${size} bytes): writes skipped`;
}

/** Why a write of `n` bytes to `file` in `folder` has no room (the file size limit, then free space by statfs), or undefined. */
export function noRoomFor(folder: string, file: string, n: number): string | undefined {
  const capped = pastFileSizeLimit(file, n, MIN_FREE_BYTES);
  if (capped) return capped;
  const free = freeBytes(folder);
  if (free === undefined || free >= n * 4 + MIN_FREE_BYTES) return undefined;
  return `no space left on the device of ${folder} (${free} bytes free): writes skipped until there is room`;
}

/**
 * Why a new store file cannot be made in `folder`, or undefined. lmdb maps a new file and writes its
 * first pages through the map: on a file system with no free page (a full tmpfs) that write is a
 * SIGBUS, which ended `vlrerank serve` at start without a word (held-out probe round 31d, a 1 MiB
 * tmpfs filled), and left an empty file the next start called corrupt.
 */
export function noRoomToCreate(folder: string): string | undefined {
  const free = freeBytes(folder);
  return free === undefined || free >= MIN_FREE_BYTES ? undefined : `no space left on the device of ${folder} (${free} bytes free, ${MIN_FREE_BYTES} needed to create the store)`;
}

/** Bytes this process may still write on the file system of `folder` (statfs), or undefined where there is no statfs (lmdb's own error handling is then all there is). */
function freeBytes(folder: string): number | undefined {
  try {
    const st = statfsSync(folder);
    return st.bavail * st.bsize;
  } catch {
    return undefined;
  }
}
