/**
 * `mkdir -p` of a path made absolute first (the disk tier's synchronous one: mkdir-cause.ts). Node 20's recursive mkdir of a
 * relative path whose working folder was deleted never returns: it tries `.cache`, then
 * `.cache/vlrerank`, both ENOENT, and again, at full CPU — on the main thread (the disk tier: a
 * `vlrerank serve` started in a folder removed while it started never listened, silent) or in a
 * libuv thread for good (the concept bank's cache). Resolving first fails at once instead, naming
 * the cause (held-out probe round 31d).
 */
import { mkdir } from 'node:fs/promises';
import { isAbsolute, resolve } from 'node:path';

/** `path` made absolute against the working folder; throws naming it when that folder is gone. */
export function absolutePath(path: string): string {
  if (isAbsolute(path)) return path;
  try {
    return resolve(path);
  } catch (e) {
    throw new Error(`${path} is relative to the working folder, which no longer exists (deleted after the start): give an absolute path, or start from a folder that stays`, { cause: e });
  }
}

export async function mkdirp(path: string): Promise<void> {
  await mkdir(absolutePath(path), { recursive: true });
}
