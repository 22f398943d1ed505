/**
 * Whether an existing disk-tier file can be opened, asked of a short-lived child process first:
 * lmdb's native code kills the whole process with SIGSEGV on a corrupt or foreign file (seen with
 * lmdb 3.5 on a file of zeros, of garbage, and on a 5-byte file), so the server never opens a file
 * in its own process before a child has opened it and read its statistics. A new folder needs no
 * probe. Never writes to the file and never throws: it answers a reason, or undefined when fine.
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';

const PROBE = `
const { open } = require(process.argv[1]);
const env = open({ path: process.argv[2], maxDbs: 8, readOnly: true });
env.getStats();
for (const name of ['values', 'stamps', 'age', 'meta', 'memo']) { try { env.openDB(name).getStats(); } catch (e) { if (!/not ?found/i.test(String(e && e.message))) throw e; } }
env.close();
`;

/** undefined when `file` is absent or opens cleanly; else why it cannot be used. */
export function probeDiskFile(file: string, timeoutMs = 15_000): Promise<string | undefined> {
  if (!existsSync(file)) return Promise.resolve(undefined);
  const lmdbEntry = createRequire(import.meta.url).resolve('lmdb');
  return new Promise((resolve) => {
    execFile(process.execPath, ['-e', PROBE, lmdbEntry, file], { timeout: timeoutMs, env: {} }, (err, _stdout, stderr) => {
      if (!err) return resolve(undefined);
      const e = err as NodeJS.ErrnoException & { signal?: string; killed?: boolean };
      if (e.killed) return resolve(`opening ${file} did not finish within ${timeoutMs} ms`);
      const last = String(stderr).trim().split('\n').filter((l) => /error/i.test(l)).pop();
      resolve(`${file} cannot be opened (${e.signal ? `the probe died with ${e.signal}: the file is corrupt or not an LMDB file` : (last ?? `exit ${e.code}`)})`);
    });
  });
}
