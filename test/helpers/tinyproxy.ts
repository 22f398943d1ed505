/**
 * Debian's tinyproxy (installed by the test bootstrap) as a corporate egress proxy, run in the
 * foreground as this user with a config of the test's own: an optional basic-auth user, an optional
 * CONNECT port allowlist. Its log tells which requests it was asked (absolute-form GETs, CONNECTs).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stopChild, untilUp } from './haproxy.js';
import { freePort } from './ports.js';

export interface RunningTinyproxy {
  /** `http://127.0.0.1:PORT` (no credentials). */
  url: string;
  port: number;
  /** The request lines it was asked, in order (`GET http://127.0.0.1:8080/a.jpg HTTP/1.1`, `CONNECT 127.0.0.1:8443 HTTP/1.1`). */
  requests(): string[];
  /** Its whole log so far. */
  log(): string;
  stop(): Promise<void>;
}

export async function startTinyproxy(o: { basicAuth?: [string, string]; connectPorts?: number[] } = {}): Promise<RunningTinyproxy> {
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'vlr-tinyproxy-'));
  const logFile = join(dir, 'tinyproxy.log');
  const conf = [
    `Port ${port}`,
    'Listen 127.0.0.1',
    'Timeout 30',
    `LogFile "${logFile}"`,
    'LogLevel Info',
    'MaxClients 64',
    'Allow 127.0.0.1',
    'DisableViaHeader Yes',
    ...(o.basicAuth ? [`BasicAuth ${o.basicAuth[0]} ${o.basicAuth[1]}`] : []),
    ...(o.connectPorts ?? []).map((p) => `ConnectPort ${p}`),
    '',
  ].join('\n');
  writeFileSync(join(dir, 'tinyproxy.conf'), conf);
  const child: ChildProcess = spawn('tinyproxy', ['-d', '-c', join(dir, 'tinyproxy.conf')], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout!.on('data', (c: Buffer) => (out += c.toString()));
  child.stderr!.on('data', (c: Buffer) => (out += c.toString()));
  const log = () => {
    try {
      return readFileSync(logFile, 'utf8');
    } catch {
      return out;
    }
  };
  const listening = () =>
    new Promise<boolean>((resolve) => {
      const s = connect(port, '127.0.0.1', () => (s.destroy(), resolve(true)));
      s.on('error', () => resolve(false));
    });
  await untilUp(child, 'tinyproxy', listening, log);
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    log,
    requests: () => [...log().matchAll(/Request \(file descriptor \d+\): (.*)$/gm)].map((m) => m[1]!.trim()),
    async stop() {
      await stopChild(child, 'SIGTERM');
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
