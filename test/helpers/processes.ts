/**
 * Test helper: the child processes of this test process still alive, from Linux /proc — a killed
 * ffmpeg (or a wedged fake of it) must have been reaped, not left behind.
 */
import { readFileSync, readdirSync } from 'node:fs';

export function childProcesses(): Array<{ pid: number; name: string }> {
  const out: Array<{ pid: number; name: string }> = [];
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const stat = readFileSync(`/proc/${d}/stat`, 'utf8');
      // the name is in parentheses and may hold spaces: the fields after the last ')' are state, ppid, …
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (ppid === process.pid) out.push({ pid: Number(d), name: stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')')) });
    } catch {
      /* gone */
    }
  }
  return out;
}
