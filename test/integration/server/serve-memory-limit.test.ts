/**
 * A container's memory limit below what a replica uses is said at start (held-out probe round
 * 14b): past the limit the kernel kills the process (OOMKilled) and nothing can be logged first —
 * a pod with 300 MiB was killed at its first reranked search without a word. `vlrerank serve` is
 * started in a real memory cgroup (v1 `memory.limit_in_bytes` or v2 `memory.max`) of 512 MiB —
 * warned, naming the limit and `cache.maxBytes` — and of 4 GiB — not warned. No models (an empty
 * models folder) keep it small. Needs root and a writable memory cgroup hierarchy: skipped, saying
 * which, otherwise.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { makeCgroup, removeCgroups, type Cgroup } from '../../helpers/cgroups.js';
import { listeningUrl } from '../../helpers/listening.js';
import { REPO_ROOT } from '../../helpers/paths.js';

/** A fresh memory cgroup with `limit` bytes and the file a process joins it by, or why there is none. */
function memoryCgroup(name: string, limit: number): Cgroup | string {
  return makeCgroup('memory', name, { v1: [['memory.limit_in_bytes', String(limit)]], v2: [['memory.max', String(limit)]] });
}

const noModels = mkdtempSync(join(tmpdir(), 'vlr-nomodels-'));
afterAll(() => {
  removeCgroups();
  rmSync(noModels, { recursive: true, force: true });
});
const probe = memoryCgroup(`vlrerank-test-probe-${process.pid}`, 2 ** 30);
const skip = typeof probe === 'string' ? probe : undefined;
if (skip) console.warn(`serve-memory-limit: skipped — ${skip}`);

async function startIn(limit: number): Promise<string> {
  const cg = memoryCgroup(`vlrerank-test-${limit}-${process.pid}`, limit) as Cgroup;
  // join the cgroup, then become the server: the limit holds for the server's own process
  const child = spawn('sh', ['-c', 'echo $$ > "$0" && exec "$@"', cg.procs, process.execPath, '--import', 'tsx', 'src/cli/main.ts', 'serve', '--port', '0', '--host', '127.0.0.1', '--upstream', 'http://127.0.0.1:9'], {
    cwd: REPO_ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, VLRERANK_LOG_LEVEL: 'info', VLRERANK_STORE_DISK_PATH: 'off', VLRERANK_MODELS_DIR: noModels },
  });
  let out = '';
  child.stdout!.on('data', (c: Buffer) => (out += c.toString()));
  child.stderr!.on('data', (c: Buffer) => (out += c.toString()));
  const exited = new Promise((r) => child.once('exit', r));
  await listeningUrl(child, { timeoutMs: 120_000 });
  // the upstream (port 9) never answers: that warning is logged after the start-up checks
  for (let i = 0; i < 2000 && !/no upstream node answers/.test(out); i++) await new Promise((r) => setTimeout(r, 25));
  child.kill('SIGTERM');
  await exited;
  return out;
}

it.skipIf(skip !== undefined)('a 512 MiB memory limit is warned at start, naming it and cache.maxBytes; 4 GiB is not', { timeout: 300_000 }, async () => {
  const low = await startIn(512 * 2 ** 20);
  expect(low).toMatch(/"memory_limit_bytes":536870912.*the memory limit \(cgroup\) is 512 MiB: the in-memory feature cache may take 256 MiB \(cache\.maxBytes\).*OOMKilled/);
  const high = await startIn(4 * 2 ** 30);
  expect(high).toContain('vlrerank listening');
  expect(high).not.toContain('the memory limit (cgroup)');
});
