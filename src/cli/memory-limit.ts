/**
 * The memory limit a container runtime set on this process (its cgroup's `memory.max`, v2, or
 * `memory.limit_in_bytes`, v1), so `vlrerank serve` can say at start when the limit is below what a
 * replica uses: past it the kernel kills the process (OOMKilled) and nothing can be logged first —
 * a pod with 300 MiB was killed at its first reranked search with no word (held-out probe round 14b).
 */
import { readFileSync } from 'node:fs';

function read(file: string): string | undefined {
  try {
    return readFileSync(file, 'utf8').trim();
  } catch {
    return undefined;
  }
}

/** The lowest memory limit of this process's own cgroup (v1 or v2), in bytes; undefined when unlimited or unknown. */
export function cgroupMemoryLimit(root = '/sys/fs/cgroup'): number | undefined {
  const files: string[] = [];
  for (const line of (read('/proc/self/cgroup') ?? '').split('\n')) {
    const [, controllers, path] = line.split(':');
    if (path === undefined) continue;
    const p = path === '/' ? '' : path;
    if (controllers === '') files.push(`${root}${p}/memory.max`, `${root}/unified${p}/memory.max`);
    else if (controllers!.split(',').includes('memory')) files.push(`${root}/memory${p}/memory.limit_in_bytes`);
  }
  const limits = files
    .map(read)
    .filter((v): v is string => v !== undefined && /^\d+$/.test(v))
    .map(Number)
    .filter((n) => n < 2 ** 60); // v1 writes "no limit" as a page-rounded 2^63
  return limits.length ? Math.min(...limits) : undefined;
}

/** What the models and a rerank's working set took beyond the feature cache (probe round 14b: 588 MB after a 40-photo rerank). */
export const WORKING_SET_BYTES = 768 * 2 ** 20;

/** A warning when the cgroup's memory limit is below the feature cache's bound plus the working set, else undefined. */
export function memoryLimitWarning(cacheMaxBytes: number, limit = cgroupMemoryLimit()): string | undefined {
  if (limit === undefined || limit >= cacheMaxBytes + WORKING_SET_BYTES) return undefined;
  const mib = (n: number) => Math.round(n / 2 ** 20);
  return `the memory limit (cgroup) is ${mib(limit)} MiB: the in-memory feature cache may take ${mib(cacheMaxBytes)} MiB (cache.maxBytes) and the models with a rerank's working set about ${mib(WORKING_SET_BYTES)} MiB more — past the limit the kernel kills the process without a word (OOMKilled); raise the limit or lower VLRERANK_CACHE_MAX_BYTES`;
}
