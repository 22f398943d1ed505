/**
 * Main-thread time of a warm rerank (`npx tsx scripts/bench/warm-main-thread.ts [--n 200] [--cpu-prof DIR]`):
 * 50 candidates (bench:rerank's mix) are computed once into a disk folder; a second Reranker on
 * that folder (new L1, as after a restart) then reranks them N times with one query whose vector
 * is kept after the first request — so no model runs and the wall time of a request is its
 * main-thread work. Prints p10/p50/p90 of that time and of each stage's timing. With --cpu-prof
 * the measured loop alone is profiled (node:inspector), and the profile's functions are summed per
 * request (self and total time), listing each ≥ 0.05 ms.
 * `--new`: a new query each time (one bge run), alternating with the floor (the text port's encode, as
 * bench:rerank), and the time of each before its run is posted to the inference worker and after its reply.
 * Env: BENCH_MODELS (../shared/models), BENCH_DATA (../shared/data).
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Worker } from 'node:worker_threads';
import { Reranker } from '../../src/rerank/reranker.js';
import { candidates } from './candidates.js';

const DATA = resolve(process.env.BENCH_DATA ?? '../shared/data');
const MODELS = resolve(process.env.BENCH_MODELS ?? '../shared/models');
const argv = process.argv.slice(2);
const arg = (k: string) => (argv.includes(k) ? argv[argv.indexOf(k) + 1] : undefined);
const N = Number(arg('--n') ?? 200);
const PROF = arg('--cpu-prof') ? resolve(arg('--cpu-prof')!) : undefined;
const NEW = argv.includes('--new');
const settle = () => new Promise<void>((res) => setTimeout(res, 10));

// the inference worker's posts and replies, timed from outside (the first 'run' posted and the
// first reply after it, per measured call)
let posted = 0;
let replied = 0;
const post = Worker.prototype.postMessage;
Worker.prototype.postMessage = function (this: Worker, ...a: Parameters<Worker['postMessage']>) {
  if (!posted && (a[0] as { op?: string }).op === 'run') posted = performance.now();
  return post.apply(this, a);
};
const emit = Worker.prototype.emit;
Worker.prototype.emit = function (this: Worker, ev: string | symbol, ...a: unknown[]) {
  if (ev === 'message' && posted && !replied) replied = performance.now();
  return emit.call(this, ev, ...a);
};
const pct = (xs: number[], p: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor((p / 100) * xs.length))]!;

const storeDir = mkdtempSync(join(tmpdir(), 'vlrerank-warm-main-'));
const docs = candidates(DATA).freshDocs(50);
const seeder = new Reranker({ modelsDir: MODELS, device: 'cpu', mediaRoots: [DATA], featureStore: { diskPath: storeDir } });
await seeder.process({ query: 'a person riding a bicycle', documents: docs });
await seeder.close();

const r = new Reranker({ modelsDir: MODELS, device: 'cpu', mediaRoots: [DATA], featureStore: { diskPath: storeDir } });
await r.warmup();
const query = 'a person riding a bicycle, kept';
for (let i = 0; i < 20; i++) await r.process({ query, documents: docs });

const session = PROF ? new Session() : undefined;
if (session) {
  session.connect();
  await session.post('Profiler.enable');
  await session.post('Profiler.setSamplingInterval', { interval: 100 });
  await session.post('Profiler.start');
}
const wall: number[] = [];
const stages: Record<string, number[]> = { features: [], inference: [], fusion: [] };
// --new: a new query each time (its forward pass in the worker), alternating with the floor (the
// text port's own encode), with the time before the run is posted to the worker and after its reply
const text = (await r.ports()).text;
const tl: Record<string, number[]> = { rerankPre: [], rerankWorker: [], rerankPost: [], floorPre: [], floorWorker: [], floorPost: [], rerank: [], floor: [] };
const timed = async (what: 'rerank' | 'floor', call: () => Promise<unknown>) => {
  posted = replied = 0;
  const t = performance.now();
  await call();
  const end = performance.now();
  tl[what]!.push(end - t);
  if (posted && replied) {
    tl[`${what}Pre`]!.push(posted - t);
    tl[`${what}Worker`]!.push(replied - posted);
    tl[`${what}Post`]!.push(end - replied);
  }
};
for (let i = 0; i < N; i++) {
  if (NEW) {
    await timed('rerank', async () => {
      const out = await r.process({ query: `${query} ${i}`, documents: docs });
      stages.features!.push(out.timings.features_ms);
      stages.inference!.push(out.timings.inference_ms);
      stages.fusion!.push(out.timings.fusion_ms);
    });
    await settle();
    await timed('floor', () => text.embed([`${query} floor ${i}`], 'query'));
    await settle();
    continue;
  }
  const t = performance.now();
  const out = await r.process({ query, documents: docs });
  wall.push(performance.now() - t);
  stages.features!.push(out.timings.features_ms);
  stages.inference!.push(out.timings.inference_ms);
  stages.fusion!.push(out.timings.fusion_ms);
}
if (session) {
  const { profile } = await session.post('Profiler.stop');
  writeFileSync(join(PROF!, `warm-main-${process.pid}.cpuprofile`), JSON.stringify(profile));
  summarize(profile as unknown as Profile, N);
}
const q = (xs: number[]) => `p10 ${pct(xs, 10).toFixed(2)} p50 ${pct(xs, 50).toFixed(2)} p90 ${pct(xs, 90).toFixed(2)}`;
if (NEW) {
  console.log(`warm 50-doc request, new query each time, ${N} alternations with the floor (ms):`);
  for (const [k, xs] of Object.entries(tl)) console.log(`  ${k}: ${q(xs)}`);
  console.log(`  p50 ratio ${(pct(tl.rerank!, 50) / pct(tl.floor!, 50)).toFixed(2)}, median of pair ratios ${pct(tl.rerank!.map((x, i) => x / tl.floor![i]!), 50).toFixed(2)}`);
} else console.log(`warm 50-doc request, query vector kept (no model run), ${N} requests: wall ${q(wall)} ms`);
for (const [k, xs] of Object.entries(stages)) console.log(`  ${k}: ${q(xs)}`);
await r.close();
rmSync(storeDir, { recursive: true, force: true });

interface Profile {
  nodes: Array<{ id: number; callFrame: { functionName: string; url: string; lineNumber: number }; children?: number[] }>;
  samples: number[];
  timeDeltas: number[];
}

/** Self and total time per function (ms per request), from the sampled profile. */
function summarize(p: Profile, requests: number): void {
  const byId = new Map(p.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of p.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const self = new Map<number, number>();
  p.samples.forEach((s, i) => self.set(s, (self.get(s) ?? 0) + (p.timeDeltas[i] ?? 0) / 1000));
  const name = (id: number) => {
    const f = byId.get(id)!.callFrame;
    return `${f.functionName || '(anon)'} ${f.url.replace(/^.*\/(src|node_modules)\//, '$1/')}:${f.lineNumber + 1}`;
  };
  const selfBy = new Map<string, number>();
  const totalBy = new Map<string, number>();
  for (const [id, ms] of self) {
    selfBy.set(name(id), (selfBy.get(name(id)) ?? 0) + ms);
    const seen = new Set<string>();
    for (let x: number | undefined = id; x !== undefined; x = parent.get(x)) {
      const k = name(x);
      if (seen.has(k)) continue;
      seen.add(k);
      totalBy.set(k, (totalBy.get(k) ?? 0) + ms);
    }
  }
  const idle = [...selfBy].filter(([k]) => k.startsWith('(idle)') || k.startsWith('(program)') || k.startsWith('(garbage')).map(([k, v]) => `${k.split(' ')[0]} ${(v / requests).toFixed(3)}`);
  console.log(`profile, ms per request (${idle.join(', ')})`);
  const list = (m: Map<string, number>, title: string) => {
    console.log(`  ${title}:`);
    for (const [k, v] of [...m].sort((a, b) => b[1] - a[1])) if (v / requests >= 0.05 && !k.startsWith('(idle)') && !k.startsWith('(root)')) console.log(`    ${(v / requests).toFixed(3)}  ${k}`);
  };
  list(totalBy, 'total (inclusive)');
  list(selfBy, 'self');
}
