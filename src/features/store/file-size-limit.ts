/**
 * The process's file size limit (RLIMIT_FSIZE: `ulimit -f`, systemd's `LimitFSIZE=`), for the disk
 * tier's check before each write. lmdb's commit past that limit fails with EIO, and after a few
 * such failures its write lock stayed taken: the next write transaction blocked the main thread
 * for good — every request and health check hung (held-out probe round 12b: `ulimit -f 200` under
 * `vlrerank serve`). Like free space (statfs), the limit is checked first and the write skipped.
 * Linux only (/proc/self/limits); elsewhere no limit is assumed.
 */
import { readFileSync, statSync } from 'node:fs';

let cached: number | undefined;

/** The soft limit in bytes, or Infinity. Read once: a process cannot raise its own soft limit past the hard one, and none of vlrerank changes it. */
export function fileSizeLimit(): number {
  if (cached !== undefined) return cached;
  try {
    const line = readFileSync('/proc/self/limits', 'utf8').split('\n').find((l) => l.startsWith('Max file size'));
    const soft = line?.slice('Max file size'.length).trim().split(/\s+/)[0];
    cached = soft && /^\d+$/.test(soft) ? Number(soft) : Infinity;
  } catch {
    cached = Infinity;
  }
  return cached;
}

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
