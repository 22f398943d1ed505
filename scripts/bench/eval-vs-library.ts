/**
 * Issue 14: "`vlrerank eval` reproduces the library's own figures within ±0.005". Takes the JSON of a
 * `vlrerank eval --url … --json` run (every query's first-stage window and reranked order, as the
 * proxy returned them), reranks each query's very window with Reranker.process() — the pipeline's
 * documents (`documentFromSource`), weights and fusion, as the search path passes them — and prints
 * nDCG@10, MRR@10 and recall@10 of both with the difference. Use a pipeline whose
 * `first_stage.fusion` is `none`: a blend needs the engine's scores, which the eval JSON does not keep.
 *   npx tsx scripts/bench/eval-vs-library.ts --json out.json --queries q.jsonl --qrels qrels.tsv \
 *     --upstream http://127.0.0.1:19200 --index coco --pipelines DIR --pipeline coco-rerank-only [--config-name NAME]
 */
import { readFileSync } from 'node:fs';
import { Reranker } from '../../src/rerank/reranker.js';
import { loadPipelines } from '../../src/pipelines/load.js';
import { documentFromSource } from '../../src/pipelines/document.js';
import { scoreFusionOf } from '../../src/search/shape.js';
import { loadQrels, loadQueries } from '../../src/eval/judgements.js';
import { mrrAt, ndcgAt, recallAt } from '../../src/eval/metrics.js';
import { DATA, MODELS } from '../../test/helpers/paths.js';

const argv = process.argv.slice(2);
const flag = (n: string) => {
  const i = argv.indexOf(n);
  if (i < 0) throw new Error(`${n} is required`);
  return argv[i + 1]!;
};
const out = JSON.parse(readFileSync(flag('--json'), 'utf8')) as { runs: Array<{ name: string; window: number; queries: Array<{ id: string; first: string[]; reranked: string[] }> }> };
const pipeline = loadPipelines(flag('--pipelines')).find((p) => p.name === flag('--pipeline'));
if (!pipeline) throw new Error(`no pipeline ${flag('--pipeline')}`);
const { queries } = loadQueries(flag('--queries'));
const qrels = loadQrels(flag('--qrels'));
const text = new Map(queries.map((q) => [q.id, q.text!]));

// every document of the index, as the search path turns a hit's _source into a rerank document
const res = await fetch(`${flag('--upstream')}/${flag('--index')}/_search`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ size: 10000, query: { match_all: {} } }) });
const hits = ((await res.json()) as { hits: { hits: Array<{ _id: string; _source: unknown }> } }).hits.hits;
const docs = new Map(hits.map((h) => [h._id, documentFromSource(h._source, pipeline)!]));

const reranker = new Reranker({ modelsDir: MODELS, device: 'cpu', mediaRoots: [DATA], ...(Object.keys(pipeline.scorer.weights).length ? { weights: pipeline.scorer.weights } : {}), ...(scoreFusionOf(pipeline) ? { scoreFusion: scoreFusionOf(pipeline) } : {}) });
for (const run of out.runs) {
  const sum = { proxy: [0, 0, 0], library: [0, 0, 0] };
  let differ = 0;
  for (const q of run.queries) {
    const rel = qrels.get(q.id)!;
    const r = await reranker.process({ query: text.get(q.id)!, documents: q.first.map((id) => docs.get(id)!) });
    const lib = r.map((x) => q.first[x.index]!);
    if (lib.slice(0, 10).join() !== q.reranked.slice(0, 10).join()) differ++;
    for (const [k, order] of [['proxy', q.reranked], ['library', lib]] as const) {
      sum[k][0]! += ndcgAt(order, rel);
      sum[k][1]! += mrrAt(order, rel);
      sum[k][2]! += recallAt(order, rel, 10);
    }
  }
  const n = run.queries.length;
  const f = (k: 'proxy' | 'library', i: number) => (sum[k][i]! / n).toFixed(4);
  const d = (i: number) => ((sum.proxy[i]! - sum.library[i]!) / n).toFixed(4);
  process.stdout.write(`${run.name} (${n} queries): nDCG@10 proxy ${f('proxy', 0)} library ${f('library', 0)} (Δ ${d(0)}) · MRR@10 ${f('proxy', 1)} / ${f('library', 1)} (Δ ${d(1)}) · R@10 ${f('proxy', 2)} / ${f('library', 2)} (Δ ${d(2)}); top 10 differ in ${differ} queries\n`);
}
await reranker.close();
