/**
 * `npx tsx scripts/bench/src-pairs.ts --base DIR [--n 50] [--pairs 8] [--models JSON]`: a cold
 * rerank of N COCO photos by this checkout's src/ against the same by another checkout's (DIR, e.g.
 * `git archive <commit>` unpacked beside this one with node_modules linked), both in this one
 * process, alternated request by request (alternate.ts), printed as the medians of the per-pair
 * ratios this ÷ base of wall time and of CPU time (user + sys of the whole process). On a machine
 * shared with other work a load swing hits both requests of a pair alike, and CPU time moves less
 * with the load than wall time; the back-to-back sides of `bench:pystack --base` promise neither.
 * Each request's main-thread GCs are printed beside it. Read the CPU ratio: its A/A (the same code
 * on both sides) read 1.003, the wall ratio 0.958, the side built first being faster (perf20).
 * Both sides share one V8 heap: a change to garbage collection shows only in separate processes.
 */
import { loadavg } from 'node:os';
import { resolve } from 'node:path';
import { alternate, arg, coldSide, HERE, median, type Timed } from './alternate.js';

if (!arg('--base', '')) throw new Error('--base DIR (another checkout of vlrerank) is required');
const BASE = resolve(arg('--base', ''));
const N = Number(arg('--n', '50'));
const PAIRS = Number(arg('--pairs', '8'));
const OVERRIDE = JSON.parse(arg('--models', '{}')) as Record<string, unknown>;

const here = await coldSide(HERE, N, OVERRIDE);
const base = await coldSide(BASE, N, OVERRIDE);
const load0 = loadavg()[0]!;
const fmt = (r: Timed) => `${r.ms.toFixed(0)} ms, CPU ${r.cpu.toFixed(0)} ms, GC ${r.gc.n} (${r.gc.major} major) ${r.gc.ms.toFixed(0)} ms`;
const { wall, cpu } = await alternate(base, here, PAIRS, (k, o, h) =>
  console.log(`pair ${k + 1}: base ${fmt(o)}; this ${fmt(h)}; this ÷ base wall ${(h.ms / o.ms).toFixed(2)}, CPU ${(h.cpu / o.cpu).toFixed(2)}`),
);
const below = (xs: number[]) => xs.filter((x) => x < 1).length;
console.log(`N=${N}, ${PAIRS} pairs, this ÷ base (${BASE}), median of per-pair ratios: wall ${median(wall).toFixed(3)} (${below(wall)} of ${PAIRS} below 1), CPU ${median(cpu).toFixed(3)} (${below(cpu)} of ${PAIRS} below 1); loadavg ${load0.toFixed(2)} → ${loadavg()[0]!.toFixed(2)}`);
await here.close();
await base.close();
