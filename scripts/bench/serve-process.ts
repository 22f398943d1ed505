/**
 * `vlrerank serve` as a process of its own, for the benchmarks that measure a real server from the
 * outside (bench:load, bench:restart): spawned with tsx from this checkout on a free port, resolved
 * with its URL once it says where it listens. Never waits for readiness (callers decide).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { resolve } from 'node:path';
import { listeningUrl } from '../../test/helpers/listening.js';

const REPO = resolve(import.meta.dirname, '../..');

export async function spawnServe(o: { upstream: string; modelsDir: string; env?: Record<string, string>; nodeArgs?: string[]; /** another checkout to run (before/after in one run) */ repo?: string }): Promise<{ url: string; child: ChildProcess }> {
  const child = spawn(process.execPath, [...(o.nodeArgs ?? []), '--import', 'tsx', 'src/cli/main.ts', 'serve', '--port', '0', '--upstream', o.upstream, '--models-dir', o.modelsDir, '--log-level', 'warn'], {
    cwd: o.repo ?? REPO,
    env: { ...process.env, ...o.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const url = await listeningUrl(child, { what: 'vlrerank' });
  return { url, child };
}
