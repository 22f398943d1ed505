/**
 * Test helper for the feature store: a fresh temporary folder per test (so no two tests, and no two
 * of the suite's parallel servers, ever share a disk tier), and a real `redis-server` (Debian's)
 * started on a free loopback port with persistence off, stopped (or killed mid-test) by the test.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { freePort } from './ports.js';

/** A new empty folder under the OS temp dir; `cleanup()` removes it. */
export function tempStoreDir(label = 'store'): { path: string; cleanup(): void } {
  const path = mkdtempSync(join(tmpdir(), `vlrerank-store-tiers-${label}-`));
  return { path, cleanup: () => rmSync(path, { recursive: true, force: true }) };
}

export interface RedisServer {
  url: string;
  port: number;
  child: ChildProcess;
  /** A plain client of this server (for assertions). */
  client(): Redis;
  /** SIGKILL, as a crash would. */
  kill(): Promise<void>;
  stop(): Promise<void>;
}

/**
 * Start `redis-server` on a free port (no RDB, no AOF); resolves once it answers PING. `args` are
 * more of its options (`--replicaof`, `--cluster-enabled`…); `first` replaces the leading ones (a
 * sentinel's config file before `--sentinel`).
 */
export async function startRedis(port?: number, args: string[] = [], first: string[] = []): Promise<RedisServer> {
  const p = port ?? (await freePort());
  const child = spawn('redis-server', [...first, '--port', String(p), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--protected-mode', 'no', ...args], { stdio: 'ignore' });
  const clients: Redis[] = [];
  const probe = new Redis({ port: p, host: '127.0.0.1', lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
  probe.on('error', () => undefined);
  for (let i = 0; ; i++) {
    try {
      await probe.connect();
      await probe.ping();
      break;
    } catch (e) {
      if (i > 600 || child.exitCode !== null) throw new Error(`redis-server did not start on ${p}: ${(e as Error).message}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }
  probe.disconnect();
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  const end = async (signal: NodeJS.Signals) => {
    for (const c of clients) c.disconnect();
    if (child.exitCode === null && child.signalCode === null) child.kill(signal);
    await exited;
  };
  return {
    url: `redis://127.0.0.1:${p}`,
    port: p,
    child,
    client() {
      const c = new Redis({ port: p, host: '127.0.0.1', maxRetriesPerRequest: 1 });
      c.on('error', () => undefined);
      clients.push(c);
      return c;
    },
    kill: () => end('SIGKILL'),
    stop: () => end('SIGTERM'),
  };
}

/** The disk tier's section of `/_vlrerank/health` of the server at `url`. */
export async function diskTierHealth(url: string): Promise<any> {
  return ((await (await fetch(`${url}/_vlrerank/health`)).json()) as any).feature_store.disk;
}

/** Ask health every 100 ms (at most 100 more times) until `cond` holds of the disk tier (writes are asynchronous); its last state either way. */
export async function settleDiskTier(url: string, cond: (d: any) => boolean): Promise<any> {
  let d = await diskTierHealth(url);
  for (let i = 0; i < 100 && !cond(d); i++) {
    await new Promise((r) => setTimeout(r, 100));
    d = await diskTierHealth(url);
  }
  return d;
}
