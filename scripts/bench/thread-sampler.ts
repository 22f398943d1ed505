/**
 * Who holds the CPU inside one process (task ld26; `bench:load --threads`): every second, each
 * thread's utime+stime, nice and name (comm) from /proc/<pid>/task/<tid>/stat, the main thread's run
 * and run-queue wait times (/proc/<pid>/task/<pid>/schedstat) and the machine's run queue
 * (/proc/loadavg). `summary()` gives, per thread name, its CPU share (cores) and nice; the main
 * thread's wait for a CPU against its run time; and, over the whole run, the machine's busiest
 * processes (this process's own children marked), so the server's share is seen beside the engine's,
 * the load generator's and everything else's. Linux only (elsewhere it samples nothing).
 */
import { readdirSync, readFileSync } from 'node:fs';

const TICK = 100; // USER_HZ: /proc stat times are in 1/100 s on Linux

interface Thread {
  comm: string;
  nice: number;
  /** utime+stime, ticks */
  cpu: number;
}

function threads(pid: number): Map<number, Thread> {
  const out = new Map<number, Thread>();
  let tids: string[];
  try {
    tids = readdirSync(`/proc/${pid}/task`);
  } catch {
    return out;
  }
  for (const tid of tids) {
    try {
      const stat = readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8');
      const comm = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
      // fields after ") " start at field 3 (state); utime 14, stime 15, nice 19
      const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      out.set(Number(tid), { comm, nice: Number(f[19 - 3]), cpu: Number(f[14 - 3]) + Number(f[15 - 3]) });
    } catch {
      // the thread ended between the listing and the read
    }
  }
  return out;
}

/** The main thread's run time and run-queue wait, ns (schedstat fields 1 and 2). */
function schedstat(pid: number): { run: number; wait: number } {
  try {
    const [run, wait] = readFileSync(`/proc/${pid}/task/${pid}/schedstat`, 'utf8').split(' ').map(Number);
    return { run: run!, wait: wait! };
  } catch {
    return { run: NaN, wait: NaN };
  }
}

/** Every process's CPU so far (utime+stime of all its threads, ticks), name, nice and parent. */
function processes(): Map<number, { comm: string; nice: number; ppid: number; cpu: number }> {
  const out = new Map<number, { comm: string; nice: number; ppid: number; cpu: number }>();
  for (const p of readdirSync('/proc')) {
    if (!/^\d+$/.test(p)) continue;
    try {
      const stat = readFileSync(`/proc/${p}/stat`, 'utf8');
      const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      out.set(Number(p), { comm: stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')')), nice: Number(f[19 - 3]), ppid: Number(f[4 - 3]), cpu: Number(f[14 - 3]) + Number(f[15 - 3]) });
    } catch {
      // ended between the listing and the read
    }
  }
  return out;
}

/** Machine CPU busy and total, ticks (/proc/stat's first line). */
function machine(): { busy: number; total: number } {
  const f = readFileSync('/proc/stat', 'utf8').split('\n', 1)[0]!.trim().split(/\s+/).slice(1).map(Number);
  const total = f.reduce((a, b) => a + b, 0);
  return { busy: total - f[3]! - (f[4] ?? 0), total };
}

/** Thread names with a number at the end (`ort-intra-3`, `libuv-worker`…) are grouped by their stem. */
const group = (comm: string) => comm.replace(/[-_ ]?\d+$/, '') || comm;
/** The main thread (its id is the pid) apart from the process's other unnamed threads ("node": V8's platform threads, libuv's pool). */
const nameOf = (pid: number, tid: number, comm: string) => (tid === pid ? 'main thread' : group(comm));

export interface ThreadSampler {
  stop(): void;
  /** Lines: per thread group, CPU (cores, mean over the run) and nice(s); main-thread wait; load average. */
  summary(): string[];
}

export function sampleThreads(pid: number, everyMs = 1000): ThreadSampler {
  const t0 = performance.now();
  const first = threads(pid);
  const s0 = schedstat(pid);
  const p0 = processes();
  const m0 = machine();
  let p1: typeof p0 | undefined;
  let m1: typeof m0 | undefined;
  let last = first;
  const cpu = new Map<string, { ticks: number; nices: Set<number>; tids: Set<number> }>();
  const loads: number[] = [];
  const add = (now: Map<number, Thread>) => {
    for (const [tid, t] of now) {
      const before = last.get(tid);
      // a thread new since the last sample ran all its time within the run (one that ended between samples is lost)
      const d = t.cpu - (before?.cpu ?? 0);
      const name = nameOf(pid, tid, t.comm);
      const g = cpu.get(name) ?? { ticks: 0, nices: new Set(), tids: new Set() };
      g.ticks += Math.max(0, d);
      g.nices.add(t.nice);
      g.tids.add(tid);
      cpu.set(name, g);
    }
    last = now;
  };
  const timer = setInterval(() => {
    add(threads(pid));
    loads.push(Number(readFileSync('/proc/loadavg', 'utf8').split(' ')[0]));
  }, everyMs);
  let s1: { run: number; wait: number } | undefined;
  let t1 = 0;
  return {
    stop() {
      clearInterval(timer);
      add(threads(pid));
      s1 = schedstat(pid);
      p1 = processes();
      m1 = machine();
      t1 = performance.now();
    },
    summary() {
      const secs = ((t1 || performance.now()) - t0) / 1000;
      const end = s1 ?? schedstat(pid);
      const rows = [...cpu].sort((a, b) => b[1].ticks - a[1].ticks);
      const total = rows.reduce((x, [, g]) => x + g.ticks, 0) / TICK / secs;
      const out = [`threads of pid ${pid} over ${secs.toFixed(0)} s: ${total.toFixed(2)} cores in all`];
      for (const [name, g] of rows) {
        if (g.ticks === 0) continue;
        out.push(`  ${name.padEnd(18)} ${(g.ticks / TICK / secs).toFixed(2).padStart(5)} cores  nice ${[...g.nices].sort((a, b) => a - b).join('/').padEnd(6)} ${g.tids.size} thread(s)`);
      }
      const run = (end.run - s0.run) / 1e9;
      const wait = (end.wait - s0.wait) / 1e9;
      out.push(`  main thread: ran ${run.toFixed(1)} s, waited for a CPU ${wait.toFixed(1)} s (${((100 * wait) / (run + wait)).toFixed(0)} % of its runnable time)`);
      if (p1 && m1) {
        const cores = (m1.total - m0.total) / TICK / secs; // ticks of all CPUs per second of wall time ÷ TICK
        out.push(`  the machine: ${((m1.busy - m0.busy) / TICK / secs).toFixed(2)} of ${cores.toFixed(0)} cores busy; its busiest processes (CPU while sampled, cores):`);
        const mine = (p: number) => {
          for (let q = p, i = 0; q > 1 && i < 64; i++) {
            if (q === process.pid) return true;
            q = p1!.get(q)?.ppid ?? 0;
          }
          return false;
        };
        const used = [...p1].map(([p, x]) => ({ p, ...x, used: (x.cpu - (p0.get(p)?.cpu ?? 0)) / TICK / secs })).sort((a, b) => b.used - a.used);
        for (const x of used.slice(0, 10)) out.push(`    ${x.used.toFixed(2).padStart(5)}  pid ${String(x.p).padEnd(7)} ${x.comm.padEnd(16)} nice ${String(x.nice).padEnd(3)} ${x.p === pid ? '(the server)' : mine(x.p) ? "(this bench's)" : ''}`);
      }
      const l = [...loads].sort((a, b) => a - b);
      out.push(`  load average (1 min) over the run: min ${l[0] ?? '-'}, median ${l[Math.floor(l.length / 2)] ?? '-'}, max ${l[l.length - 1] ?? '-'}`);
      return out;
    },
  };
}
