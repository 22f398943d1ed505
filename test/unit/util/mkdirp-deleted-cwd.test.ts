/**
 * A relative folder made after the working folder was deleted (held-out probe round 31d: `vlrerank
 * serve` started in a folder removed while it started, its default disk tier `.cache/vlrerank/features`
 * relative to it). Node's recursive mkdir looped forever at full CPU; now an error naming the cause.
 * Each case runs in a child whose working folder is deleted first, so a loop is its timeout.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../../helpers/paths.js';

async function inDeletedCwd(call: string): Promise<{ out: string; killed: boolean }> {
  const gone = mkdtempSync(join(tmpdir(), 'vlr-gone-'));
  const script = `
    const repo = ${JSON.stringify(REPO_ROOT)};
    const { mkdirWithCause } = await import(repo + '/src/features/store/mkdir-cause.ts');
    const { mkdirp } = await import(repo + '/src/util/mkdirp.ts');
    process.chdir(${JSON.stringify(gone)});
    (await import('node:fs')).rmSync(${JSON.stringify(gone)}, { recursive: true });
    try { await (${call}); process.stdout.write('made'); } catch (e) { process.stdout.write('threw: ' + e.message); }`;
  try {
    const r = await promisify(execFile)(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { cwd: REPO_ROOT, timeout: 30_000 });
    return { out: r.stdout, killed: false };
  } catch (e) {
    const err = e as { stdout?: string; killed?: boolean };
    return { out: err.stdout ?? '', killed: !!err.killed };
  } finally {
    rmSync(gone, { recursive: true, force: true });
  }
}

describe('a relative folder made in a deleted working folder', () => {
  it("the disk tier's folder: an error naming the cause, not a loop", async () => {
    const r = await inDeletedCwd("mkdirWithCause('.cache/vlrerank/features')");
    expect(r).toEqual({ killed: false, out: expect.stringMatching(/^threw: \.cache\/vlrerank\/features is relative to the working folder, which no longer exists/) });
  }, 60_000);

  it('async (the concept bank, model pulls): an error naming the cause, not a thread lost for good', async () => {
    const r = await inDeletedCwd("mkdirp('.cache/vlrerank')");
    expect(r).toEqual({ killed: false, out: expect.stringMatching(/^threw: \.cache\/vlrerank is relative to the working folder, which no longer exists/) });
  }, 60_000);
});
