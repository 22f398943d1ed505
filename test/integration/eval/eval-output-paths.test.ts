/**
 * `vlrerank eval`'s output files are opened before the run (held-out eval probe round): a folder
 * whose permission bits allow writing can still refuse it (/proc, /sys, a read-only mount) — such a
 * `--report` or `--json` passed the check and failed after every search was done. The real CLI; the
 * `--url` answers nothing, so reaching the run would be a different message.
 */
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { evalExit } from '../../helpers/eval-fixtures.js';

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
