/**
 * Run a script in a child Node whose wall clock is Debian's libfaketime's (package `faketime`), as an
 * NTP step, a VM resumed or a container's clock moves it: the script steps the clock itself by
 * writing an offset (`+1h`, `-1d`) to the file named in `FAKETIME_TIMESTAMP_FILE` (read on every
 * call: `FAKETIME_NO_CACHE`). CLOCK_MONOTONIC is left real (`FAKETIME_DONT_FAKE_MONOTONIC`), as on a
 * real host: performance.now() and Node's timers do not follow the step, Date.now() does.
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { REPO_ROOT } from './paths.js';

const LIBS = ['/usr/lib/x86_64-linux-gnu/faketime/libfaketime.so.1', '/usr/lib/aarch64-linux-gnu/faketime/libfaketime.so.1'];

/** libfaketime's path, or undefined when the Debian package is not installed. */
export const LIBFAKETIME = LIBS.find((p) => existsSync(p));

/**
 * Runs `script` (an ES module, tsx-loaded, cwd the repository) with the clock file's path as
 * `process.argv[1]` (start: `+0`); resolves its stdout parsed as JSON.
 */
export async function runWithSteppableClock(script: string, timeoutMs = 60_000): Promise<unknown> {
  if (!LIBFAKETIME) throw new Error('libfaketime is missing: apt-get install -y faketime');
  const dir = mkdtempSync(join(tmpdir(), 'vlr-clock-'));
  const file = join(dir, 'clock');
  writeFileSync(file, '+0');
  try {
    const env = { ...process.env, LD_PRELOAD: LIBFAKETIME, FAKETIME_TIMESTAMP_FILE: file, FAKETIME_NO_CACHE: '1', FAKETIME_DONT_FAKE_MONOTONIC: '1' };
    const { stdout } = await promisify(execFile)(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script, file], { cwd: REPO_ROOT, env, timeout: timeoutMs });
    return JSON.parse(stdout);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
