/**
 * An Elasticsearch node of a test's own, for faults that must not touch the shared engines on
 * :19200–19203: the same 8.19 install (scripts/engines.ts), run as the engine user on free ports
 * with its own data and log folders and cluster name, so the test may freeze (SIGSTOP), thaw,
 * kill (SIGKILL) and restart it. Its data folder survives a kill, so a restarted node recovers
 * its indices. Never stops anything but the JVM it started (its pid file).
 */
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, openSync, readFileSync, readdirSync, readlinkSync, rmSync } from 'node:fs';
import { get as httpGet } from 'node:http';
import { join } from 'node:path';
import { ENGINE_USER, ENGINES, installEngine } from '../../scripts/engines.js';
import { freePort } from './ports.js';

export interface OwnEngine {
  url: string;
  port: number;
  /** Its transport port: what another cluster names in `cluster.remote.<alias>.seeds` (cross-cluster search). */
  transport: number;
  /** Start (or start again after a kill) and wait until the cluster answers yellow or green. */
  start(timeoutMs?: number): Promise<void>;
  /** Signal the JVM: SIGSTOP freezes it (a hung engine), SIGCONT thaws it, SIGKILL kills it. */
  signal(sig: 'SIGSTOP' | 'SIGCONT' | 'SIGKILL'): void;
  /** GET on the node over a connection of its own that closes after it (none left open to count). */
  get(path: string): Promise<{ status: number; body: any }>;
  /** Resolves once the JVM has exited (after a kill). */
  exited(): Promise<void>;
  /** Kill the JVM if it runs and remove its folders. */
  close(): Promise<void>;
}

const isRoot = process.getuid?.() === 0;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function alive(pid: number): boolean {
  try {
    // a zombie still answers kill(0): read its state
    const st = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return st.slice(st.lastIndexOf(')') + 2, st.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return false;
  }
}

/** `settings`: more `-E` settings of the node (e.g. `http.cors.enabled=true`). */
export async function startOwnElasticsearch(name: string, settings: readonly string[] = []): Promise<OwnEngine> {
  const spec = ENGINES.elasticsearch;
  const home = installEngine('elasticsearch');
  const port = await freePort();
  const transport = await freePort();
  const dir = mkdtempSync(join('/var/tmp', `vlr-${name}-`));
  if (isRoot) execFileSync('chown', [`${ENGINE_USER}:`, dir]);
  const pidFile = join(dir, 'es.pid');
  const url = `http://127.0.0.1:${port}`;
  const pid = (): number | undefined => (existsSync(pidFile) ? Number(readFileSync(pidFile, 'utf8').trim()) || undefined : undefined);
  const all = [...settings, `http.port=${port}`, `transport.port=${transport}`, `path.data=${join(dir, 'data')}`, `path.logs=${join(dir, 'logs')}`, `cluster.name=vlr-${name}-${process.pid}`, `node.name=${name}`];
  const env = [`${spec.javaHomeVar}=${spec.javaHome}`, 'ES_JAVA_OPTS=-Xms256m -Xmx256m -XX:TieredStopAtLevel=1', `PATH=${process.env.PATH ?? '/usr/bin:/bin'}`];
  const bin = join(home, 'bin', 'elasticsearch');
  const args = [...all.flatMap((s) => ['-E', s]), '-p', pidFile];

  const engine: OwnEngine = {
    url,
    port,
    transport,
    async start(timeoutMs = 240_000) {
      rmSync(pidFile, { force: true });
      const out = openSync(join(dir, `start-${Date.now()}.log`), 'w');
      const [cmd, argv] = isRoot ? ['runuser', ['-u', ENGINE_USER, '--', 'env', ...env, bin, ...args]] : ['env', [...env, bin, ...args]];
      const child = spawn(cmd, argv, { cwd: home, stdio: ['ignore', out, out], detached: true });
      child.unref();
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        try {
          const h = (await engine.get('/_cluster/health')).body as { status?: string };
          if (h.status === 'green' || h.status === 'yellow') return;
        } catch {
          /* not up yet */
        }
        if (child.exitCode !== null && !pid()) throw new Error(`own Elasticsearch exited during start-up; see ${dir}`);
        if (Date.now() > deadline) throw new Error(`own Elasticsearch not healthy after ${timeoutMs} ms; see ${readdirSync(dir).join(', ')} in ${dir}`);
        await sleep(500);
      }
    },
    get(path) {
      return new Promise((resolve, reject) => {
        const req = httpGet(`${url}${path}`, { agent: false, headers: { connection: 'close' }, timeout: 65_000 }, (res) => {
          let text = '';
          res.setEncoding('utf8');
          res.on('data', (c: string) => (text += c));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text ? JSON.parse(text) : undefined }));
          res.on('error', reject);
        });
        req.on('timeout', () => req.destroy(new Error(`GET ${path} timed out`)));
        req.on('error', reject);
      });
    },
    signal(sig) {
      const p = pid();
      if (!p) throw new Error('own Elasticsearch is not running');
      process.kill(p, sig);
    },
    async exited() {
      const p = pid();
      while (p && alive(p)) await sleep(100);
    },
    async close() {
      const p = pid();
      if (p && alive(p)) {
        process.kill(p, 'SIGCONT');
        process.kill(p, 'SIGKILL');
        await engine.exited();
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
  return engine;
}

/** Established TCP connections this process holds to `port` on loopback (Linux /proc): the proxy pool's sockets. */
export function connectionsTo(port: number): number {
  const inodes = new Set<string>();
  for (const fd of readdirSync('/proc/self/fd')) {
    try {
      const m = /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/self/fd/${fd}`));
      if (m) inodes.add(m[1]!);
    } catch {
      /* closed meanwhile */
    }
  }
  const hex = port.toString(16).toUpperCase().padStart(4, '0');
  let n = 0;
  for (const line of readFileSync('/proc/net/tcp', 'utf8').split('\n').slice(1)) {
    const f = line.trim().split(/\s+/);
    // rem_address ends with :PORT, st 01 = ESTABLISHED, inode is field 9
    if (f.length > 9 && f[2]!.endsWith(`:${hex}`) && f[3] === '01' && inodes.has(f[9]!)) n++;
  }
  return n;
}
