/**
 * Test helper: a real vlrerank server on 127.0.0.1:0 over ../shared/models, with ../shared/data as
 * the media root and an admin token; or a second one as a separate process (remote-backend tests).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { loadConfig } from '../../src/config/load.js';
import { startServer, type RunningServer } from '../../src/server/start.js';
import { createLogger } from '../../src/observability/logger.js';
import { listeningUrl } from './listening.js';
import { DATA, MODELS, REPO_ROOT } from './paths.js';

export const ADMIN_TOKEN = 'test-admin-token-0123';

export function rerankConfigFlags(extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    'server.port': 0,
    'server.adminToken': ADMIN_TOKEN,
    'models.dir': MODELS,
    'models.intraOpThreads': 2,
    'media.roots': [DATA],
    'log.level': 'silent',
    'upstream.urls': ['http://127.0.0.1:9'],
    ...extra,
  };
}

export function startRerankServer(extra: Record<string, unknown> = {}): Promise<RunningServer> {
  const config = loadConfig({ env: {}, flags: rerankConfigFlags(extra) });
  return startServer(config, { logger: createLogger('silent') });
}

/** A server that loads its models on first use (no warm-up); its close() is pushed onto `cleanups` (run by the test's afterAll). */
export async function startColdServer(cleanups: Array<() => unknown>, flags: Record<string, unknown> = {}): Promise<RunningServer> {
  const srv = await startRerankServer({ 'rerank.warmup': false, ...flags });
  cleanups.push(() => srv.close());
  return srv;
}

/**
 * A second vlrerank as its own process (`vlrerank serve`), resolved with its URL once it listens.
 * `role: 'worker'` runs `serve --role worker`; `mediaRoots: false` gives it no local media roots
 * (a scorer machine that cannot read this machine's disk); `upstream` the cluster it fronts.
 */
export async function spawnRerankProcess(opts: { role?: 'worker'; mediaRoots?: boolean; upstream?: string; env?: Record<string, string> } = {}): Promise<{ url: string; child: ChildProcess; stop(): Promise<void> }> {
  const args = ['--import', 'tsx', 'src/cli/main.ts', 'serve', '--port', '0', '--models-dir', MODELS, '--log-level', 'warn', '--upstream', opts.upstream ?? 'http://127.0.0.1:9'];
  if (opts.role) args.push('--role', opts.role);
  const child = spawn(process.execPath, args, {
    cwd: REPO_ROOT,
    // no disk feature store: `serve` would default to the repo's .cache, shared by every test process
    env: { ...Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('VLRERANK_'))), ...(opts.mediaRoots === false ? {} : { VLRERANK_MEDIA_ROOTS: DATA }), VLRERANK_STORE_DISK_PATH: 'off', ...opts.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const url = await listeningUrl(child, { timeoutMs: 120_000, what: 'second vlrerank' });
  return {
    url,
    child,
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null || child.signalCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
        setTimeout(() => child.kill('SIGKILL'), 10_000).unref();
      }),
  };
}

/** POST a JSON body (a string is sent as it is) to `base + path`: status, headers and the parsed answer. */
export async function postJson(base: string, path: string, body: unknown): Promise<{ status: number; headers: Headers; json: any }> {
  const res = await fetch(base + path, { method: 'POST', headers: { 'content-type': 'application/json' }, body: typeof body === 'string' ? body : JSON.stringify(body) });
  return { status: res.status, headers: res.headers, json: await res.json() };
}
