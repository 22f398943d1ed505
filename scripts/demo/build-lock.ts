/**
 * One demo-index build at a time per cluster and index on this machine: a second `npm start`
 * (another port, the same engine) waits for the first one's build of an index and then finds it
 * complete and reuses it, instead of taking the half-filled index for "an earlier build stopped
 * half-way" and doing the same work beside it (held-out probe round 12c).
 *
 * The lock is proper-lockfile's: a directory under the OS temp folder whose mtime the holder
 * refreshes; a holder killed outright (SIGKILL, power loss) leaves a lock that goes stale after
 * `STALE_MS` and is taken over. Starts on other machines against the same cluster are not seen.
 */
import { createHash } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import lockfile from 'proper-lockfile';

const STALE_MS = 20_000;

export interface BuildLockOptions {
  /** The engine(s) the index lives in: two starts share a lock only when they build into the same cluster. */
  cluster: string;
  index: string;
  /** Where the lock directories live (tests use their own). */
  dir?: string;
  /** Called once when another start holds the lock and this one begins to wait. */
  onWait?(): void;
}

/** Wait for the build lock of `index` in `cluster`; resolves with its release. */
export async function takeBuildLock(o: BuildLockOptions): Promise<() => Promise<void>> {
  const dir = o.dir ?? join(tmpdir(), 'vlrerank-demo-builds');
  mkdirSync(dir, { recursive: true });
  const file = join(dir, createHash('sha256').update(`${o.cluster}\n${o.index}`).digest('hex').slice(0, 24));
  const opts = {
    realpath: false,
    stale: STALE_MS,
    // a build that loses its lock (its directory removed, or a stall past `stale`) goes on: the
    // worst case is the double work this lock avoids, never a failed start
    onCompromised: () => {},
  };
  try {
    return await lockfile.lock(file, { ...opts, retries: 0 });
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ELOCKED') throw e;
  }
  o.onWait?.();
  return lockfile.lock(file, { ...opts, retries: { forever: true, minTimeout: 250, maxTimeout: 2_000, factor: 1.5 } });
}
