/**
 * A lock across test processes for building a shared fixture index: several test files reuse one
 * index per engine (e.g. `grocery-it`) and run in parallel workers; without it, two of them finding
 * the index missing or incomplete both delete and rebuild it, each under the other's searches.
 * A directory created with mkdir is the lock (atomic on every filesystem); a lock older than
 * `staleMs` (a killed test run) is taken over.
 */
import { mkdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export async function withFixtureLock<T>(name: string, fn: () => Promise<T>, staleMs = 15 * 60_000): Promise<T> {
  const dir = join(tmpdir(), `vlrerank-fixture-${name.replace(/[^A-Za-z0-9_.-]/g, '_')}.lock`);
  for (;;) {
    try {
      mkdirSync(dir);
      break;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      try {
        if (Date.now() - statSync(dir).mtimeMs > staleMs) rmSync(dir, { recursive: true, force: true });
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
