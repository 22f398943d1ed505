/**
 * `node --import tsx --import ./scripts/bench/thread-stats.ts src/cli/main.ts …`: at exit, writes one
 * line `thread-stats {json}` to stderr with the process's main-thread CPU (/proc schedstat of the
 * thread whose id is the pid), its whole CPU (user + sys), its main-thread GCs (all, major) and its
 * event loop's delay over the run (p99, max, ms). For measuring a CLI command as a user runs it
 * (backfill-pairs.ts); no effect on what the command does.
 */
import { readFileSync } from 'node:fs';
import { monitorEventLoopDelay, PerformanceObserver } from 'node:perf_hooks';

const mainMs = () => Number(readFileSync(`/proc/self/task/${process.pid}/schedstat`, 'utf8').split(' ')[0]) / 1e6;
const delay = monitorEventLoopDelay({ resolution: 5 });
delay.enable();
const gc = { n: 0, major: 0 };
new PerformanceObserver((list) => {
  for (const e of list.getEntries()) {
    gc.n++;
    if ((e as unknown as { detail?: { kind?: number } }).detail?.kind === 4) gc.major++;
  }
}).observe({ entryTypes: ['gc'] });
process.on('exit', () => {
  const u = process.cpuUsage();
  process.stderr.write(`thread-stats ${JSON.stringify({ main: mainMs(), cpu: (u.user + u.system) / 1000, gc, loop: { p99: delay.percentile(99) / 1e6, max: delay.max / 1e6 } })}\n`);
});
