/**
 * A vlrerank server in this process for integration tests: port 0 on loopback, silent logs, the
 * given upstream URLs and any config overrides (validated by the real schema).
 */
import { parseConfig } from '../../src/config/load.js';
import { startServer, type RunningServer } from '../../src/http/server.js';

export async function startProxy(urls: string[], overrides: { upstream?: Record<string, unknown>; server?: Record<string, unknown>; log?: Record<string, unknown> } = {}): Promise<RunningServer> {
  const config = parseConfig({
    server: { host: '127.0.0.1', port: 0, ui: false, ...overrides.server },
    upstream: { urls, ...overrides.upstream },
    log: { level: 'silent', access: false, ...overrides.log },
  });
  return startServer(config);
}
