/**
 * What a container runtime set on this process through its own cgroup (v1 or v2), read from
 * /proc/self/cgroup and /sys/fs/cgroup: the memory limit (cli/memory-limit.ts warns when it is below
 * what a replica uses) and the CPU quota (`resources.limits.cpu`: the cores the admission defaults
 * and onnxruntime's threads are sized from). `os.availableParallelism()` follows the affinity
 * (`taskset`, a cpuset) but not a CFS quota: a pod limited to 1 CPU on a 2-core node was sized for 2
 * (held-out probe round 14b). Reads files only; never throws (unknown is undefined).
 */
import { readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';

function read(file: string): string | undefined {
  try {
    return readFileSync(file, 'utf8').trim();
  } catch {
    return undefined;
  }
}

/**
 * The files named `v2` (cgroup v2, the unified hierarchy, also mounted at `<root>/unified` in hybrid
 * mode) and `v1` (the v1 hierarchy holding `controller`) of this process's own cgroup, that exist or not.
 */
export function cgroupFiles(controller: string, v2: string, v1: string, root = '/sys/fs/cgroup'): { v2: string[]; v1: string[] } {
  const out = { v2: [] as string[], v1: [] as string[] };
  for (const line of (read('/proc/self/cgroup') ?? '').split('\n')) {
    const [, controllers, path] = line.split(':');
    if (path === undefined) continue;
    const p = path === '/' ? '' : path;
    if (controllers === '') out.v2.push(`${root}${p}/${v2}`, `${root}/unified${p}/${v2}`);
    else if (controllers!.split(',').includes(controller)) out.v1.push(`${root}/${controller}${p}/${v1}`, `${root}/${controllers}${p}/${v1}`);
  }
  return out;
}

/** The lowest memory limit of this process's own cgroup (v1 or v2), in bytes; undefined when unlimited or unknown. */
export function cgroupMemoryLimit(root = '/sys/fs/cgroup'): number | undefined {
  const { v2, v1 } = cgroupFiles('memory', 'memory.max', 'memory.limit_in_bytes', root);
  const limits = [...v2, ...v1]
    .map(read)
    .filter((v): v is string => v !== undefined && /^\d+$/.test(v))
    .map(Number)
    .filter((n) => n < 2 ** 60); // v1 writes "no limit" as a page-rounded 2^63
  return limits.length ? Math.min(...limits) : undefined;
}

/** The CPU quota of this process's own cgroup in cores (quota / period: 0.5 for "50000 100000"); undefined when unlimited or unknown. */
export function cgroupCpuQuota(root = '/sys/fs/cgroup'): number | undefined {
  const { v2, v1 } = cgroupFiles('cpu', 'cpu.max', 'cpu.cfs_quota_us', root);
  const quotas: number[] = [];
  for (const f of v2) {
    const [quota, period] = (read(f) ?? '').split(/\s+/).map(Number); // "max 100000" when unlimited: NaN
    if (quota! > 0 && period! > 0) quotas.push(quota! / period!);
  }
  for (const f of v1) {
    const quota = Number(read(f)); // -1 when unlimited
    const period = Number(read(f.replace(/cpu\.cfs_quota_us$/, 'cpu.cfs_period_us')));
    if (quota > 0 && period > 0) quotas.push(quota / period);
  }
  return quotas.length ? Math.min(...quotas) : undefined;
}

/** The cores this process may use: the affinity (`os.availableParallelism()`), lowered to ⌈quota⌉ by a CPU quota. */
export function usableCores(affinity = availableParallelism(), quota = cgroupCpuQuota()): { cores: number; affinity: number; quota: number | undefined } {
  const cores = quota === undefined ? affinity : Math.max(1, Math.min(affinity, Math.ceil(quota)));
  return { cores, affinity, quota };
}
