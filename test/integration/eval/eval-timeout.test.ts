/**
 * `vlrerank eval --url` in front of a proxy that accepts connections and never answers: each search
 * waited undici's default 300 s (held-out eval probe round, left). Now `--timeout` (default 120 s)
 * bounds one search's wait; past it the run stops as on any failed search (what it measured is
 * kept), naming the time-out, for the evaluation and for `--fit` alike. A bad value is refused by name.
 */
import { createServer, type Server, type Socket } from 'node:net';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { evalExit } from '../../helpers/eval-fixtures.js';

const dir = mkdtempSync(join(tmpdir(), 'vlr-eval-timeout-'));
const queries = join(dir, 'q.jsonl');
writeFileSync(queries, ['q1', 'q2'].map((id) => JSON.stringify({ _id: id, text: 'apple', relevant: ['1'] })).join('\n') + '\n');

/** A listener that reads requests and never answers (a stuck proxy). */
let silent: Server;
const sockets = new Set<Socket>();
let url: string;
beforeAll(async () => {
  silent = createServer((s) => {
    sockets.add(s);
    s.on('data', () => undefined);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r));
  url = `http://127.0.0.1:${(silent.address() as { port: number }).port}`;
});
afterAll(async () => {
  for (const s of sockets) s.destroy();
  await new Promise((r) => silent.close(r));
});

describe('eval --timeout bounds each search', { timeout: 120_000 }, () => {
  it('the evaluation stops after the time-out, naming it', async () => {
    const r = await evalExit(['--index', 'x', '--url', url, '--queries', queries, '--timeout', '0.5']);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain('did not answer a search within 0.5 s (--timeout)');
  });

  it('--fit stops the same way', async () => {
    const r = await evalExit(['--index', 'x', '--url', url, '--queries', queries, '--fit', '--folds', '2', '--timeout', '0.5']);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain('did not answer a search within 0.5 s (--timeout)');
  });

  it.each(['0', 'abc', '-1', '1s'])('--timeout %s is refused by name, exit 2', async (v) => {
    const r = await evalExit(['--index', 'x', '--url', url, '--queries', queries, '--timeout', v]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('--timeout must be a positive number of seconds');
  });
});
