/**
 * Issue 14 §3 measured: SciFact through the eval library (`runApiEval`, what `vlrerank eval --api`
 * runs), the first stage a BM25 run from a real engine (scripts/bench/scifact-bm25-run.ts), reranked
 * with texts cut at the window and with chunking, by two rerankers over the same model ports (so
 * every vector the two share is computed once). nDCG@10 of BM25 and of each.
 *   npx tsx scripts/bench/scifact-chunking.ts --run bm25.run [--window 100] [--long-relevant] [--limit n]
 * `--long-relevant`: only the queries with a judged-relevant abstract longer than the model's window
 * (where chunking can change anything), for a machine too busy for all 300.
 */
import { Reranker } from '../../src/rerank/reranker.js';
import { beirFiles, loadCollection, loadQrels, loadQueries, loadRun, selectQueries } from '../../src/eval/judgements.js';
import { runApiEval } from '../../src/eval/api-runner.js';
import { summarise } from '../../src/eval/summary.js';
import { MODELS, DATA } from '../../test/helpers/paths.js';
import { join } from 'node:path';

const argv = process.argv.slice(2);
const opt = (n: string) => (argv.includes(n) ? argv[argv.indexOf(n) + 1] : undefined);
const files = beirFiles(join(DATA, 'scifact-beir'), 'test');
const qrels = loadQrels(files.qrels);
const collection = loadCollection(files.corpus);
const window = Number(opt('--window') ?? 100);
const candidates = loadRun(opt('--run') ?? 'bm25.run').run;
let { queries } = selectQueries(loadQueries(files.queries).queries, qrels, opt('--limit') ? Number(opt('--limit')) : undefined);

const off = new Reranker({ modelsDir: MODELS, device: 'cpu', maxDocuments: Math.max(1000, window) });
const ports = await off.ports();
const on = new Reranker({ ports, maxDocuments: Math.max(1000, window), chunking: { overlap: 128, aggregate: 'max' } });
if (argv.includes('--long-relevant')) {
  const byId = new Map(collection.map((d) => [d.id, d.text ?? '']));
  queries = queries.filter((q) => [...(qrels.get(q.id)?.keys() ?? [])].some((id) => ports.text.countTokens!(byId.get(id) ?? '') > ports.text.maxTokens));
}
const runs = [];
for (const [name, reranker] of [['cut at the window', off], ['chunked (max, overlap 128)', on]] as const) {
  const { runs: r } = await runApiEval({ reranker, collection, queries, candidates, windows: [window] });
  runs.push({ ...r[0]!, name });
}
const result = summarise({ mode: 'api', target: { collection: files.corpus }, runs, queries, qrels, gain: 'exponential' });
const f = (x?: number) => (x ?? NaN).toFixed(3);
for (const c of result.configs) console.log(`SciFact ${c.judged} test queries, BM25 top-${window}: nDCG@10 BM25 ${f(c.first?.ndcg10)} → ${c.name} ${f(c.reranked?.ndcg10)} (recall@${window} ${f(c.first?.recallWindow)})`);
await off.close();
