/**
 * Start-up hints about memory for `vlrerank serve`. The memory limit's own warning (a cgroup limit
 * below the feature cache plus the working set) is said where the cache is sized from it:
 * config/cache-budget.ts, logged by rerank/service.ts (fix15).
 */
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
