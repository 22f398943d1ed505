/** The main thread's own clocks for the perf22 benches (image-paths.ts, thread-stats.ts). */
import { readFileSync } from 'node:fs';
import { PerformanceObserver } from 'node:perf_hooks';

/** CPU time of this process's main thread so far, ms (the kernel's run time of the thread whose id is the pid). */
export function mainThreadMs(): number {
  return Number(readFileSync(`/proc/self/task/${process.pid}/schedstat`, 'utf8').split(' ')[0]) / 1e6;
}

/** The main thread's collections from now on, all and major (mark-compacts); `reset` starts the count again. */
export function countGcs(): { n: number; major: number; reset(): void } {
  const c = { n: 0, major: 0, reset: () => ((c.n = 0), (c.major = 0), undefined) };
  new PerformanceObserver((list) => {
    for (const e of list.getEntries()) {
      c.n++;
      if ((e as unknown as { detail?: { kind?: number } }).detail?.kind === 4) c.major++; // NODE_PERFORMANCE_GC_MAJOR
    }
  }).observe({ entryTypes: ['gc'] });
  return c;
}
