/**
 * `vlrerank serve` whose stdout or stderr cannot be written (held-out probe round 31d): stdout a pipe
 * whose reader is gone (`vlrerank serve | head -1`), stdout or stderr `/dev/full` (a log file on a
 * full disk). The server must go on answering and stop cleanly on SIGTERM. Before: a pipe's reader
 * gone hung the server a second after start (the access log's timer called sonic-boom's flushSync,
 * which retries EPIPE forever, 100 ms apart, on the event loop — no answer, SIGTERM unheard);
 * stdout on a full disk hung it the same way from the uncaught ENOSPC's `fatal` line; stderr on
 * a full disk ended the start with an uncaught ENOSPC.
 */
import { spawn, type ChildProcess, type StdioOptions } from 'node:child_process';
import { closeSync, openSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { MODELS, REPO_ROOT } from '../../helpers/paths.js';

const children: ChildProcess[] = [];
afterAll(() => {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
});

/** `serve` on port 0 with `stdio`; the URL read from whichever of stdout/stderr is a pipe. */
async function serve(stdio: StdioOptions, onSpawn?: (c: ChildProcess) => void): Promise<{ child: ChildProcess; url: string; err: () => string; exited: Promise<number | null> }> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'serve', '--port', '0'], {
    cwd: REPO_ROOT,
    stdio,
    env: {
      ...Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('VLRERANK_'))),
      VLRERANK_UPSTREAM: 'http://127.0.0.1:1', // nothing there: health's liveness does not need an engine
      VLRERANK_LOG_LEVEL: 'info',
      VLRERANK_STORE_DISK_PATH: 'off',
      VLRERANK_MODELS_DIR: MODELS,
    },
  });
  children.push(child);
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  let text = '';
  const url = new Promise<string>((resolve, reject) => {
    const onData = (c: Buffer) => {
      text += c.toString();
      const m = /listening on (http:\/\/[^\s"]+)/.exec(text) ?? /"url":"(http:\/\/[^"]+)"/.exec(text);
      if (m) resolve(m[1]!);
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    child.once('exit', (code) => reject(new Error(`serve exited ${code} before it listened: ${text.slice(-2000)}`)));
  });
  onSpawn?.(child);
  return { child, url: await url, err: () => text, exited };
}

/** A few requests over more than the access log's 1 s flush: each must be answered. */
async function answersFor(url: string): Promise<number[]> {
  const statuses: number[] = [];
  for (let i = 0; i < 4; i++) {
    const res = await fetch(`${url}/_vlrerank/health?live`, { signal: AbortSignal.timeout(60_000) });
    statuses.push(res.status);
    await res.arrayBuffer();
    await new Promise((r) => setTimeout(r, 600));
  }
  return statuses;
}

describe('serve with an unwritable stdout or stderr', () => {
  it('stdout a pipe whose reader is gone: keeps answering, says so on stderr, stops on SIGTERM', async () => {
    const s = await serve(['ignore', 'pipe', 'pipe'], (c) => c.stdout!.destroy());
    expect(await answersFor(s.url)).toEqual([200, 200, 200, 200]);
    s.child.kill('SIGTERM');
    expect(await s.exited).toBe(0);
    expect(s.err()).toMatch(/the log cannot be written to stdout \(EPIPE\)/);
  }, 120_000);

  it('stdout /dev/full (a full disk): keeps answering, says so on stderr, stops on SIGTERM', async () => {
    const full = openSync('/dev/full', 'w');
    try {
      const s = await serve(['ignore', full, 'pipe']);
      expect(await answersFor(s.url)).toEqual([200, 200, 200, 200]);
      s.child.kill('SIGTERM');
      expect(await s.exited).toBe(0);
      expect(s.err()).toMatch(/the log cannot be written to stdout \(ENOSPC\)/);
    } finally {
      closeSync(full);
    }
  }, 120_000);

  it('stderr /dev/full: starts, answers and logs on stdout, stops on SIGTERM', async () => {
    const full = openSync('/dev/full', 'w');
    try {
      const s = await serve(['ignore', 'pipe', full]);
      expect(await answersFor(s.url)).toEqual([200, 200, 200, 200]);
      s.child.kill('SIGTERM');
      expect(await s.exited).toBe(0);
      expect(s.err()).toMatch(/"msg":"stopped: drained, exiting"/);
      expect(s.err()).not.toMatch(/"level":60/);
    } finally {
      closeSync(full);
    }
  }, 120_000);
});
