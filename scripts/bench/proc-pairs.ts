/**
 * `npx tsx scripts/bench/proc-pairs.ts [--n 50] [--pairs 8] [--base DIR] [--base-flags '…'] [--flags '…'] [--models JSON] [--base-models JSON]`:
 * the same cold request (alternate.ts `coldSide`: N COCO photos, feature cache and prepared sides
 * emptied first) answered by two **separate Node processes**, alive side by side and asked in
 * turn (A B, B A, …), each timing its own request (wall, and the CPU — user + sys — of its whole
 * process: sharp's and libvips' threads, the inference workers, V8's GC helpers), printed as the
 * medians of the per-pair ratios this ÷ base. Unlike src-pairs.ts, each side has its own V8 heap,
 * so a change to garbage collection (node flags such as `--max-semi-space-size`, fewer external
 * allocations on the main thread) shows in its figures; each request's main-thread GCs are printed
 * beside it, with the event loop's delay during the request (p99 and max: what a passthrough
 * request arriving meanwhile waits — a flag that makes collections atomic shows there). The base side runs `--base DIR`'s src/ (default: this checkout) with `--base-flags`,
 * this side this checkout's src/ with `--flags`; with neither given it is an A/A run.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { loadavg } from 'node:os';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { resolve } from 'node:path';
import { arg, coldSide, HERE, median, type Timed } from './alternate.js';

const N = Number(arg('--n', '50'));
const PAIRS = Number(arg('--pairs', '8'));
const MODELS = arg('--models', '{}');
/** `--base-models JSON`: the base side's models settings (default: `--models`), to measure one models setting against another (e.g. '{"intraOpThreads":1}' on this side only). */
const BASE_MODELS = arg('--base-models', MODELS);

if (process.argv.includes('--child')) {
  // one side: answer each { k } with the Timed of cold request k
  const side = await coldSide(resolve(arg('--repo', HERE)), N, JSON.parse(MODELS) as Record<string, unknown>);
  process.on('message', (m: { k?: number; close?: true }) => {
    if (m.close) return void side.close().then(() => process.exit(0));
    const delay = monitorEventLoopDelay({ resolution: 5 });
    delay.enable();
    void side.cold(m.k!).then((r) => {
      delay.disable();
      process.send!({ ...r, loop: { p99: delay.percentile(99) / 1e6, max: delay.max / 1e6 } });
    });
  });
  process.send!('ready');
} else {
  const words = (s: string) => s.split(/\s+/).filter(Boolean);
  type Looped = Timed & { loop: { p99: number; max: number } };
  const start = (repo: string, flags: string, models: string): Promise<{ p: ChildProcess; ask: (k: number) => Promise<Looped> }> =>
    new Promise((ok, fail) => {
      const p = fork(import.meta.filename, ['--child', '--repo', repo, '--n', String(N), '--models', models], { execArgv: [...words(flags), ...process.execArgv] });
      p.once('error', fail);
      p.once('message', () => ok({ p, ask: (k) => new Promise((r) => (p.once('message', r as (t: unknown) => void), p.send({ k }))) }));
    });
  const BASE = resolve(arg('--base', HERE));
  const base = await start(BASE, arg('--base-flags', ''), BASE_MODELS);
  const here = await start(HERE, arg('--flags', ''), MODELS);
  await base.ask(PAIRS);
  await here.ask(PAIRS);
  const load0 = loadavg()[0]!;
  const fmt = (r: Looped) => `${r.ms.toFixed(0)} ms, CPU ${r.cpu.toFixed(0)} ms, GC ${r.gc.n} (${r.gc.major} major) ${r.gc.ms.toFixed(0)} ms, event-loop delay p99 ${r.loop.p99.toFixed(0)} / max ${r.loop.max.toFixed(0)} ms`;
  const wall: number[] = [];
  const cpu: number[] = [];
  const p99: number[][] = [[], []];
  for (let k = 0; k < PAIRS; k++) {
    const o = k % 2 ? undefined : await base.ask(k);
    const h = await here.ask(k);
    const b = o ?? (await base.ask(k));
    wall.push(h.ms / b.ms);
    cpu.push(h.cpu / b.cpu);
    p99[0]!.push(b.loop.p99);
    p99[1]!.push(h.loop.p99);
    console.log(`pair ${k + 1}: base ${fmt(b)}; this ${fmt(h)}; this ÷ base wall ${(h.ms / b.ms).toFixed(2)}, CPU ${(h.cpu / b.cpu).toFixed(2)}`);
  }
  const below = (xs: number[]) => xs.filter((x) => x < 1).length;
  console.log(`N=${N}, ${PAIRS} pairs, separate processes, this (${arg('--flags', '') || 'no flags'}, models ${MODELS}) ÷ base (${BASE}, ${arg('--base-flags', '') || 'no flags'}, models ${BASE_MODELS}), median of per-pair ratios: wall ${median(wall).toFixed(3)} (${below(wall)} of ${PAIRS} below 1), CPU ${median(cpu).toFixed(3)} (${below(cpu)} of ${PAIRS} below 1); event-loop p99 median base ${median(p99[0]!).toFixed(0)} ms, this ${median(p99[1]!).toFixed(0)} ms; loadavg ${load0.toFixed(2)} → ${loadavg()[0]!.toFixed(2)}`);
  for (const s of [base, here]) s.p.send({ close: true });
}
