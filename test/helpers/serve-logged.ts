/**
 * `vlrerank serve` as a process whose JSON log a test reads as a shipper would: its stdout and stderr
 * kept apart, no `VLRERANK_*` of the test's environment, `info` level, no disk tier, the shared
 * models. Resolves once it says where it listens (readiness is the caller's to wait for). Children
 * are killed by `killServed()` (afterAll).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { listeningUrl } from './listening.js';
import { MODELS, REPO_ROOT } from './paths.js';

export interface Served {
  child: ChildProcess;
  out: string;
  err: string;
  url: string;
  exited: Promise<number | null>;
}

const children: ChildProcess[] = [];

/** `serve` with `args` after the subcommand (`--port 0` added), `nodeArgs` before tsx (a preloaded fault), `env` over its environment. */
export async function serveLogged(args: string[], nodeArgs: string[] = [], env: Record<string, string> = {}): Promise<Served> {
  const child = spawn(process.execPath, [...nodeArgs, '--import', 'tsx', 'src/cli/main.ts', 'serve', '--port', '0', ...args], {
    cwd: REPO_ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('VLRERANK_'))), VLRERANK_LOG_LEVEL: 'info', VLRERANK_STORE_DISK_PATH: 'off', VLRERANK_MODELS_DIR: MODELS, ...env },
  });
  children.push(child);
  const s: Served = { child, out: '', err: '', url: '', exited: new Promise((r) => child.once('exit', (code) => r(code))) };
  child.stdout!.on('data', (c: Buffer) => (s.out += c.toString()));
  child.stderr!.on('data', (c: Buffer) => (s.err += c.toString()));
  s.url = await listeningUrl(child, { timeoutMs: 120_000 });
  return s;
}

/** Kill what is still running (a test that failed before stopping its server). */
export function killServed(): void {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
}
