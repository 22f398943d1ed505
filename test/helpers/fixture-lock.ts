/**
 * A lock across test processes for building a shared fixture index: several test files reuse one
 * index per engine (e.g. `grocery-it`), and test runs of other checkouts on the same engines may run
 * them at the same time (one run's files go one at a time: vitest.config.ts); without it, two finding
 * the index missing or incomplete both delete and rebuild it, each under the other's searches.
 * A directory created with mkdir is the lock (atomic on every filesystem), with the holder's pid in
 * it: a lock whose holder is gone (a test run killed half-way) is taken over at once, and one
 * without a readable pid (mkdir done, pid not yet written, or a holder of an older layout) once it
 * is older than `staleMs`.
 */
import { mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export function fixtureLockDir(name: string): string {
  return join(tmpdir(), `vlrerank-fixture-${name.replace(/[^A-Za-z0-9_.-]/g, '_')}.lock`);
}

function holderGone(dir: string, staleMs: number): boolean {
  let pid: number;
  try {
    pid = Number(readFileSync(join(dir, 'pid'), 'utf8'));
  } catch {
    return Date.now() - statSync(dir).mtimeMs > staleMs;
  }
  if (!Number.isInteger(pid) || pid <= 0) return Date.now() - statSync(dir).mtimeMs > staleMs;
  try {
    process.kill(pid, 0);
    return false;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'ESRCH';
  }
}

export async function withFixtureLock<T>(name: string, fn: () => Promise<T>, staleMs = 15 * 60_000): Promise<T> {
  const dir = fixtureLockDir(name);
  for (;;) {
    try {
      mkdirSync(dir);
      writeFileSync(join(dir, 'pid'), String(process.pid));
      break;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      try {
        if (holderGone(dir, staleMs)) rmSync(dir, { recursive: true, force: true });
      } catch {
        /* released meanwhile */
      }
      await new Promise((r) => setTimeout(r, 250));
    }
  }
  try {
    return await fn();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
