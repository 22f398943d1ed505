/**
 * Does the rerank budget stop the work? (`npx tsx scripts/bench/rerank-abort.ts`)
 *
 * Runs Reranker.process() on 100 never-seen candidates with an AbortSignal that fires after
 * `--budget` ms (what withBudget in src/search/execute.ts does), then watches the model-call
 * counters until they stop moving. Prints, per scenario:
 *   - reject ms: from the abort to process() rejecting (what the client waits past the budget);
 *   - batches after abort: model runs started after the abort (work nobody will read);
 *   - cpu s after abort: process CPU time from the abort until the counters were still for --quiet ms;
 *   - work stopped ms: from the abort to the last model run that finished.
 * Scenarios: `text` (100 SciFact abstracts, the knowledge-base case) and `mixed` (COCO photos +
 * captions), each with cold models (first request after start) and with warm models, cold cache.
 *
 *   npx tsx scripts/bench/rerank-abort.ts [-- --budget 1500 --quiet 3000]
 * Env: BENCH_MODELS (../shared/models), BENCH_DATA (../shared/data).
 */
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { Reranker } from '../../src/rerank/reranker.js';
import { withMeter, type WorkMeter } from '../../src/util/work-meter.js';

const DATA = resolve(process.env.BENCH_DATA ?? '../shared/data');
const MODELS = resolve(process.env.BENCH_MODELS ?? '../shared/models');
const argv = process.argv.slice(2);
const arg = (name: string, d: number) => (argv.includes(name) ? Number(argv[argv.indexOf(name) + 1]) : d);
const BUDGET = arg('--budget', 1500);
const QUIET = arg('--quiet', 3000);

const abstracts = readFileSync(join(DATA, 'scifact-beir/corpus.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { title: string; text: string });
const coco = readFileSync(join(DATA, 'coco-captions-mini/captions.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { image: string; captions: string[] });
let na = 0;
let nc = 0;
type Doc = { text?: string; image?: string };
const textDocs = (n: number): Doc[] => Array.from({ length: n }, () => { const a = abstracts[na++ % abstracts.length]!; return { text: `${a.title}\n${a.text}` }; });
const mixedDocs = (n: number): Doc[] =>
  Array.from({ length: n }, (_, i) => { const c = coco[nc++ % coco.length]!; return i % 2 ? { image: `coco-captions-mini/${c.image}` } : { text: c.captions[0]!, image: `coco-captions-mini/${c.image}` }; });

const total = (r: Record<string, number>) => Object.values(r).reduce((a, b) => a + b, 0);

async function scenario(name: string, reranker: Reranker, query: string, docs: Doc[]): Promise<void> {
  // the scenario's model runs, those after the abort too (util/work-meter.ts)
  const meter: WorkMeter = {};
  const calls = () => total(meter);
  const ac = new AbortController();
  const c0 = calls();
  const t0 = performance.now();
  let tAbort = 0;
  let cAbort = 0;
  let cpuAbort = process.cpuUsage();
  const timer = setTimeout(() => {
    tAbort = performance.now();
    cAbort = calls();
    cpuAbort = process.cpuUsage();
    ac.abort(new Error('budget'));
  }, BUDGET);
  let outcome = 'completed';
  try {
    await withMeter(meter, () => reranker.process({ query, documents: docs }, { signal: ac.signal }));
  } catch (e) {
    outcome = `rejected (${(e as Error).message.slice(0, 40)})`;
  }
  clearTimeout(timer);
  const tDone = performance.now();
  if (!tAbort) {
    console.log(`${name.padEnd(22)} finished before the budget in ${(tDone - t0).toFixed(0)} ms (${calls() - c0} batches)`);
    return;
  }
  // watch the counters until they have been still for QUIET ms
  let last = calls();
  let tLast = performance.now();
  while (performance.now() - tLast < QUIET) {
    await new Promise((r) => setTimeout(r, 50));
    const c = calls();
    if (c !== last) {
      last = c;
      tLast = performance.now();
    }
  }
  const cpu = process.cpuUsage(cpuAbort);
  const cpuS = (cpu.user + cpu.system) / 1e6; // includes the quiet wait, which costs next to nothing
  console.log(
    `${name.padEnd(22)} ${outcome.padEnd(28)} reject ${(tDone - tAbort).toFixed(0).padStart(6)} ms   batches before/after abort ${String(cAbort - c0).padStart(3)}/${String(last - cAbort).padStart(3)}   cpu after abort ${cpuS.toFixed(2).padStart(6)} s   work stopped ${Math.max(0, tLast - tAbort).toFixed(0).padStart(6)} ms`,
  );
}

console.log(`rerank abort bench: budget ${BUDGET} ms, quiet ${QUIET} ms, models ${MODELS}`);
for (const kind of ['text', 'mixed'] as const) {
  const docs = () => (kind === 'text' ? textDocs(100) : mixedDocs(100));
  const query = kind === 'text' ? 'vitamin D supplementation reduces bone fractures' : 'a man riding a horse on a beach';
  // cold models: the first request after start
  const cold = new Reranker({ modelsDir: MODELS, device: 'cpu', mediaRoots: [DATA] });
  await scenario(`${kind} 100, cold models`, cold, query, docs());
  await cold.close();
  // warm models, cold cache
  const warm = new Reranker({ modelsDir: MODELS, device: 'cpu', mediaRoots: [DATA] });
  await warm.warmup();
  await warm.process({ query: 'warm', documents: kind === 'text' ? textDocs(2) : mixedDocs(2) });
  await scenario(`${kind} 100, warm models`, warm, query, docs());
  await warm.close();
}
