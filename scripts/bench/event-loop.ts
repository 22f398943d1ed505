/**
 * `npm run bench:event-loop`: what model inference does to the proxy's event loop, with the
 * sessions in the inference worker thread (`models.inferenceThread: worker`, the default) vs on the
 * main thread (`main`, the old path), both measured in the same run, interleaved, and printed as
 * ratios (never absolute thresholds: the machine is shared).
 *
 * - burst: concurrent EfficientNet-Lite2 image embeddings and bge-small text embeddings through the
 *   Models facade (batcher + session), as a rerank of a window of photos and passages makes them;
 *   perf_hooks.monitorEventLoopDelay p50 / p99 / max during the burst (what every passthrough
 *   request and abort timer arriving meanwhile waits), and model runs per second.
 * - sequential throughput: back-to-back runs of one model (image batch 1 and 16, text batch 16),
 *   alternating the two paths run by run, runs per second each way: the cost of the worker
 *   (copying inputs, posting messages, rebuilding outputs).
 *
 * Usage: npm run bench:event-loop [-- --quick]
 */
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { modelsSchema } from '../../src/config/schema.js';
import { Models, type PreprocessedImage } from '../../src/models/index.js';
import { MODELS_DIR, syntheticImage } from './features.js';

type Thread = 'worker' | 'main';
const QUICK = process.argv.includes('--quick');
const ROUNDS = QUICK ? 2 : 6;
const BURST_IMAGES = QUICK ? 32 : 64;
const BURST_TEXTS = QUICK ? 32 : 64;
const SEQ_RUNS = QUICK ? 10 : 40;

function models(thread: Thread): Promise<Models> {
  // production defaults (intra-op threads: onnxruntime's choice, batches of 16, 2 ms wait)
  return Models.create(modelsSchema.parse({ dir: MODELS_DIR, inferenceThread: thread }));
}

/** A passage of ~`words` words (a few hundred tokens), different per seed. */
function passage(seed: number, words = 180): string {
  const vocab = ['vitamin', 'bone', 'fracture', 'cohort', 'randomised', 'trial', 'patients', 'risk', 'protein', 'expression', 'cells', 'mice', 'receptor', 'dose', 'significant', 'increase', 'reduced', 'clinical', 'outcome', 'gene'];
  const out: string[] = [];
  for (let i = 0; i < words; i++) out.push(vocab[(seed * 7 + i * 13 + ((i * seed) % 5)) % vocab.length]!);
  return out.join(' ');
}

interface Burst {
  p50: number;
  p99: number;
  max: number;
  runs: number;
  seconds: number;
}

async function burst(m: Models, images: PreprocessedImage[], texts: string[]): Promise<Burst> {
  const ic = await m.imageClassifier();
  const te = await m.textEmbedder();
  const runs0 = ic.session.info().runs + te.session.info().runs;
  const h = monitorEventLoopDelay({ resolution: 1 });
  h.enable();
  const t0 = performance.now();
  // callers arrive as a rerank's do: in small groups, not one array
  const work: Promise<unknown>[] = [];
  for (let i = 0; i < images.length; i += 4) work.push(ic.embed(images.slice(i, i + 4)));
  for (let i = 0; i < texts.length; i += 4) work.push(te.embed(texts.slice(i, i + 4), { kind: 'passage' }));
  await Promise.all(work);
  const seconds = (performance.now() - t0) / 1000;
  h.disable();
  const ms = (ns: number): number => ns / 1e6;
  return { p50: ms(h.percentile(50)), p99: ms(h.percentile(99)), max: ms(h.max), runs: ic.session.info().runs + te.session.info().runs - runs0, seconds };
}

interface Seq {
  label: string;
  runsPerSecond: Record<Thread, number>;
}

/**
 * Back-to-back runs of one model, alternating main / worker run by run (the order flipping each
 * time), so that both paths see the same noise from the other tenants of a shared machine.
 */
async function sequential(all: Record<Thread, Models>, images: PreprocessedImage[], texts: string[]): Promise<Seq[]> {
  const cases: Array<[string, (m: Models) => Promise<unknown>]> = [
    ['image batch 1', async (m) => (await m.imageClassifier()).embed(images.slice(0, 1))],
    ['image batch 16', async (m) => (await m.imageClassifier()).embed(images.slice(0, 16))],
    ['text batch 16', async (m) => (await m.textEmbedder()).embed(texts.slice(0, 16), { kind: 'passage' })],
  ];
  const out: Seq[] = [];
  for (const [label, run] of cases) {
    const spent: Record<Thread, number> = { main: 0, worker: 0 };
    for (const t of ['main', 'worker'] as const) await run(all[t]); // warm
    for (let i = 0; i < SEQ_RUNS; i++) {
      for (const t of i % 2 === 0 ? (['main', 'worker'] as const) : (['worker', 'main'] as const)) {
        const t0 = performance.now();
        await run(all[t]);
        spent[t] += performance.now() - t0;
      }
    }
    out.push({ label, runsPerSecond: { main: SEQ_RUNS / (spent.main / 1000), worker: SEQ_RUNS / (spent.worker / 1000) } });
  }
  return out;
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor((xs.length - 1) / 2)]!;
const f = (x: number, d = 1): string => x.toFixed(d).padStart(8);

async function main(): Promise<void> {
  const images = Array.from({ length: BURST_IMAGES }, (_, i) => syntheticImage(i));
  const texts = Array.from({ length: BURST_TEXTS }, (_, i) => passage(i));
  const all: Record<Thread, Models> = { main: await models('main'), worker: await models('worker') };
  for (const m of Object.values(all)) await burst(m, images.slice(0, 16), texts.slice(0, 16)); // load + warm

  const bursts: Record<Thread, Burst[]> = { main: [], worker: [] };
  for (let r = 0; r < ROUNDS; r++) {
    for (const t of r % 2 === 0 ? (['main', 'worker'] as const) : (['worker', 'main'] as const)) bursts[t].push(await burst(all[t], images, texts));
  }
  const seqs = await sequential(all, images, texts);

  const agg = (t: Thread) => {
    const b = bursts[t];
    return {
      p50: median(b.map((x) => x.p50)),
      p99: median(b.map((x) => x.p99)),
      max: median(b.map((x) => x.max)),
      rps: median(b.map((x) => x.runs / x.seconds)),
      runs: b[0]!.runs,
    };
  };
  const [m, w] = [agg('main'), agg('worker')];
  const lines = [
    `bench:event-loop — ${BURST_IMAGES} images (EfficientNet-Lite2) + ${BURST_TEXTS} passages (bge-small, ~180 words) per burst, ${m.runs} model runs; medians of ${ROUNDS} interleaved round(s)`,
    '',
    `event-loop delay during the burst (ms)     main thread     worker   worker/main`,
    `  p50                                       ${f(m.p50)}   ${f(w.p50)}   ×${(w.p50 / m.p50).toFixed(3)}`,
    `  p99                                       ${f(m.p99)}   ${f(w.p99)}   ×${(w.p99 / m.p99).toFixed(3)}`,
    `  max (longest stall)                       ${f(m.max)}   ${f(w.max)}   ×${(w.max / m.max).toFixed(3)}`,
    `burst throughput (model runs/s)             ${f(m.rps, 2)}   ${f(w.rps, 2)}   ×${(w.rps / m.rps).toFixed(2)}`,
    '',
    `sequential throughput (runs/s, alternated) main thread     worker   worker/main`,
  ];
  for (const { label, runsPerSecond: r } of seqs) lines.push(`  ${label.padEnd(40)} ${f(r.main, 2)}   ${f(r.worker, 2)}   ×${(r.worker / r.main).toFixed(2)}`);
  process.stdout.write(lines.join('\n') + '\n');
  for (const x of Object.values(all)) await x.close();
}

main().catch((e) => {
  process.stderr.write(`${(e as Error).stack ?? e}\n`);
  process.exitCode = 1;
});
