/**
 * Issue 14, SciFact: where the knowledge-base pipeline's nDCG@10 goes, one factor at a time, from
 * the same vectors the proxy uses (the shipped model through vlrerank's own text-vector cache; with
 * `--store DIR` a disk feature store the proxy's ingest shares, so nothing is embedded twice):
 *   - the query text fed to bge-small: the model's query prefix (shipped), none, the pipeline's
 *     instruction in its place;
 *   - the first stage (each TREC run of scifact-first-stage.ts in `--runs DIR`) and the window;
 *   - a blend of the cosine with the BM25 score, a function of the pair alone
 *     (cos + a·ln(1 + bm25)), `a` chosen on the train split's queries, reported on test;
 *   - bge-small over the whole corpus (no first stage), the bi-encoder's own figure.
 * Prints figures, asserts nothing, touches no index.
 * `--index I`: passage vectors read from the feature records of index I (e.g. the one bench:knowledge
 * measures) where it has them.
 *   npx tsx scripts/bench/scifact-rerank-factors.ts --runs DIR [--train-runs DIR] [--store DIR] [--index I]
 * Runs for the train split: scifact-first-stage.ts --split train --out-dir DIR.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import YAML from 'yaml';
import { parseConfig } from '../../src/config/load.js';
import { decodeVector, parseRecord, unpackRecord } from '../../src/features/record/index.js';
import { ndcgAt, recallAt } from '../../src/eval/metrics.js';
import { startServer } from '../../src/server/start.js';

const { values: args } = parseArgs({
  options: {
    runs: { type: 'string', default: '/tmp/scifact-runs' },
    'train-runs': { type: 'string' },
    store: { type: 'string' },
    index: { type: 'string' },
    upstream: { type: 'string', default: 'http://127.0.0.1:19200' },
    beir: { type: 'string', default: '../shared/data/scifact-beir' },
    'models-dir': { type: 'string', default: process.env.VLRERANK_MODELS_DIR ?? '../shared/models' },
    windows: { type: 'string', default: '20,50,100,200,300' },
  },
});
const dir = resolve(args.beir!);
const jsonl = <T>(f: string) => readFileSync(join(dir, f), 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as T);
const corpus = jsonl<{ _id: string; title: string; text: string }>('corpus.jsonl');
const queryText = new Map(jsonl<{ _id: string; text: string }>('queries.jsonl').map((q) => [q._id, q.text]));
function qrels(split: string): Map<string, Map<string, number>> {
  const out = new Map<string, Map<string, number>>();
  for (const l of readFileSync(join(dir, `qrels/${split}.tsv`), 'utf8').trim().split('\n').slice(1)) {
    const [q, d, s] = l.split('\t');
    if (!out.has(q!)) out.set(q!, new Map());
    out.get(q!)!.set(d!, Number(s));
  }
  return out;
}
type Run = Map<string, Array<{ id: string; score: number }>>;
function loadRun(file: string): Run {
  const run: Run = new Map();
  for (const l of readFileSync(file, 'utf8').trim().split('\n')) {
    const [q, , d, , s] = l.split(' ');
    if (!run.has(q!)) run.set(q!, []);
    run.get(q!)!.push({ id: d!, score: Number(s) });
  }
  return run;
}
const runsIn = (d: string) => new Map(readdirSync(d).filter((f) => f.endsWith('.run')).sort().map((f) => [f.replace(/\.run$/, ''), loadRun(join(d, f))]));

const kb = YAML.parse(readFileSync('pipelines/knowledge-base.yaml', 'utf8')) as { instruction: string; fields: { text_separator?: string } };
const sep = kb.fields.text_separator ?? '\n';
const srv = await startServer(
  parseConfig({
    server: { port: 0, ui: false },
    upstream: { urls: ['http://127.0.0.1:19200'] },
    log: { level: 'silent', access: false },
    models: { dir: resolve(args['models-dir']!), inferenceNice: 0 },
    pipelines: { dir: resolve('pipelines') },
    ...(args.store ? { store: { disk: { path: args.store } } } : {}),
  }),
);
const ports = await srv.services.reranker.ports();
const tv = ports.textVectors!;
const t0 = performance.now();
const docVec = new Map<string, Float32Array>();
if (args.index) {
  // the passage vectors kept in the index's feature records (what the proxy reranks from)
  const post = async (path: string, body: unknown) => (await (await fetch(args.upstream + path, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) })).json()) as any;
  let page = await post(`/${args.index}/_search?scroll=5m`, { size: 500, _source: false, stored_fields: ['vlrerank_features'], sort: ['_doc'] });
  while (page.hits?.hits?.length) {
    for (const h of page.hits.hits as Array<{ _id: string; fields?: Record<string, unknown[]> }>) {
      const { record } = parseRecord(unpackRecord(h.fields?.vlrerank_features));
      if (record?.text?.p) docVec.set(h._id, decodeVector(record.text.p));
    }
    page = await post('/_search/scroll', { scroll: '5m', scroll_id: page._scroll_id });
  }
}
const fromRecords = docVec.size;
const missing = corpus.filter((d) => !docVec.has(d._id));
for (let i = 0; i < missing.length; i += 256) {
  const part = missing.slice(i, i + 256);
  const r = await tv.vectors(part.map((d) => `${d.title}${sep}${d.text}`), 'passage');
  part.forEach((d, j) => docVec.set(d._id, r.vectors[j]!));
}
process.stdout.write(`corpus: ${corpus.length} passage vectors (${fromRecords} from the index's records) in ${((performance.now() - t0) / 1000).toFixed(0)} s\n`);
const dot = (a: Float32Array, b: Float32Array) => {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i]! * b[i]!;
  return s;
};

/** In parts, one after another: the model's queue takes at most 1,024 texts. */
async function inParts(texts: string[], kind: 'query' | 'passage'): Promise<Float32Array[]> {
  const out: Float32Array[] = [];
  for (let i = 0; i < texts.length; i += 200) out.push(...(await tv.vectors(texts.slice(i, i + 200), kind)).vectors);
  return out;
}

async function queryVectors(ids: string[]): Promise<Record<string, Map<string, Float32Array>>> {
  const texts = ids.map((id) => queryText.get(id)!);
  const variants: Record<string, () => Promise<Float32Array[]>> = {
    'model query prefix (shipped)': () => inParts(texts, 'query'),
    'no prefix': () => inParts(texts, 'passage'),
    'pipeline instruction as prefix': () => inParts(texts.map((t) => `${kb.instruction} ${t}`), 'passage'),
  };
  const out: Record<string, Map<string, Float32Array>> = {};
  for (const [k, f] of Object.entries(variants)) out[k] = new Map((await f()).map((v, i) => [ids[i]!, v]));
  return out;
}

const f4 = (x: number) => x.toFixed(4);
const windows = args.windows!.split(',').map(Number);
const blendA = [0, 0.005, 0.01, 0.015, 0.02, 0.03, 0.04, 0.06];

function rerankScore(run: Run, qv: Map<string, Float32Array>, rel: Map<string, Map<string, number>>, w: number, a: number): { ndcg: number; recall: number } {
  let n = 0, r = 0;
  for (const [qid, judged] of rel) {
    const hits = (run.get(qid) ?? []).slice(0, w);
    const q = qv.get(qid)!;
    const ranked = hits.map((h) => ({ id: h.id, s: dot(q, docVec.get(h.id)!) + a * Math.log1p(h.score) })).sort((x, y) => y.s - x.s).map((h) => h.id);
    n += ndcgAt(ranked, judged, 10);
    r += recallAt(hits.map((h) => h.id), judged, w);
  }
  return { ndcg: n / rel.size, recall: r / rel.size };
}

const test = qrels('test');
const testIds = [...test.keys()];
const qv = await queryVectors(testIds);
// bge-small alone over the whole corpus
for (const [name, v] of Object.entries(qv)) {
  let n = 0;
  for (const [qid, judged] of test) {
    const q = v.get(qid)!;
    const ranked = corpus.map((d) => ({ id: d._id, s: dot(q, docVec.get(d._id)!) })).sort((x, y) => y.s - x.s).slice(0, 10).map((h) => h.id);
    n += ndcgAt(ranked, judged, 10);
  }
  process.stdout.write(`bge-small over all ${corpus.length} abstracts, query ${name}: nDCG@10 ${f4(n / test.size)}\n`);
}
const runs = runsIn(args.runs!);
process.stdout.write(`\nSciFact test, ${test.size} queries: nDCG@10 of the cosine rerank (recall@window of the first stage)\n`);
for (const [rn, run] of runs) {
  for (const [qn, v] of Object.entries(qv)) {
    const cells = windows.map((w) => {
      const x = rerankScore(run, v, test, w, 0);
      return `w${w} ${f4(x.ndcg)} (R ${f4(x.recall)})`;
    });
    process.stdout.write(`${rn.padEnd(48)} | ${qn.padEnd(32)} | ${cells.join(' | ')}\n`);
  }
}
if (args['train-runs']) {
  const train = qrels('train');
  const tq = await queryVectors([...train.keys()]);
  const trainRuns = runsIn(args['train-runs']);
  process.stdout.write(`\nBlend cos + a·ln(1+bm25), model query prefix: a and window chosen on train (${train.size} queries), nDCG@10 on test\n`);
  for (const [rn, run] of trainRuns) {
    const testRun = runs.get(rn);
    if (!testRun) continue;
    let best = { a: 0, w: 100, ndcg: -1 };
    for (const w of windows) for (const a of blendA) {
      const x = rerankScore(run, tq['model query prefix (shipped)']!, train, w, a);
      if (x.ndcg > best.ndcg) best = { a, w, ndcg: x.ndcg };
    }
    const noBlendTrain = rerankScore(run, tq['model query prefix (shipped)']!, train, 100, 0).ndcg;
    const onTest = rerankScore(testRun, qv['model query prefix (shipped)']!, test, best.w, best.a).ndcg;
    const testW100 = blendA.map((a) => `a=${a}: ${f4(rerankScore(testRun, qv['model query prefix (shipped)']!, test, 100, a).ndcg)}`);
    process.stdout.write(`${rn.padEnd(48)} | train w100 a=0 ${f4(noBlendTrain)} → best train a=${best.a} w${best.w} ${f4(best.ndcg)} | test at that ${f4(onTest)} | test w100: ${testW100.join(', ')}\n`);
  }
}
await srv.close();
