/**
 * Whether the disk tier's file is still the one this process opened: an LMDB environment keeps its
 * file mapped after `rm -rf` of the folder (or a replace by a restore, a `mv`), so this process went
 * on reading and writing a deleted inode while the processes started after it made a new file at the
 * path — two stores under one name, none seeing the other's records, and health `ok` everywhere with
 * its figures mixed from both (held-out probe round 24c). Checked by device and inode, at most every
 * `everyMs`; disk-tier.ts reopens the path when it says so. Never throws.
 */
import { statSync } from 'node:fs';

export class FileIdentity {
  #id: string | undefined;
  #checkedAt = 0;

  constructor(
    readonly file: string,
    readonly everyMs: number,
  ) {}

  /** Note the file now at the path as the one opened (after an open). */
  remember(): void {
    this.#id = idOf(this.file);
    this.#checkedAt = Date.now();
  }

  /** Is the file at the path gone or another one than remembered? (a stat at most every `everyMs`) */
  replaced(): boolean {
    if (this.#id === undefined) return false;
    const now = Date.now();
    if (now - this.#checkedAt < this.everyMs) return false;
    this.#checkedAt = now;
    const id = idOf(this.file);
    return id !== this.#id && id !== 'unknown';
  }
}

/** `dev:ino`, `gone` when absent, `unknown` when it cannot be told (no permission to look: not taken as replaced). */
function idOf(file: string): string {
  try {
    const s = statSync(file);
    return `${s.dev}:${s.ino}`;
  } catch (e) {
    return ['ENOENT', 'ENOTDIR'].includes((e as NodeJS.ErrnoException).code ?? '') ? 'gone' : 'unknown';
  }
}
