/**
 * Every model run (session, batch size, start/end) and every sharp pipeline (decode / resize) of
 * this process, recorded on one clock, for the cold-path profiles (cold-timeline, bench:pystack's
 * stage table). Wraps ModelSession.prototype.run, sharp's toBuffer and the image worker's calls
 * (Worker postMessage → answer) once; a profiling aid for
 * scripts, never imported by src/.
 */
import { readdirSync, readFileSync } from 'node:fs';
import sharp, { type Sharp } from 'sharp';
import { Worker } from 'node:worker_threads';
import { ModelSession } from '../../src/models/session.js';

export type Span = { what: string; t0: number; t1: number; n?: number };
export const spans: Span[] = [];
let installed = false;

/** Starts recording (idempotent); `spans` fills from then on (empty it with `spans.length = 0`). */
export function recordSpans(): void {
  if (installed) return;
  installed = true;
  const run = ModelSession.prototype.run;
  ModelSession.prototype.run = async function (this: ModelSession, feeds, outputs, opts) {
    const t0 = performance.now();
    const n = Object.values(feeds)[0]?.dims[0];
    try {
      return await run.call(this, feeds, outputs, opts);
    } finally {
      spans.push({ what: this.options.name.split('/')[0]!, t0, t1: performance.now(), n: Number(n) });
    }
  };
  // every sharp pipeline's output call (decode: toBuffer on encoded bytes; resize: on raw pixels)
  const toBuffer = sharp.prototype.toBuffer;
  (sharp.prototype as { toBuffer: unknown }).toBuffer = function (this: Sharp, ...a: unknown[]) {
    const t0 = performance.now();
    const p = (toBuffer as (...x: unknown[]) => Promise<unknown>).apply(this, a);
    const raw = (this as unknown as { options?: { input?: { rawWidth?: number } } }).options?.input?.rawWidth;
    void p.then(() => spans.push({ what: raw ? 'sharp resize' : 'sharp decode', t0, t1: performance.now() }), () => undefined);
    return p;
  };
  // since perf21 a photo's decode and resizes run in the image worker (features/media/prep-worker.ts):
  // each 'decode' / 'planes' call, from its post to its answer (the worker's queue included)
  // per worker: the inference workers' messages carry their own numbers
  const asked = new WeakMap<Worker, Map<number, { what: string; t0: number }>>();
  const of = (w: Worker) => asked.get(w) ?? asked.set(w, new Map()).get(w)!;
  const post = Worker.prototype.postMessage;
  Worker.prototype.postMessage = function (this: Worker, m: unknown, ...rest: unknown[]) {
    const op = (m as { op?: string; seq?: number } | null)?.op;
    if (op === 'decode' || op === 'planes') of(this).set((m as { seq: number }).seq, { what: op === 'decode' ? 'sharp decode' : 'sharp resize', t0: performance.now() });
    return (post as (...x: unknown[]) => void).call(this, m, ...rest);
  };
  const emit = Worker.prototype.emit;
  Worker.prototype.emit = function (this: Worker, ev: string | symbol, ...a: unknown[]) {
    const seq = ev === 'message' ? (a[0] as { seq?: number } | null)?.seq : undefined;
    const q = seq === undefined ? undefined : asked.get(this)?.get(seq);
    if (q) {
      asked.get(this)!.delete(seq!);
      spans.push({ ...q, t1: performance.now() });
    }
    return emit.call(this, ev, ...a);
  };
}

/**
 * CPU ms used so far by each thread of this process, by thread name and nice value (Linux /proc,
 * clock ticks of 10 ms): libuv's pool (sharp's pipelines) and onnxruntime's threads are both
 * unnamed `node` threads; the inference worker's are the ones at its nice value.
 */
export function threadCpu(): Map<string, number> {
  const out = new Map<string, number>();
  for (const tid of readdirSync('/proc/self/task')) {
    try {
      const stat = readFileSync(`/proc/self/task/${tid}/stat`, 'utf8');
      const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      const nice = Number(f[16]);
      const name = (tid === String(process.pid) ? 'main thread' : stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')')).replace(/[0-9]+$/, '#')) + (nice ? ` (nice ${nice})` : '');
      out.set(name, (out.get(name) ?? 0) + (Number(f[11]) + Number(f[12])) * 10);
    } catch {
      // a thread that ended meanwhile
    }
  }
  return out;
}

/** CPU ms per thread name since `before`, and their total. */
export function cpuSince(before: Map<string, number>): { total: number; byThread: Map<string, number> } {
  const byThread = new Map<string, number>();
  let total = 0;
  for (const [k, v] of threadCpu()) {
    const d = v - (before.get(k) ?? 0);
    total += d;
    if (d > 0) byThread.set(k, d);
  }
  return { total, byThread };
}

/** Total length of the union of intervals. */
export function union(xs: Span[]): number {
  const s = [...xs].sort((a, b) => a.t0 - b.t0);
  let total = 0;
  let start = 0;
  let end = 0;
  for (const [i, x] of s.entries()) {
    if (i === 0 || x.t0 > end) {
      total += end - start;
      start = x.t0;
      end = x.t1;
    } else end = Math.max(end, x.t1);
  }
  return total + end - start;
}

/** Per model: run time as the worker saw it (end minus the later of its start and the previous run's end), runs and items. */
export function service(xs: Span[]): Map<string, { ms: number; runs: number; items: number }> {
  const out = new Map<string, { ms: number; runs: number; items: number }>();
  let prev = 0;
  for (const x of [...xs].filter((s) => !s.what.startsWith('sharp')).sort((a, b) => a.t1 - b.t1)) {
    const b = out.get(x.what) ?? { ms: 0, runs: 0, items: 0 };
    b.ms += x.t1 - Math.max(x.t0, prev);
    b.runs++;
    b.items += x.n ?? 0;
    prev = x.t1;
    out.set(x.what, b);
  }
  return out;
}
