/**
 * `npm run bench:pystack`: vlrerank's reranker beside `../shared/perf/pystack`, a plain Python
 * onnxruntime implementation of the same image pipeline on the same weights (EfficientNet concepts →
 * ConSE bridge, NanoDet objects → visual passage, bge-small int8), in one run on one machine, and
 * the ratios product / Python of cold and warm p50 (issue 12: goal cold ≤ 0.85, warm ≤ 1.0).
 *
 * Both sides answer the same requests: bench.py's own plan (`--plan-out`: request r of size N is a
 * COCO caption as query and N COCO photos as documents). Cold: nothing cached (Python hashes, decodes
 * and runs every photo; here the feature cache and the reranker's prepared sides are emptied before
 * each request, so every photo is read, decoded and run through the models — checked: a cold request
 * whose photos' parts did not all miss stops the bench). Warm: every photo seen before (Python looks its vectors up by
 * the sha256 of the bytes; here a known file is found by path + size + mtime), only the query is encoded.
 * Each side does one discarded request per N first, as bench.py does.
 *
 * The Python side needs onnxruntime, numpy, pillow and tokenizers: `--python PATH`, else
 * $PYSTACK_PYTHON, else `${TMPDIR:-/tmp}/pystack-venv/bin/python`, created with pip from
 * requirements.txt when missing (PyPI is reachable). Never a fixed threshold: ratios of one run.
 *
 *   npm run bench:pystack [-- --n 10,50,100 --repeats 3 --warm-repeats 20 --python PATH] [--base DIR]
 * --stages: this side's cold requests are profiled (sharp decode/resize, each model's service time
 * and runs, the models' idle time, CPU per thread) and printed beside bench.py's own breakdown.
 * --models JSON: merged into this side's models config (e.g. '{"inferenceNice":0}', the Python
 * process's own priority). --cold-only (with --ours-only): no warm requests.
 * --base DIR: another checkout of vlrerank (same script) answers the same plan right after this
 * one, and the table adds its ratios and this ÷ baseline (before/after of a change, one run).
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { configSchema } from '../../src/config/schema.js';
import { cacheBudget } from '../../src/config/cache-budget.js';
import { FeatureExtractor } from '../../src/features/extractor.js';
import { Models } from '../../src/models/index.js';
import { localPorts, VISUAL_PASSAGE_DETECT_THRESHOLD } from '../../src/rerank/backends/local.js';
import { PreparedSides } from '../../src/rerank/prepared.js';
import { Reranker } from '../../src/rerank/reranker.js';
import { cpuSince, recordSpans, service, spans, threadCpu, union } from './run-spans.js';

const REPO = resolve(import.meta.dirname, '../..');
const SHARED = resolve(REPO, '../shared');
const PYSTACK = join(SHARED, 'perf/pystack');
const arg = (name: string, dflt: string) => {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1]! : dflt;
};
const N_LIST = arg('--n', '10,50,100');
const REPEATS = Number(arg('--repeats', '3'));
const WARM_REPEATS = Number(arg('--warm-repeats', '20'));
/** `--models JSON`: settings merged into this side's `models` config (e.g. '{"inferenceNice":0}'), to measure one setting against the default in one run. */
const MODELS_OVERRIDE = JSON.parse(arg('--models', '{}')) as Record<string, unknown>;

function python(): string {
  const given = arg('--python', process.env.PYSTACK_PYTHON ?? '');
  if (given) return given;
  const venv = join(process.env.TMPDIR ?? tmpdir(), 'pystack-venv');
  const py = join(venv, 'bin/python');
  if (!existsSync(py)) {
    console.log(`setting up ${venv} (python3 -m venv, pip install -r requirements.txt)…`);
    execFileSync('python3', ['-m', 'venv', venv], { stdio: 'inherit' });
    execFileSync(py, ['-m', 'pip', 'install', '-q', '-r', join(PYSTACK, 'requirements.txt')], { stdio: 'inherit' });
  }
  return py;
}

interface PyRes {
  per_n: Record<string, { cold_ms: { p50: number }; warm_ms: { p50: number }; cold_breakdown_ms_p50?: Record<string, number>; cold_run_ms_p50?: Record<string, number>; session_run_calls?: Record<string, number> }>;
}

interface Plan {
  images: string[];
  requests: { N: number; repeat: number; modes: string[]; docs: number[]; query: string }[];
}

const pct = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))]!;
};

const py = python();
const work = mkdtempSync(join(tmpdir(), 'vlr-pystack-'));
const common = ['--n', N_LIST, '--repeats', String(REPEATS), '--warm-repeats', String(WARM_REPEATS), '--threads', '2'];
const planFile = arg('--plan', join(work, 'plan.json'));
if (!existsSync(planFile)) execFileSync(py, ['bench.py', ...common, '--plan-out', planFile], { cwd: PYSTACK, stdio: 'ignore' });
const plan = JSON.parse(readFileSync(planFile, 'utf8')) as Plan;
const Ns = [...new Set(plan.requests.map((r) => r.N))].sort((a, b) => a - b);

// ---- vlrerank: the server's layers (Models + FeatureExtractor) under a Reranker, as `serve` builds them
/** Per cold request of this side: where its time went (medians printed beside Python's breakdown). */
type Stages = Record<string, number>;
const stagesOf = new Map<number, Stages[]>();
/** `--stages`: record every model run and sharp call (wrapped, see run-spans.ts) and print this side's stages beside Python's. */
const STAGES = process.argv.includes('--stages');
if (STAGES) recordSpans();

/** The spans of one cold request that took `wall` ms and `cpu` ms of CPU → its stage figures, ms. */
function stages(wall: number, cpu: ReturnType<typeof cpuSince>): Stages {
  const out: Stages = { wall, 'decode (sharp, summed)': 0, 'resize (sharp, summed)': 0 };
  for (const x of spans) if (x.what.startsWith('sharp')) out[x.what === 'sharp decode' ? 'decode (sharp, summed)' : 'resize (sharp, summed)']! += x.t1 - x.t0;
  for (const [k, b] of service(spans)) {
    out[`${k.split('-')[0]} run`] = b.ms;
    out[`${k.split('-')[0]} runs`] = b.runs;
  }
  const busy = union(spans.filter((x) => !x.what.startsWith('sharp')));
  out['models busy'] = busy;
  out['models idle'] = wall - busy;
  out['CPU, all threads'] = cpu.total;
  for (const [k, v] of cpu.byThread) if (v >= 50) out[`CPU ${k}`] = v;
  return out;
}

async function ours(): Promise<Map<number, { cold: number[]; warm: number[] }>> {
  const cfg = configSchema.parse({ models: { dir: join(SHARED, 'models'), device: 'cpu', ...MODELS_OVERRIDE }, media: { roots: [SHARED] } });
  const models = await Models.create(cfg.models);
  const features = await FeatureExtractor.create(models, { media: cfg.media, cacheMaxBytes: cacheBudget(cfg.cache.maxBytes).maxBytes, detectScoreThreshold: VISUAL_PASSAGE_DETECT_THRESHOLD });
  // the reranker keeps each document's prepared side across requests (prepared.ts): a photo scored
  // before (the warm requests, the indexing pass) skips the feature store altogether, so emptying
  // the feature cache alone left N=50/100 "cold" at ~5 ms. Cold empties both.
  const prepared = new PreparedSides();
  const reranker = new Reranker({ mediaRoots: [SHARED], ports: () => localPorts({ models, features }), preparedSides: prepared });
  const forget = () => {
    features.cache.clear();
    prepared.clear();
  };
  await reranker.warmup();
  const docsOf = (idx: number[]) => idx.map((i) => ({ image: plan.images[i]! }));
  const out = new Map<number, { cold: number[]; warm: number[] }>();
  for (const N of Ns) {
    const reqs = plan.requests.filter((r) => r.N === N);
    const warmUp = reqs.find((r) => r.repeat === REPEATS) ?? reqs[reqs.length - 1]!;
    forget();
    await reranker.process({ query: warmUp.query, documents: docsOf(warmUp.docs) });
    const cold: number[] = [];
    for (const r of reqs.filter((x) => x.modes.includes('cold'))) {
      forget();
      spans.length = 0;
      const misses0 = features.cache.stats().misses;
      const c0 = threadCpu();
      const t = performance.now();
      await reranker.process({ query: r.query, documents: docsOf(r.docs) });
      cold.push(performance.now() - t);
      // cold means every photo read, decoded and run: its classification and its detections each missed
      const photos = new Set(r.docs).size;
      const missed = features.cache.stats().misses - misses0;
      if (missed < 2 * photos) throw new Error(`N=${N}: a cold request missed ${missed} parts for ${photos} photos (want ≥ ${2 * photos}): something kept features across requests`);
      if (STAGES) stagesOf.set(N, [...(stagesOf.get(N) ?? []), stages(cold[cold.length - 1]!, cpuSince(c0))]);
    }
    if (process.argv.includes('--cold-only')) {
      out.set(N, { cold, warm: [NaN] });
      console.log(`vlrerank N=${N}: cold p50 ${pct(cold, 50).toFixed(1)} ms (${cold.map((x) => x.toFixed(0)).join(' / ')})`);
      continue;
    }
    // every photo seen once (untimed), as bench.py indexes every file before its warm requests
    for (let i = 0; i < plan.images.length; i += 50) await reranker.process({ query: 'index', documents: docsOf([...Array(Math.min(50, plan.images.length - i)).keys()].map((k) => i + k)) });
    const warm: number[] = [];
    for (const r of reqs.filter((x) => x.modes.includes('warm'))) {
      const t = performance.now();
      await reranker.process({ query: r.query, documents: docsOf(r.docs) });
      warm.push(performance.now() - t);
    }
    out.set(N, { cold, warm });
    console.log(`vlrerank N=${N}: cold p50 ${pct(cold, 50).toFixed(1)} ms, warm p50 ${pct(warm, 50).toFixed(2)} ms`);
  }
  await reranker.close();
  await features.close();
  await models.close();
  return out;
}

/** Stage medians of this side's cold requests, and Python's own breakdown of its cold requests (bench.py's medians). */
function printStages(name: string, py: PyRes | undefined): void {
  for (const [N, xs] of stagesOf) {
    const keys = [...new Set(xs.flatMap((x) => Object.keys(x)))];
    const med = (k: string) => pct(xs.map((x) => x[k] ?? 0), 50);
    console.log(`\n${name}, N=${N}, cold, median of ${xs.length} requests (ms; a model's run = its service time in the inference worker; sharp = summed, it overlaps the runs):`);
    console.log('  ' + keys.map((k) => `${k} ${med(k).toFixed(k.endsWith('runs') ? 0 : 1)}`).join(', '));
    const p = py?.per_n[String(N)];
    if (p?.cold_breakdown_ms_p50) {
      const b = p.cold_breakdown_ms_p50;
      const r = p.cold_run_ms_p50 ?? {};
      console.log(`Python (bench.py), N=${N}, cold, median (ms; stages run one after another, one thread of glue):`);
      console.log('  ' + Object.entries(b).map(([k, v]) => `${k} ${v.toFixed(1)}`).join(', ') + `; session.run: ${Object.entries(r).map(([k, v]) => `${k} ${v.toFixed(1)}`).join(', ')}; calls ${JSON.stringify(p.session_run_calls ?? {})}`);
    }
  }
}

type Times = Map<number, { cold: number[]; warm: number[] }>;
const ONLY_OURS = arg('--ours-only', ''); // write this side's times to the given JSON file, and stop
const BASE = arg('--base', ''); // another checkout of vlrerank (e.g. the commit before a change): its product runs too, right after ours

if (ONLY_OURS) {
  writeFileSync(ONLY_OURS, JSON.stringify([...(await ours())]));
  printStages('this checkout', undefined);
  process.exit(0);
}

/** The same requests through another checkout's product, in a child process (its own src/, this plan). */
function base(): Times {
  const out = join(work, 'base.json');
  execFileSync(process.execPath, ['--import', 'tsx', 'scripts/bench/pystack.ts', ...common, '--python', py, '--plan', join(work, 'plan.json'), '--ours-only', out], { cwd: BASE, stdio: ['ignore', 'inherit', 'inherit'] });
  return new Map(JSON.parse(readFileSync(out, 'utf8')) as [number, { cold: number[]; warm: number[] }][]);
}

console.log(`bench:pystack — ${plan.images.length} photos, N ${Ns.join('/')}, ${REPEATS} cold and ${WARM_REPEATS} warm repeats each; loadavg ${loadavg()[0]!.toFixed(2)}`);
const load0 = loadavg()[0]!;
console.log('Python reference (bench.py)…');
execFileSync(py, ['bench.py', ...common, '--json', join(work, 'py.json')], { cwd: PYSTACK, stdio: ['ignore', 'ignore', 'inherit'] });
const pyRes = JSON.parse(readFileSync(join(work, 'py.json'), 'utf8')) as PyRes;
const loadPy = loadavg()[0]!;
console.log('vlrerank…');
const ourRes = await ours();
const loadOurs = loadavg()[0]!;
let baseRes: Times | undefined;
if (BASE) {
  console.log(`vlrerank at ${BASE} (baseline)…`);
  baseRes = base();
}
const load1 = loadavg()[0]!;

const table = (name: string, res: Times) => {
  console.log(`\n${name}\n|   N | cold p50 ms vlrerank | Python | ratio (goal ≤ 0.85) | warm p50 ms vlrerank | Python | ratio (goal ≤ 1.0) |`);
  console.log('|----:|---:|---:|---:|---:|---:|---:|');
  for (const N of Ns) {
    const o = res.get(N)!;
    const p = pyRes.per_n[String(N)]!;
    const c = pct(o.cold, 50);
    const w = pct(o.warm, 50);
    console.log(`| ${String(N).padStart(3)} | ${c.toFixed(1)} | ${p.cold_ms.p50.toFixed(1)} | ${(c / p.cold_ms.p50).toFixed(2)} | ${w.toFixed(2)} | ${p.warm_ms.p50.toFixed(2)} | ${(w / p.warm_ms.p50).toFixed(2)} |`);
  }
};
table('this checkout', ourRes);
printStages('this checkout', pyRes);
if (baseRes) {
  table(`baseline (${BASE})`, baseRes);
  console.log(`\nthis checkout ÷ baseline, p50: ${Ns.map((N) => `N=${N} cold ${(pct(ourRes.get(N)!.cold, 50) / pct(baseRes!.get(N)!.cold, 50)).toFixed(2)}, warm ${(pct(ourRes.get(N)!.warm, 50) / pct(baseRes!.get(N)!.warm, 50)).toFixed(2)}`).join('; ')}`);
}
console.log(`\nloadavg ${load0.toFixed(2)} → ${loadPy.toFixed(2)} (after Python) → ${loadOurs.toFixed(2)} (after vlrerank)${BASE ? ` → ${load1.toFixed(2)} (after the baseline)` : ''}: the sides ran one after the other, so compare only on a quiet machine`);
process.exit(0);
