/**
 * Where a cold rerank's time goes (`npx tsx scripts/bench/cold-timeline.ts [--n 100] [--rounds 3]`):
 * one fresh-candidate request at a time (as bench:rerank's cold rows), with every model run
 * (session, batch size, start/end) and every sharp pipeline (decode / resize) recorded on one
 * clock. Prints per request: wall time, the inference worker's busy time (union of runs) and its
 * idle gaps (when the models waited for the main thread: decode, preprocessing, glue), time per
 * model, sharp's busy time, and when the first and last run of each model happened. A profiling
 * aid, not a bench: the figures are only comparable within one run.
 * Each round also prints the main thread's garbage collections during the request (count of
 * mark-compacts and scavenges, their summed pause) and the external memory V8 was told of.
 * `--src DIR`: the Reranker of another checkout (e.g. main's) runs the rounds, for an A/B of the
 * main-thread figures in one process layout (use with `--no-baseline`).
 */
import { loadavg } from 'node:os';
import { resolve } from 'node:path';
import { PerformanceObserver, constants as perf } from 'node:perf_hooks';
import type { Reranker as RerankerT } from '../../src/rerank/reranker.js';
import { Models } from '../../src/models/index.js';
import { modelsSchema } from '../../src/config/schema.js';
import { candidates, type Doc } from './candidates.js';
import { forwardOnly } from './forward-only.js';
import { cpuSince as cpuOf, recordSpans, service, spans, threadCpu, union, type Span } from './run-spans.js';

const DATA = resolve(process.env.BENCH_DATA ?? '../shared/data');
const MODELS = resolve(process.env.BENCH_MODELS ?? '../shared/models');
const argv = process.argv.slice(2);
const arg = (k: string, d: number) => (argv.includes(k) ? Number(argv[argv.indexOf(k) + 1]) : d);
const N = arg('--n', 100);
const ROUNDS = arg('--rounds', 3);
recordSpans();

const { freshDocs, nextText } = candidates(DATA);

function cpuSince(before: Map<string, number>): string {
  const { total, byThread } = cpuOf(before);
  return `cpu ${total} ms (${[...byThread].filter(([, d]) => d >= 20).map(([k, d]) => `${k} ${d}`).join(', ')})`;
}

const showService = (xs: Span[]) =>
  [...service(xs)].map(([k, b]) => `${k.split('-')[0]} ${b.ms.toFixed(0)} ms / ${b.items} = ${(b.ms / Math.max(1, b.items)).toFixed(1)} ms`).join(', ');

const SRC = argv.includes('--src') ? resolve(argv[argv.indexOf('--src') + 1]!) : resolve(import.meta.dirname, '../..');
const { Reranker } = (await import(`${SRC}/src/rerank/reranker.ts`)) as { Reranker: typeof RerankerT };
const gcs: Array<{ kind: number; ms: number }> = [];
new PerformanceObserver((l) => {
  for (const e of l.getEntries()) gcs.push({ kind: (e as unknown as { detail: { kind: number } }).detail.kind, ms: e.duration });
}).observe({ entryTypes: ['gc'] });
const gcLine = () => {
  const major = gcs.filter((g) => g.kind === perf.NODE_PERFORMANCE_GC_MAJOR);
  const minor = gcs.filter((g) => g.kind === perf.NODE_PERFORMANCE_GC_MINOR);
  const ms = (xs: typeof gcs) => xs.reduce((a, g) => a + g.ms, 0).toFixed(0);
  return `main-thread GC: ${major.length} mark-compacts (${ms(major)} ms), ${minor.length} scavenges (${ms(minor)} ms), ${gcs.length - major.length - minor.length} other`;
};

const reranker = new Reranker({ modelsDir: MODELS, device: 'cpu', mediaRoots: [DATA] });
await reranker.warmup();
freshDocs(200); // skip the photos warm-up may have seen
const models = await Models.create(modelsSchema.parse({ dir: MODELS }));
/** bench:rerank's baseline: the forward passes alone on images decoded and preprocessed beforehand (spans from then on). */
const forward = await forwardOnly(models, DATA);
const baseline = (query: string, docs: Doc[]) => forward(query, docs, () => (spans.length = 0));
console.log(`cold timeline: n=${N}, loadavg ${loadavg().map((x) => x.toFixed(2)).join(' ')}`);
for (let r = 0; r < ROUNDS; r++) {
  if (!argv.includes('--no-baseline')) {
  const bdocs = freshDocs(N);
  const bq = nextText();
  const bc = threadCpu();
  const bms = await baseline(bq, bdocs);
  const bcpu = cpuSince(bc);
  const bspans = spans.filter((s) => !s.what.startsWith('sharp'));
  console.log(`\nbaseline ${r}: forward passes alone ${bms.toFixed(0)} ms, busy ${union(bspans).toFixed(0)} ms, ${bcpu} (decode + preprocess before it not counted); service: ${showService(bspans)}`);
  }
  const docs = freshDocs(N);
  const q = nextText();
  spans.length = 0;
  const c0 = threadCpu();
  const ext0 = process.memoryUsage().external;
  gcs.length = 0;
  const t0 = performance.now();
  await reranker.process({ query: q, documents: docs });
  const t1 = performance.now();
  await new Promise((r) => setImmediate(r)); // the observer's entries of this round
  const gcNow = gcLine();
  const pcpu = cpuSince(c0);
  const runs = spans.filter((s) => !s.what.startsWith('sharp'));
  const busy = union(runs);
  const by = new Map<string, { ms: number; runs: number; items: number; first: number; last: number }>();
  for (const s of spans) {
    const b = by.get(s.what) ?? { ms: 0, runs: 0, items: 0, first: Infinity, last: 0 };
    b.ms += s.t1 - s.t0;
    b.runs++;
    b.items += s.n ?? 0;
    b.first = Math.min(b.first, s.t0 - t0);
    b.last = Math.max(b.last, s.t1 - t0);
    by.set(s.what, b);
  }
  const sorted = [...runs].sort((a, b) => a.t0 - b.t0);
  const gaps: number[] = [];
  let prev = t0;
  for (const s of sorted) {
    if (s.t0 > prev) gaps.push(s.t0 - prev);
    prev = Math.max(prev, s.t1);
  }
  if (t1 > prev) gaps.push(t1 - prev);
  console.log(`round ${r}: wall ${(t1 - t0).toFixed(0)} ms, models busy ${busy.toFixed(0)} ms (${((100 * busy) / (t1 - t0)).toFixed(0)} %), idle ${(t1 - t0 - busy).toFixed(0)} ms in ${gaps.length} gaps (largest ${gaps.sort((a, b) => b - a).slice(0, 5).map((g) => g.toFixed(0)).join(', ')}), sharp busy ${union(spans.filter((s) => s.what.startsWith('sharp'))).toFixed(0)} ms; loadavg ${loadavg()[0]!.toFixed(2)}`);
  console.log(`  ${pcpu}`);
  console.log(`  ${gcNow}; external memory ${((process.memoryUsage().external - ext0) / 2 ** 20).toFixed(1)} MB after − before`);
  console.log(`  service: ${showService(runs)}`);
  for (const [k, b] of by) console.log(`  ${k.padEnd(32)} ${b.ms.toFixed(0).padStart(6)} ms (summed) ${String(b.runs).padStart(4)} runs ${String(b.items).padStart(4)} items  first ${b.first.toFixed(0).padStart(5)}  last ${b.last.toFixed(0).padStart(5)} ms`);
}
await reranker.close();
await models.close();
process.exit(0);
