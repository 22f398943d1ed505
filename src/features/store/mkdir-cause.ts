/** The disk tier's folder creation (disk-tier.ts). */
import { existsSync, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';

/** mkdir -p naming the real cause: Node's says ENOENT on a read-only mount (probe round 12b); the first missing folder alone gives EROFS/EACCES. */
export function mkdirWithCause(path: string): void {
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
