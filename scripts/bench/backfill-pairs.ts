/**
 * `npx tsx scripts/bench/backfill-pairs.ts [--base DIR] [--pairs 3] [--docs 200] [--dist] [--upstream URL] [--prefix pf22-bf]`:
 * `vlrerank index backfill` as a user runs it (the CLI, the Grocery pipeline, Elasticsearch), by
 * `--base DIR`'s src/ and by this checkout's, in turn (A B, B A, …): each run gets a fresh index of
 * `--docs` photo documents (Grocery in-store photos with their product's name, written straight to
 * the engine) and a fresh feature store, so every photo is read, decoded and run through the models,
 * then the model-alone ceiling (on by default). thread-stats.ts reports each run's main-thread CPU,
 * whole CPU, GCs and event-loop delay; printed as medians of per-pair ratios this ÷ base. Deletes
 * its indices.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { arg, HERE, median } from './alternate.js';

const run = promisify(execFile);
const BASE = resolve(arg('--base', HERE));
const PAIRS = Number(arg('--pairs', '3'));
const DOCS = Number(arg('--docs', '200'));
const UPSTREAM = arg('--upstream', 'http://127.0.0.1:19200');
const PREFIX = arg('--prefix', 'pf22-bf');
const GROCERY = resolve(HERE, '../shared/data/grocery-store-products');
const shelf = readFileSync(join(GROCERY, 'queries.tsv'), 'utf8').trim().split('\n').slice(1).map((l) => l.split('\t'));

interface Stats {
  ms: number;
  main: number;
  cpu: number;
  gc: { n: number; major: number };
  loop: { p99: number; max: number };
}

async function side(repo: string, index: string): Promise<Stats> {
  const store = mkdtempSync(join(tmpdir(), 'pf22-bf-store-'));
  const env = { ...process.env, VLRERANK_UPSTREAM: UPSTREAM, VLRERANK_MODELS_DIR: resolve(HERE, '../shared/models'), VLRERANK_MEDIA_ROOTS: resolve(HERE, '../shared/data'), VLRERANK_PIPELINES_DIR: join(HERE, 'pipelines'), VLRERANK_LOG_LEVEL: 'silent', VLRERANK_STORE_DISK_PATH: store };
  // --dist: each side's compiled dist/ (`npx tsc -p tsconfig.build.json` in it first), as a deployment runs it; else its src/ through tsx
  const main = process.argv.includes('--dist') ? join(repo, 'dist/cli/main.js') : join(repo, 'src/cli/main.ts');
  const cli = (args: string[]) => run(process.execPath, ['--import', 'tsx', '--import', join(HERE, 'scripts/bench/thread-stats.ts'), main, 'index', ...args, '--pipeline', 'grocery'], { cwd: HERE, env, timeout: 900_000 });
  try {
    await fetch(`${UPSTREAM}/${index}`, { method: 'DELETE' });
    await cli(['setup', index]);
    const nd = Array.from({ length: DOCS }, (_, i) => {
      const r = shelf[(i * 2) % shelf.length]!;
      return [JSON.stringify({ index: { _id: `d${i}` } }), JSON.stringify({ title: r[2]!.replace(/-/g, ' '), description: null, image: join(GROCERY, r[0]!) })];
    }).flat().join('\n') + '\n';
    const bulk = (await (await fetch(`${UPSTREAM}/${index}/_bulk?refresh=true`, { method: 'POST', headers: { 'content-type': 'application/x-ndjson' }, body: nd })).json()) as { errors: boolean };
    if (bulk.errors) throw new Error('bulk failed');
    const t = performance.now();
    const { stdout, stderr } = await cli(['backfill', index, '--batch', '32']);
    const ms = performance.now() - t;
    if (!stdout.includes(`${DOCS} documents got their feature record`)) throw new Error(`backfill did not write every record: ${stdout}`);
    const line = stderr.split('\n').find((l) => l.startsWith('thread-stats '))!;
    return { ms, ...(JSON.parse(line.slice('thread-stats '.length)) as Omit<Stats, 'ms'>) };
  } finally {
    await fetch(`${UPSTREAM}/${index}`, { method: 'DELETE' });
    rmSync(store, { recursive: true, force: true });
  }
}

const load0 = loadavg()[0]!;
const fmt = (r: Stats) => `${(r.ms / 1000).toFixed(1)} s, CPU ${(r.cpu / 1000).toFixed(1)} s (main ${(r.main / 1000).toFixed(2)} s), GC ${r.gc.n} (${r.gc.major} major), loop p99 ${r.loop.p99.toFixed(0)} / max ${r.loop.max.toFixed(0)} ms`;
const ratios = { main: [] as number[], cpu: [] as number[], wall: [] as number[] };
const p99 = { base: [] as number[], here: [] as number[] };
for (let k = 0; k < PAIRS; k++) {
  const o = k % 2 ? undefined : await side(BASE, `${PREFIX}-base`);
  const h = await side(HERE, `${PREFIX}-this`);
  const b = o ?? (await side(BASE, `${PREFIX}-base`));
  ratios.main.push(h.main / b.main);
  ratios.cpu.push(h.cpu / b.cpu);
  ratios.wall.push(h.ms / b.ms);
  p99.base.push(b.loop.p99);
  p99.here.push(h.loop.p99);
  console.log(`pair ${k + 1}: base ${fmt(b)}; this ${fmt(h)}; main-thread CPU ÷ ${(h.main / b.main).toFixed(2)}`);
}
const below = (xs: number[]) => `${xs.filter((x) => x < 1).length} of ${xs.length} below 1`;
const r = (k: keyof typeof ratios) => `${median(ratios[k]).toFixed(3)} (${below(ratios[k])})`;
console.log(`backfill of ${DOCS} photo documents, ${PAIRS} pairs, this ÷ base (${BASE}), medians of per-pair ratios: main-thread CPU ${r('main')}, process CPU ${r('cpu')}, wall ${r('wall')}; event-loop p99 median base ${median(p99.base).toFixed(1)} ms, this ${median(p99.here).toFixed(1)} ms; loadavg ${load0.toFixed(2)} → ${loadavg()[0]!.toFixed(2)}`);
