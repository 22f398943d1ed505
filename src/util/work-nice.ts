/**
 * The priority of model work beside the event loop (issue 13 §1: passthrough and 429s stay fast
 * under rerank load). `models.inferenceNice` renices the inference worker thread and the
 * onnxruntime threads it starts (models/session-worker-source.ts); the other threads and processes
 * that do only rerank or ingest work take the same value from here: the image worker thread
 * (features/media/prep-thread.ts), the libvips worker threads sharp starts, and ffmpeg children
 * (features/media/ffmpeg.ts). The main thread, the libuv threadpool (DNS lookups and gzip for
 * passthrough), V8's platform threads and the JSON worker (request bodies before admission) stay
 * at the process's priority.
 *
 * On Linux nice is per thread: `os.setPriority(tid, n)` changes that thread alone, and `0` is the
 * calling thread. Raising nice needs no privilege; lowering it does, so a value is only ever raised,
 * and a refusal (another OS, a sandbox) leaves the thread as it was.
 */
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { setPriority } from 'node:os';

let nice = 0;

/** Set by the model registry from models.inferenceNice. */
export function setWorkNice(n: number): void {
  nice = n;
}

/** The nice value rerank and ingest work runs at (0 until a model registry set it). */
export function workNice(): number {
  return nice;
}

/** Raise one thread's or process's nice to `n` (0: the calling thread); false where the OS refuses. */
export function raiseNice(id: number, n: number): boolean {
  if (n <= 0) return false;
  try {
    setPriority(id, n);
    return true;
  } catch {
    return false;
  }
}

/** A thread of this process: its id, name (comm) and nice, from /proc/self/task (Linux; empty elsewhere). */
export function ownThreads(): Array<{ tid: number; comm: string; nice: number }> {
  let tids: string[];
  try {
    tids = readdirSync('/proc/self/task');
  } catch {
    return [];
  }
  const out: Array<{ tid: number; comm: string; nice: number }> = [];
  for (const tid of tids) {
    try {
      const stat = readFileSync(`/proc/self/task/${tid}/stat`, 'utf8');
      // the name may hold spaces ("libvips worker"); nice is field 19, counted from the state (field 3) after ") "
      out.push({ tid: Number(tid), comm: stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')')), nice: Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19 - 3]) });
    } catch {
      // ended between the listing and the read
    }
  }
  return out;
}

/** Raise every thread of this process named `comm` to nice `n`; returns how many were raised. */
export function raiseThreadsNamed(comm: string, n: number): number {
  let raised = 0;
  for (const t of ownThreads()) if (t.comm === comm && t.nice < n && raiseNice(t.tid, n)) raised++;
  return raised;
}

/** Name the calling thread (Linux, up to 15 bytes; what `top -H` and /proc show), so its CPU can be told apart. */
export function nameThisThread(name: string): void {
  try {
    writeFileSync('/proc/thread-self/comm', name.slice(0, 15));
  } catch {
    // not Linux, or /proc not mounted
  }
}
