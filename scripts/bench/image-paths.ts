/**
 * `npx tsx scripts/bench/image-paths.ts --shape query|ocr [--pairs 8] [--base DIR]`: the image
 * paths perf21's image worker left on the main thread (perf22), each answered by two **separate
 * Node processes** side by side, asked in turn (A B, B A, …) as proc-pairs.ts does — the base side
 * runs `--base DIR`'s src/ (a `git archive` of the commit before, node_modules linked), this side
 * this checkout's. Per request: wall, the whole process's CPU, **the main thread's own CPU**
 * (/proc/self/task/<pid>/schedstat: what delays health checks and passthrough), its GCs, and the
 * event loop's delay (p99, max). Shapes:
 *   query — search by image on the Grocery demo's shape: five new in-store (shelf) photos as queries, one after the other,
 *           the first 50 catalog products (title, description, photo) warm, grocery.yaml's scorer
 *           (its `image_ocr_text` weight OCRs the query photo);
 *   ocr   — 20 new in-store photos reranked cold with `ocr: true` (a pipeline with `rerank.ocr`).
 * `vlrerank index backfill` is measured with the CLI itself and thread-stats.ts (see that file).
 */
import { fork, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join, resolve } from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { parse as parseYaml } from 'yaml';
import { arg, HERE, median, rerankStack } from './alternate.js';
import { countGcs, mainThreadMs } from './thread-clock.js';

const SHAPE = arg('--shape', 'query');
const PAIRS = Number(arg('--pairs', '8'));
const SHARED = resolve(HERE, '../shared');
const GROCERY = join(SHARED, 'data/grocery-store-products');

interface Stats {
  ms: number;
  cpu: number;
  main: number;
  gc: { n: number; major: number };
  loop: { p99: number; max: number };
}

if (process.argv.includes('--child')) {
  const repo = resolve(arg('--repo', HERE));
  const { src, features, prepared, reranker } = await rerankStack(repo);
  const { parsePipeline } = await src('pipelines/load.js');
  const { scoreFusionOf } = await src('search/shape.js');
  const pipeline = parsePipeline(parseYaml(readFileSync(join(repo, 'pipelines/grocery.yaml'), 'utf8')), 'grocery.yaml');
  const catalog = readFileSync(join(GROCERY, 'catalog.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { title: string; description: string | null; iconic_image: string });
  const shelf = readFileSync(join(GROCERY, 'queries.tsv'), 'utf8').trim().split('\n').slice(1).map((l) => join(GROCERY, l.split('\t')[0]!));
  const products = catalog.slice(0, 50).map((c) => ({ text: `${c.title}. ${c.description ?? ''}`.trim(), image: join(GROCERY, c.iconic_image) }));
  const gc = countGcs();
  // request k: its own photos (never seen by this process before), the other inputs warm
  const ask = (k: number) =>
    SHAPE === 'ocr'
      ? (features.cache.clear(), prepared.clear(), reranker.process({ query: 'organic oat milk', documents: Array.from({ length: 20 }, (_, i) => ({ image: shelf[(k * 20 + i) * 3 % shelf.length]! })), ocr: true }))
      : (async () => {
          // five searches one after the other (one is ~0.1–0.4 s: too short to time alone on a busy machine)
          const out = { errors: [] as unknown[] };
          for (let q = 0; q < 5; q++) {
            const r = await reranker.process({ query: { image: shelf[((k * 5 + q) * 37 + 11) % shelf.length]! }, documents: products, weights: pipeline.scorer.weights }, { scoreFusion: scoreFusionOf(pipeline) });
            out.errors.push(...(r.errors ?? []));
          }
          return out;
        })();
  if (SHAPE === 'query') await reranker.process({ query: 'milk', documents: products }); // the catalog warm
  process.on('message', (msg: { k?: number; close?: true }) => {
    if (msg.close) return void reranker.close().then(() => process.exit(0));
    const delay = monitorEventLoopDelay({ resolution: 5 });
    gc.reset();
    const c = process.cpuUsage();
    const t0 = mainThreadMs();
    const t = performance.now();
    delay.enable();
    void ask(msg.k!).then((out: { errors?: unknown[] }) => {
      delay.disable();
      const u = process.cpuUsage(c);
      if (out.errors?.length) console.error('errors', out.errors);
      process.send!({ ms: performance.now() - t, cpu: (u.user + u.system) / 1000, main: mainThreadMs() - t0, gc: { n: gc.n, major: gc.major }, loop: { p99: delay.percentile(99) / 1e6, max: delay.max / 1e6 } } satisfies Stats);
    });
  });
  process.send!('ready');
} else {
  const start = (repo: string): Promise<{ p: ChildProcess; ask: (k: number) => Promise<Stats> }> =>
    new Promise((ok, fail) => {
      const p = fork(import.meta.filename, ['--child', '--repo', repo, '--shape', SHAPE], { execArgv: process.execArgv });
      p.once('error', fail);
      p.once('message', () => ok({ p, ask: (k) => new Promise((r) => (p.once('message', r as (t: unknown) => void), p.send({ k }))) }));
    });
  const BASE = resolve(arg('--base', HERE));
  const base = await start(BASE);
  const here = await start(HERE);
  await base.ask(PAIRS + 1);
  await here.ask(PAIRS + 1);
  const load0 = loadavg()[0]!;
  const fmt = (r: Stats) => `${r.ms.toFixed(0)} ms, CPU ${r.cpu.toFixed(0)} (main ${r.main.toFixed(0)}) ms, GC ${r.gc.n} (${r.gc.major} major), loop p99 ${r.loop.p99.toFixed(0)} / max ${r.loop.max.toFixed(0)} ms`;
  const ratios = { wall: [] as number[], cpu: [] as number[], main: [] as number[] };
  const p99 = { base: [] as number[], here: [] as number[] };
  for (let k = 0; k < PAIRS; k++) {
    const o = k % 2 ? undefined : await base.ask(k);
    const h = await here.ask(k);
    const b = o ?? (await base.ask(k));
    ratios.wall.push(h.ms / b.ms);
    ratios.cpu.push(h.cpu / b.cpu);
    ratios.main.push(h.main / b.main);
    p99.base.push(b.loop.p99);
    p99.here.push(h.loop.p99);
    console.log(`pair ${k + 1}: base ${fmt(b)}; this ${fmt(h)}; main-thread CPU ÷ ${(h.main / b.main).toFixed(2)}`);
  }
  const below = (xs: number[]) => `${xs.filter((x) => x < 1).length} of ${xs.length} below 1`;
  const r = (k: keyof typeof ratios) => `${median(ratios[k]).toFixed(3)} (${below(ratios[k])})`;
  console.log(
    `shape ${SHAPE}, ${PAIRS} pairs, separate processes, this ÷ base (${BASE}), medians of per-pair ratios: main-thread CPU ${r('main')}, process CPU ${r('cpu')}, wall ${r('wall')}; event-loop p99 median base ${median(p99.base).toFixed(1)} ms, this ${median(p99.here).toFixed(1)} ms; loadavg ${load0.toFixed(2)} → ${loadavg()[0]!.toFixed(2)}`,
  );
  for (const s of [base, here]) s.p.send({ close: true });
}
