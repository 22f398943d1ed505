/**
 * The memory limit a container runtime set on this process (its cgroup's `memory.max`, v2, or
 * `memory.limit_in_bytes`, v1), so `vlrerank serve` can say at start when the limit is below what a
 * replica uses: past it the kernel kills the process (OOMKilled) and nothing can be logged first —
 * a pod with 300 MiB was killed at its first reranked search with no word (held-out probe round 14b).
 * The cgroup is read by config/cgroup.ts (shared with the CPU quota).
 */
import { cgroupMemoryLimit } from '../config/cgroup.js';

/** What the models and a rerank's working set took beyond the feature cache (probe round 14b: 588 MB after a 40-photo rerank). */
export const WORKING_SET_BYTES = 768 * 2 ** 20;

/** A warning when the cgroup's memory limit is below the feature cache's bound plus the working set, else undefined. */
export function memoryLimitWarning(cacheMaxBytes: number, limit = cgroupMemoryLimit()): string | undefined {
  if (limit === undefined || limit >= cacheMaxBytes + WORKING_SET_BYTES) return undefined;
  const mib = (n: number) => Math.round(n / 2 ** 20);
  return `the memory limit (cgroup) is ${mib(limit)} MiB: the in-memory feature cache may take ${mib(cacheMaxBytes)} MiB (cache.maxBytes) and the models with a rerank's working set about ${mib(WORKING_SET_BYTES)} MiB more — past the limit the kernel kills the process without a word (OOMKilled); raise the limit or lower VLRERANK_CACHE_MAX_BYTES`;
}

/**
 * A hint when the process runs on glibc without `MALLOC_MMAP_THRESHOLD_`: glibc's dynamic mmap
 * threshold lets the resident memory of sharp's decodes (and OCR's sharp work) creep by hundreds of
 * MB over hours while the JS heap stays flat; 131072 keeps it flat at the same speed (rss14,
 * docs/DEPLOYMENT.md "Sizing"). Node 20 cannot set it for itself (no execve; mallopt unreachable),
 * so the operator's environment must. Undefined on other C libraries, when it is set, or when
 * another allocator is preloaded (`LD_PRELOAD` naming jemalloc, tcmalloc or mimalloc): jemalloc kept
 * decoding flat too (rss14) at less CPU than the threshold (perf16, "Sizing").
 */
export function mallocHint(env: NodeJS.ProcessEnv = process.env, glibc: string | null = glibcVersion() ?? null): string | undefined {
  if (!glibc || env.MALLOC_MMAP_THRESHOLD_ !== undefined) return undefined;
  if (/(?:^|[/:\s])lib(?:jemalloc|tcmalloc[^/:\s]*|mimalloc)\.so/.test(env.LD_PRELOAD ?? '')) return undefined;
  return `glibc ${glibc} without MALLOC_MMAP_THRESHOLD_: resident memory creeps under image decoding (hundreds of MB over hours, the JS heap flat); set MALLOC_MMAP_THRESHOLD_=131072 in the service's environment, or preload jemalloc (LD_PRELOAD=libjemalloc.so.2: flat too, less CPU, ~60–80 MB higher) (docs/DEPLOYMENT.md "Sizing")`;
}

/** The glibc version this process runs on (from Node's diagnostic report header), or undefined (musl, macOS…). */
function glibcVersion(): string | undefined {
  const header = (process.report?.getReport() as { header?: { glibcVersionRuntime?: string } } | undefined)?.header;
  return header?.glibcVersionRuntime;
}
