/**
 * Debian's HAProxy (`haproxy`, installed by the test bootstrap) in front of vlrerank replicas, run
 * in the foreground from docs/haproxy.cfg with this test's ports (its `server` lines, active and
 * fallback, rewritten for the given replicas): the example users copy is the one the test runs.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { REPO_ROOT } from './paths.js';

export async function freePort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const port = (srv.address() as { port: number }).port;
  await new Promise((r) => srv.close(r));
  return port;
}

export interface RunningHaproxy {
  url: string;
  child: ChildProcess;
  /** What HAProxy printed (server state changes with their reasons). */
  log(): string;
  stop(): Promise<void>;
}

/** The example config with `bind` on `port` and one `server` line per replica URL. */
export function haproxyConfig(port: number, replicas: string[]): string {
  const example = readFileSync(join(REPO_ROOT, 'docs/haproxy.cfg'), 'utf8');
  const servers = replicas.map((u, i) => `    server replica${i + 1} ${new URL(u).host} check observe layer4 error-limit 1 on-error mark-down`).join('\n');
  const fallbacks = replicas.map((u, i) => `    server fallback${i + 1} ${new URL(u).host} backup`).join('\n');
  return example
    .replace(/^\s*bind .*$/m, `    bind 127.0.0.1:${port}`)
    .replace(/(^\s*server replica\d+ .*\n?)+/m, `${servers}\n`)
    .replace(/(^\s*server fallback\d+ .*\n?)+/m, `${fallbacks}\n`);
}

export async function startHaproxy(replicas: string[]): Promise<RunningHaproxy> {
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'vlr-haproxy-'));
  const cfg = join(dir, 'haproxy.cfg');
  writeFileSync(cfg, haproxyConfig(port, replicas));
  const child = spawn('haproxy', ['-db', '-f', cfg], { stdio: ['ignore', 'pipe', 'pipe'] });
  let log = '';
  child.stdout!.on('data', (c: Buffer) => (log += c.toString()));
  child.stderr!.on('data', (c: Buffer) => (log += c.toString()));
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 30_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`haproxy exited ${child.exitCode}: ${log}`);
    try {
      const res = await fetch(`${url}/_vlrerank/health?live`);
      await res.arrayBuffer();
      if (res.status === 200) break;
    } catch {
      /* not listening yet */
    }
    if (Date.now() > deadline) throw new Error(`haproxy did not come up: ${log}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    url,
    child,
    log: () => log,
    stop: async () => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      await exited;
    },
  };
}

/** An HAProxy started on `config(port)` that answers `/_cluster/health` with `upStatus` once up; its log kept for `lines`. */
export async function startGatewayHaproxy(config: (port: number) => string, upStatus: number, keep: (line: string) => boolean): Promise<{ url: string; lines(): string[]; stop(): Promise<void> }> {
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'vlr-gateway-'));
  const cfg = join(dir, 'haproxy.cfg');
  writeFileSync(cfg, config(port));
  const child = spawn('haproxy', ['-db', '-f', cfg], { stdio: ['ignore', 'pipe', 'pipe'] });
  let log = '';
  child.stdout!.on('data', (c: Buffer) => (log += c.toString()));
  child.stderr!.on('data', (c: Buffer) => (log += c.toString()));
  const url = `http://127.0.0.1:${port}`;
  for (let i = 0; ; i++) {
    if (child.exitCode !== null) throw new Error(`haproxy exited ${child.exitCode}: ${log}`);
    const ok = await fetch(`${url}/_cluster/health`).then((r) => r.arrayBuffer().then(() => r.status === upStatus), () => false);
    if (ok) break;
    if (i > 300) throw new Error(`haproxy did not come up: ${log}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    url,
    lines: () => log.split('\n').filter(keep),
    stop: async () => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      await exited;
    },
  };
}
