// `npm start` with VLRERANK_DEMO_INDICES naming no demo index (a typo) stops at once with a sentence
// naming the value and the names it takes — it was a TypeError with a stack trace from the data
// check (held-out probe round 12c). Nothing is started: the upstream is a port nothing listens on.
import { describe, it, expect } from 'vitest';
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { REPO_ROOT } from '../../helpers/paths.js';

function start(env: Record<string, string>): Promise<{ code: number; out: string }> {
  return new Promise((ok) =>
    execFile(process.execPath, ['--import', 'tsx', join(REPO_ROOT, 'scripts/start.ts')], { cwd: REPO_ROOT, env: { ...process.env, ...env }, timeout: 60_000 }, (e, stdout, stderr) =>
      ok({ code: (e as { code?: number } | null)?.code ?? 0, out: stdout + stderr }),
    ),
  );
}

describe('npm start with VLRERANK_DEMO_INDICES naming no demo index', () => {
  it.each([
    ['grocry', /no demo index is called "grocry"/],
    ['grocery,videoz', /no demo index is called "videoz"/],
    ['none,coco', /"none" goes alone/],
  ])('%s: says so, lists the names, exits 2', async (value, said) => {
    const r = await start({ VLRERANK_DEMO_INDICES: value, VLRERANK_UPSTREAM: 'http://127.0.0.1:1' });
    expect(r.code).toBe(2);
    expect(r.out).toMatch(said);
    expect(r.out).toContain('grocery, coco, videos, scifact');
    expect(r.out).not.toMatch(/TypeError|\n\s+at /);
    expect(r.out).not.toMatch(/listening/);
  });
});
