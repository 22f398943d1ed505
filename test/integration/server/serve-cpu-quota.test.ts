/**
 * A container's CPU limit (a cgroup CFS quota, `resources.limits.cpu`) sizes what is sized from the
 * cores (held-out probe round 14b): `os.availableParallelism()` follows the affinity only, so a pod
 * limited to 1 CPU on a 2-core node got the admission defaults of 2 cores and onnxruntime one
 * intra-op thread per core of the machine. `vlrerank serve` is started in a real cpu cgroup (v1
 * `cpu.cfs_quota_us`/`cpu.cfs_period_us` or v2 `cpu.max`) of "50000 100000" — half a core, so 1: the
 * start log says the quota, and health's admission limits are those of 1 core (maxQueued 8, not
 * 16) — and without a quota (2 cores, no word). With real models, warmed: under the quota the
 * process runs fewer threads than the same server told `VLRERANK_INTRA_OP_THREADS=2` (onnxruntime's
 * default on this machine), i.e. the quota's 1 thread per session — and so does one whose affinity
 * is one core (`taskset -c 0`, no quota). Needs root, a writable cpu cgroup
 * hierarchy and at least 2 cores: skipped, saying which, otherwise.
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { makeCgroup, removeCgroups, type Cgroup } from '../../helpers/cgroups.js';
import { listeningUrl } from '../../helpers/listening.js';
import { MODELS, REPO_ROOT } from '../../helpers/paths.js';

/** A fresh cpu cgroup with `quota` µs per 100 ms (undefined: none) and the file a process joins it by, or why there is none. */
function cpuCgroup(name: string, quota: number | undefined): Cgroup | string {
  if (availableParallelism() < 2) return 'needs 2 cores (a quota of 1 core lowers nothing on 1)';
  return makeCgroup('cpu', name, { v1: [['cpu.cfs_quota_us', String(quota ?? -1)], ['cpu.cfs_period_us', '100000']], v2: [['cpu.max', `${quota ?? 'max'} 100000`]] });
}

const noModels = mkdtempSync(join(tmpdir(), 'vlr-nomodels-'));
let made = 0;
afterAll(() => {
  removeCgroups();
  rmSync(noModels, { recursive: true, force: true });
});
const probe = cpuCgroup(`vlrerank-test-cpu-probe-${process.pid}`, undefined);
const skip = typeof probe === 'string' ? probe : undefined;
if (skip) console.warn(`serve-cpu-quota: skipped — ${skip}`);

/** Serve in a cpu cgroup; `look` runs once it listens (and, with models, once warmed); then SIGTERM. */
async function serveIn<T>(quota: number | undefined, o: { models: boolean; env?: Record<string, string>; cpus?: string }, look: (url: string, pid: number) => Promise<T>): Promise<{ out: string; seen: T }> {
  const cg = cpuCgroup(`vlrerank-test-cpu-${quota ?? 'max'}-${made++}-${process.pid}`, quota) as Cgroup;
  // join the cgroup, then become the server: the quota holds for the server's own process
  const child = spawn('sh', ['-c', 'echo $$ > "$0" && exec "$@"', cg.procs, ...(o.cpus ? ['taskset', '-c', o.cpus] : []), process.execPath, '--import', 'tsx', 'src/cli/main.ts', 'serve', '--port', '0', '--host', '127.0.0.1', '--upstream', 'http://127.0.0.1:9'], {
    cwd: REPO_ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, VLRERANK_LOG_LEVEL: 'info', VLRERANK_STORE_DISK_PATH: 'off', VLRERANK_MODELS_DIR: o.models ? MODELS : noModels, ...o.env },
  });
  let out = '';
  child.stdout!.on('data', (c: Buffer) => (out += c.toString()));
  child.stderr!.on('data', (c: Buffer) => (out += c.toString()));
  const exited = new Promise((r) => child.once('exit', r));
  const url = await listeningUrl(child, { timeoutMs: 120_000 });
  for (let i = 0; i < 4000 && !(o.models ? /reranker (ready|warm-up failed)/ : /no upstream node answers/).test(out); i++) await new Promise((r) => setTimeout(r, 25));
  const seen = await look(url, child.pid!);
  child.kill('SIGTERM');
  await exited;
  return { out, seen };
}

const limits = async (url: string) => ((await (await fetch(`${url}/_vlrerank/health`)).json()) as { rerank_admission: { limits: { maxQueued: number; maxInFlightDocuments: number } } }).rerank_admission.limits;

it.skipIf(skip !== undefined)('a CPU quota of half a core: said at start, admission sized for 1 core; none: 2 cores, no word', { timeout: 300_000 }, async () => {
  // each server in a cgroup of its own: the two run side by side
  const [low, none] = await Promise.all([serveIn(50_000, { models: false }, limits), serveIn(undefined, { models: false }, limits)]);
  expect(low.out).toContain('a CPU quota of 0.5 cores (cgroup) lowers the cores');
  expect(low.seen).toMatchObject({ maxQueued: 8, maxInFlightDocuments: 256 });
  expect(none.out).toContain('vlrerank listening');
  expect(none.out).not.toContain('a CPU quota');
  expect(none.seen).toMatchObject({ maxQueued: 8 * availableParallelism() });
});

it.skipIf(skip !== undefined)("a CPU quota of half a core: onnxruntime's sessions run fewer threads than with 2 intra-op threads", { timeout: 300_000 }, async () => {
  const threads = async (_url: string, pid: number) => readdirSync(`/proc/${pid}/task`).length;
  // each server in a cgroup of its own (each held to half a core): the two run side by side
  const [quota, two] = await Promise.all([serveIn(50_000, { models: true }, threads), serveIn(50_000, { models: true, env: { VLRERANK_INTRA_OP_THREADS: '2' } }, threads)]);
  expect(quota.out).toMatch(/reranker ready in/);
  expect(two.out).toMatch(/reranker ready in/);
  expect(quota.seen).toBeLessThan(two.seen);
});

const noTaskset = skip ?? (spawnSync('sh', ['-c', 'command -v taskset']).status !== 0 ? 'needs taskset (util-linux)' : undefined);
it.skipIf(noTaskset !== undefined)("an affinity of one core (taskset -c 0, no quota): onnxruntime's sessions run fewer threads than with 2 intra-op threads", { timeout: 300_000 }, async () => {
  const threads = async (_url: string, pid: number) => readdirSync(`/proc/${pid}/task`).length;
  const [one, two] = await Promise.all([serveIn(undefined, { models: true, cpus: '0' }, threads), serveIn(undefined, { models: true, cpus: '0', env: { VLRERANK_INTRA_OP_THREADS: '2' } }, threads)]);
  expect(one.out).toMatch(/reranker ready in/);
  expect(one.out).not.toContain('a CPU quota');
  expect(two.out).toMatch(/reranker ready in/);
  expect(one.seen).toBeLessThan(two.seen);
});
