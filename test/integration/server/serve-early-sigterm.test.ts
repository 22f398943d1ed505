/**
 * A SIGTERM at any moment after `vlrerank serve` begins to start is a drain and exit 0 (held-out
 * probe round 14b): the signal handlers were set after the server listened, so a SIGTERM while it
 * started — or the instant its listening line appeared, from a parent reacting at once — ended the
 * process by Node's default (killed by the signal, exit code null). Real CLI (tsx); the signal is
 * sent from the output handler, the moment the line is read. No engine (the upstream never answers)
 * and no models (an empty folder) keep it small.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { REPO_ROOT } from '../../helpers/paths.js';

const noModels = mkdtempSync(join(tmpdir(), 'vlr-nomodels-'));
afterAll(() => rmSync(noModels, { recursive: true, force: true }));

/** Start serve, send SIGTERM the moment `line` appears in its output; its exit code and signal, and what it printed. */
function sigtermAt(line: RegExp): Promise<{ code: number | null; signal: NodeJS.Signals | null; out: string }> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'serve', '--port', '0', '--host', '127.0.0.1', '--upstream', 'http://127.0.0.1:9'], {
    cwd: REPO_ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, VLRERANK_LOG_LEVEL: 'info', VLRERANK_STORE_DISK_PATH: 'off', VLRERANK_MODELS_DIR: noModels },
  });
  let out = '';
  let sent = false;
  const onData = (c: Buffer) => {
    out += c.toString();
    if (!sent && line.test(out)) {
      sent = true;
      child.kill('SIGTERM');
    }
  };
  child.stdout!.on('data', onData);
  child.stderr!.on('data', onData);
  return new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal, out })));
}

it('a SIGTERM while the server starts (its first log line) drains and exits 0', { timeout: 120_000 }, async () => {
  const r = await sigtermAt(/rerank pipelines loaded/);
  expect({ code: r.code, signal: r.signal }, r.out.slice(-2000)).toEqual({ code: 0, signal: null });
  expect(r.out).toContain('stopping: draining requests in flight');
});

it('a SIGTERM the moment the listening line appears drains and exits 0', { timeout: 120_000 }, async () => {
  const r = await sigtermAt(/vlrerank listening on http/);
  expect({ code: r.code, signal: r.signal }, r.out.slice(-2000)).toEqual({ code: 0, signal: null });
  expect(r.out).toContain('stopping: draining requests in flight');
});
