/**
 * A vlrerank server in this process for integration tests: port 0 on loopback, silent logs, the
 * given upstream URLs and any config overrides (validated by the real schema).
 */
import { parseConfig } from '../../src/config/load.js';
import { startServer, type RunningServer } from '../../src/server/start.js';

export async function startProxy(urls: string[], overrides: { upstream?: Record<string, unknown>; server?: Record<string, unknown>; log?: Record<string, unknown> } = {}): Promise<RunningServer> {
  const config = parseConfig({
    server: { host: '127.0.0.1', port: 0, ui: false, ...overrides.server },
    upstream: { urls, ...overrides.upstream },
    log: { level: 'silent', access: false, ...overrides.log },
  });
  return startServer(config);
}

/**
 * vlrerank in its own process (`vlrerank serve` via tsx), for tests that measure the proxy's own
 * memory (RSS of that process only). Resolves once it prints its URL.
 */
export async function spawnProxyProcess(urls: string[], env: Record<string, string> = {}): Promise<{ url: string; pid: number; stop: () => Promise<void> }> {
  const { spawn } = await import('node:child_process');
  const { REPO_ROOT } = await import('./paths.js');
  const { listeningUrl } = await import('./listening.js');
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'serve', '--port', '0', '--host', '127.0.0.1', '--upstream', urls.join(',')], {
    cwd: REPO_ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
    // no disk feature store: `serve` would default to the repo's .cache, shared by every test process
    env: { ...process.env, VLRERANK_LOG_LEVEL: 'warn', VLRERANK_STORE_DISK_PATH: 'off', ...env },
  });
  const url = await listeningUrl(child);
  return {
    url,
    pid: child.pid!,
    stop: async () => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      await exited;
    },
  };
}
