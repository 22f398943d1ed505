/**
 * `node --import tsx --import ./scripts/bench/thread-stats.ts src/cli/main.ts …`: at exit, writes one
 * line `thread-stats {json}` to stderr with the process's main-thread CPU (/proc schedstat of the
 * thread whose id is the pid), its whole CPU (user + sys), its main-thread GCs (all, major) and its
 * event loop's delay over the run (p99, max, ms). For measuring a CLI command as a user runs it
 * (backfill-pairs.ts); no effect on what the command does.
 */
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { countGcs, mainThreadMs } from './thread-clock.js';

const delay = monitorEventLoopDelay({ resolution: 5 });
delay.enable();
const gc = countGcs();
process.on('exit', () => {
  const u = process.cpuUsage();
  process.stderr.write(`thread-stats ${JSON.stringify({ main: mainThreadMs(), cpu: (u.user + u.system) / 1000, gc: { n: gc.n, major: gc.major }, loop: { p99: delay.percentile(99) / 1e6, max: delay.max / 1e6 } })}\n`);
});
