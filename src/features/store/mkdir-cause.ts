/** The disk tier's folder: created, and checked writable by this process (disk-tier.ts). */
import { accessSync, constants, existsSync, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { absolutePath } from '../../util/mkdirp.js';

/** mkdir -p naming the real cause: Node's says ENOENT on a read-only mount (probe round 12b); the first missing folder alone gives EROFS/EACCES. */
export function mkdirWithCause(relativeOrAbsolute: string): void {
  const path = absolutePath(relativeOrAbsolute); // a relative path in a deleted working folder looped forever (util/mkdirp.ts)
  try {
    mkdirSync(path, { recursive: true });
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
    let missing = path;
    while (dirname(missing) !== missing && !existsSync(dirname(missing))) missing = dirname(missing);
    mkdirSync(missing); // throws the real cause
    throw e;
  }
}

/**
 * Create the store's folder, then check that this process may write there (lmdb makes its lock
 * file beside the store) and read and write the store's files that exist: a root-owned folder under
 * a process running as `nobody` failed as lmdb's "Permission denied: Attempting to setup locks",
 * naming no path and no remedy (held-out probe round 14b). Throws an error that names both.
 */
export function prepareStoreFolder(path: string, file: string): void {
  mkdirWithCause(path);
  const checks: Array<[string, number]> = [[path, constants.W_OK | constants.X_OK]];
  for (const f of [file, `${file}-lock`]) if (existsSync(f)) checks.push([f, constants.R_OK | constants.W_OK]);
  for (const [p, mode] of checks) {
    try {
      accessSync(p, mode);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code ?? String(e);
      const who = process.getuid ? `user ${process.getuid()}` : 'this process';
      throw new Error(
        `${p === path ? `the folder ${path}` : `${p} in ${path}`} is not writable by ${who} (${code}): make it writable by that user (chown, or the pod's securityContext.fsGroup), or point the store at a writable folder (VLRERANK_CACHE_DIR, whose features/ folder is the default, or VLRERANK_STORE_DISK_PATH; off turns it off)`,
        { cause: e },
      );
    }
  }
}
