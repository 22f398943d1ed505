/**
 * The real CLI's error on stderr names the query from the user's file (held-out probe round 14c): an
 * id holding `\x1b[2J` cleared the user's screen, a `\r` rewrote the line. Escaped now, as in the
 * summary and the fit's figures (test/unit/eval/terminal-text.test.ts).
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { evalExit } from '../../helpers/eval-fixtures.js';

const dir = mkdtempSync(join(tmpdir(), 'vlr-eval-esc-'));

describe('eval errors on a terminal', { timeout: 300_000 }, () => {
  it('a query id with an escape sequence, a carriage return and a bidi override: named escaped, exit 2', async () => {
    writeFileSync(join(dir, 'q.jsonl'), `${JSON.stringify({ _id: 'q\x1b[2J\r\u202eevil', image: 'missing.jpg', relevant: ['1'] })}\n`);
    const r = await evalExit(['--index', 'x', '--queries', join(dir, 'q.jsonl')]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('query "q\\x1b[2J\\x0d\\u202eevil": image');
    expect(r.stderr).not.toMatch(/[\x1b\r\u202e]/);
  });
});
