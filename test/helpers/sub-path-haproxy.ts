/**
 * Debian's HAProxy serving one backend at a sub-path, as an ingress or a shared host does
 * (`https://host/search-api/…` → vlrerank at `/`): requests under the prefix have it stripped and go
 * to the backend, `/prefix` alone is redirected to `/prefix/`, anything else is HAProxy's own 404 —
 * so a request that lost the prefix fails where a browser or a client can see it.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, type RunningHaproxy } from './haproxy.js';

export function subPathConfig(port: number, prefix: string, backend: string): string {
  return [
    'defaults',
    '    mode http',
    '    timeout connect 1s',
    '    timeout client 60s',
    '    timeout server 60s',
    'frontend sub',
    `    bind 127.0.0.1:${port}`,
    `    acl under path_beg ${prefix}/`,
    `    http-request redirect location ${prefix}/ code 301 if { path ${prefix} }`,
    '    http-request deny deny_status 404 if !under',
    `    http-request replace-path ${prefix}(/.*) \\1`,
    '    default_backend app',
    'backend app',
    `    server app ${new URL(backend).host}`,
    '',
  ].join('\n');
}

export async function startSubPathHaproxy(backend: string, prefix: string): Promise<RunningHaproxy> {
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'vlr-haproxy-sub-'));
  const cfg = join(dir, 'haproxy.cfg');
  writeFileSync(cfg, subPathConfig(port, prefix, backend));
  const child = spawn('haproxy', ['-db', '-f', cfg], { stdio: ['ignore', 'pipe', 'pipe'] });
  let log = '';
  child.stdout!.on('data', (c: Buffer) => (log += c.toString()));
  child.stderr!.on('data', (c: Buffer) => (log += c.toString()));
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 30_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`haproxy exited ${child.exitCode}: ${log}`);
    try {
      const res = await fetch(`${url}${prefix}/_vlrerank/health?live`);
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
