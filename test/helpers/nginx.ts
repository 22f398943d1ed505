/**
 * Debian's nginx (`nginx-light`, installed by the test bootstrap) run in the foreground as this
 * user — never the system service — with a prefix folder and `http { … }` body of the test's own:
 * `servers(ports)` gets as many free ports as `listens` asks for and returns the server blocks.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stopChild, untilUp } from './haproxy.js';
import { freePort } from './ports.js';

export interface RunningNginx {
  /** `http://127.0.0.1:PORT` of each listening port asked for, in order. */
  urls: string[];
  child: ChildProcess;
  /** nginx's error log so far. */
  log(): string;
  stop(): Promise<void>;
}

const listening = (port: string) =>
  new Promise<boolean>((resolve) => {
    const s = connect(Number(port), '127.0.0.1', () => (s.destroy(), resolve(true)));
    s.on('error', () => resolve(false));
  });

export async function runNginx(listens: number, servers: (ports: number[]) => string): Promise<RunningNginx> {
  const ports: number[] = [];
  for (let i = 0; i < listens; i++) ports.push(await freePort());
  const dir = mkdtempSync(join(tmpdir(), 'vlr-nginx-'));
  for (const d of ['logs', 'body', 'proxy', 'fastcgi', 'uwsgi', 'scgi']) mkdirSync(join(dir, d));
  const conf = [
    'worker_processes 1;',
    'daemon off;',
    `pid ${dir}/nginx.pid;`,
    'error_log stderr info;',
    'events { worker_connections 256; }',
    'http {',
    '  access_log off;',
    `  client_body_temp_path ${dir}/body; proxy_temp_path ${dir}/proxy; fastcgi_temp_path ${dir}/fastcgi; uwsgi_temp_path ${dir}/uwsgi; scgi_temp_path ${dir}/scgi;`,
    servers(ports),
    '}',
    '',
  ].join('\n');
  writeFileSync(join(dir, 'nginx.conf'), conf);
  const child = spawn('nginx', ['-p', dir, '-c', join(dir, 'nginx.conf')], { stdio: ['ignore', 'pipe', 'pipe'] });
  let log = '';
  child.stdout!.on('data', (c: Buffer) => (log += c.toString()));
  child.stderr!.on('data', (c: Buffer) => (log += c.toString()));
  const urls = ports.map((p) => `http://127.0.0.1:${p}`);
  // each port listens (plain or TLS; what is behind may be down on purpose)
  for (const url of urls) await untilUp(child, 'nginx', () => listening(new URL(url).port), () => log);
  return {
    urls,
    child,
    log: () => log,
    stop: () => stopChild(child, 'SIGQUIT'), // nginx's graceful stop
  };
}
