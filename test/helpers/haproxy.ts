/**
 * Debian's HAProxy (`haproxy`, installed by the test bootstrap) in front of vlrerank replicas, run
 * in the foreground from docs/haproxy.cfg with this test's ports (its `server` lines, active and
 * fallback, rewritten for the given replicas): the example users copy is the one the test runs.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { REPO_ROOT } from './paths.js';
import { freePort } from './ports.js';

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

/** Debian's HAProxy in the foreground on `config(port)`, up once `ready(url)` says so (30 s at most). */
export async function runHaproxy(config: (port: number) => string, ready: (url: string) => Promise<boolean>): Promise<RunningHaproxy> {
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'vlr-haproxy-'));
  const cfg = join(dir, 'haproxy.cfg');
  writeFileSync(cfg, config(port));
  const child = spawn('haproxy', ['-db', '-f', cfg], { stdio: ['ignore', 'pipe', 'pipe'] });
  let log = '';
  child.stdout!.on('data', (c: Buffer) => (log += c.toString()));
  child.stderr!.on('data', (c: Buffer) => (log += c.toString()));
  const url = `http://127.0.0.1:${port}`;
  await untilUp(child, 'haproxy', () => ready(url).catch(() => false), () => log); // not listening yet: refused
  return {
    url,
    child,
    log: () => log,
    stop: () => stopChild(child, 'SIGTERM'),
  };
}

/** Wait (30 s at most) until `ready()` says a foreground proxy is up; its exit or the deadline is an error with what it printed. */
export async function untilUp(child: ChildProcess, name: string, ready: () => Promise<boolean>, log: () => string): Promise<void> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`${name} exited ${child.exitCode}: ${log()}`);
    if (await ready()) return;
    if (Date.now() > deadline) throw new Error(`${name} did not come up: ${log()}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Signal a foreground proxy (HAProxy, nginx) to stop and wait for it to exit. */
export async function stopChild(child: ChildProcess, signal: NodeJS.Signals): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((r) => child.once('exit', r));
  child.kill(signal);
  await exited;
}

/** A readiness check: `path` answers `status`. */
export const answers = (path: string, status: number) => async (url: string) => {
  const res = await fetch(`${url}${path}`);
  await res.arrayBuffer();
  return res.status === status;
};

export async function startHaproxy(replicas: string[]): Promise<RunningHaproxy> {
  return runHaproxy((port) => haproxyConfig(port, replicas), answers('/_vlrerank/health?live', 200));
}

/** An authenticating gateway in front of an engine: its log lines (one per request, as its config logs them). */
export interface GatewayHaproxy {
  url: string;
  lines(): string[];
  stop(): Promise<void>;
}

/** The `global` and `defaults` sections of the gateways' configs (tenant-gateway.ts, write-gateway.ts). */
export const GATEWAY_DEFAULTS = `global
    maxconn 256
defaults
    mode http
    timeout connect 5s
    timeout client 120s
    timeout server 120s
    option http-keep-alive`;

/** An HAProxy on `config(port)` that answers `/_cluster/health` with `upStatus` once up; its log lines kept by `keep`. */
export async function startGatewayHaproxy(config: (port: number) => string, upStatus: number, keep: (line: string) => boolean): Promise<GatewayHaproxy> {
  const h = await runHaproxy(config, answers('/_cluster/health', upStatus));
  return { url: h.url, lines: () => h.log().split('\n').filter(keep), stop: h.stop };
}
