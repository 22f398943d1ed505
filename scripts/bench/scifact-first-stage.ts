/**
 * Issue 14, SciFact: how the BM25 first stage's query form and the engine's analysis change what a
 * reranker gets — nDCG@10 and recall@100 (the bound on any reranker of a 100-hit window) of all
 * 300 test queries (or `--split train`'s 809), BEIR qrels, one query form at a time, on an index of its own (title, text as
 * `text` fields with the engine's `standard` analyzer; `--english` also tries OpenSearch's
 * `english` analyzer, which the thin Elasticsearch builds lack). Writes each form's top-k as a
 * TREC run (`--out-dir`) for scifact-rerank-factors.ts. Prints figures, asserts nothing, creates
 * or reuses (`--reuse`) only the indices it is given (`--index`, and `<index>-english`).
 *   npx tsx scripts/bench/scifact-first-stage.ts --url http://127.0.0.1:19200 --index scifact-helper-bm25 [--k 300] [--split test|train] [--reuse] [--english] [--out-dir DIR]
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { ndcgAt, recallAt } from '../../src/eval/metrics.js';

const argv = process.argv.slice(2);
const opt = (n: string, d: string) => (argv.includes(n) ? argv[argv.indexOf(n) + 1]! : d);
const url = opt('--url', 'http://127.0.0.1:19200');
const index = opt('--index', 'scifact-helper-bm25');
const k = Number(opt('--k', '300'));
const outDir = argv.includes('--out-dir') ? opt('--out-dir', '') : undefined;
const dir = resolve(opt('--beir', '../shared/data/scifact-beir'));
const split = opt('--split', 'test');

async function http(method: string, path: string, body?: unknown): Promise<any> {
  const r = await fetch(url + path, { method, headers: { 'content-type': path.endsWith('_bulk') ? 'application/x-ndjson' : 'application/json' }, body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body) });
  const j = (await r.json()) as any;
  if (r.status >= 300 && !(method === 'DELETE' && r.status === 404)) throw new Error(`${method} ${path}: HTTP ${r.status} ${JSON.stringify(j).slice(0, 300)}`);
  return j;
}
const jsonl = <T>(f: string) => readFileSync(join(dir, f), 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as T);

async function ensureIndex(name: string, analyzer?: string): Promise<void> {
  if (argv.includes('--reuse') && (await fetch(`${url}/${name}/_count`)).status === 200) return;
  await http('DELETE', `/${name}`);
  const text = analyzer ? { type: 'text', analyzer } : { type: 'text' };
  await http('PUT', `/${name}`, { settings: { number_of_shards: 1, number_of_replicas: 0 }, mappings: { properties: { title: text, text } } });
  const corpus = jsonl<{ _id: string; title: string; text: string }>('corpus.jsonl');
  for (let i = 0; i < corpus.length; i += 1000) {
    const ops = corpus.slice(i, i + 1000).flatMap((d) => [JSON.stringify({ index: { _index: name, _id: d._id } }), JSON.stringify({ title: d.title, text: d.text })]);
    const r = await http('POST', '/_bulk', ops.join('\n') + '\n');
    if (r.errors) throw new Error('bulk indexing failed');
  }
  await http('POST', `/${name}/_refresh`);
}

const queries = new Map(jsonl<{ _id: string; text: string }>('queries.jsonl').map((q) => [q._id, q.text]));
const qrels = new Map<string, Map<string, number>>();
for (const l of readFileSync(join(dir, `qrels/${split}.tsv`), 'utf8').trim().split('\n').slice(1)) {
  const [q, d, s] = l.split('\t');
  if (!qrels.has(q!)) qrels.set(q!, new Map());
  qrels.get(q!)!.set(d!, Number(s));
}

const forms: Record<string, (q: string) => unknown> = {
  'multi_match best_fields (shipped)': (q) => ({ multi_match: { query: q, fields: ['title', 'text'] } }),
  'best_fields tie_breaker 0.3': (q) => ({ multi_match: { query: q, fields: ['title', 'text'], tie_breaker: 0.3 } }),
  'best_fields tie_breaker 0.5 (BEIR)': (q) => ({ multi_match: { query: q, fields: ['title', 'text'], tie_breaker: 0.5 } }),
  most_fields: (q) => ({ multi_match: { query: q, fields: ['title', 'text'], type: 'most_fields' } }),
  combined_fields: (q) => ({ combined_fields: { query: q, fields: ['title', 'text'] } }),
  'combined_fields title^2': (q) => ({ combined_fields: { query: q, fields: ['title^2', 'text'] } }),
  'most_fields title^0.5': (q) => ({ multi_match: { query: q, fields: ['title^0.5', 'text'], type: 'most_fields' } }),
  cross_fields: (q) => ({ multi_match: { query: q, fields: ['title', 'text'], type: 'cross_fields' } }),
  'cross_fields title^2': (q) => ({ multi_match: { query: q, fields: ['title^2', 'text'], type: 'cross_fields' } }),
  'best_fields title^2': (q) => ({ multi_match: { query: q, fields: ['title^2', 'text'] } }),
  'text only': (q) => ({ match: { text: q } }),
  'most_fields, stop analyzer at query time': (q) => ({ multi_match: { query: q, fields: ['title', 'text'], type: 'most_fields', analyzer: 'stop' } }),
};

async function measure(idx: string, label: string): Promise<void> {
  if (outDir) mkdirSync(outDir, { recursive: true });
  for (const [name, form] of Object.entries(forms)) {
    let n = 0, r100 = 0, r200 = 0, rk = 0;
    const lines: string[] = [];
    const probe = await fetch(`${url}/${idx}/_search`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ size: 0, query: form('probe') }) });
    if (probe.status !== 200) {
      console.log(`${label} | ${name.padEnd(40)} | not supported by this engine (HTTP ${probe.status})`);
      continue;
    }
    for (const [qid, rel] of qrels) {
      const r = await http('POST', `/${idx}/_search`, { size: k, _source: false, query: form(queries.get(qid)!) });
      const ids = (r.hits.hits as Array<{ _id: string; _score: number }>).map((h) => h._id);
      (r.hits.hits as Array<{ _id: string; _score: number }>).forEach((h, i) => lines.push(`${qid} Q0 ${h._id} ${i + 1} ${h._score} bm25`));
      n += ndcgAt(ids, rel, 10);
      r100 += recallAt(ids, rel, 100);
      r200 += recallAt(ids, rel, 200);
      rk += recallAt(ids, rel, k);
    }
    const q = qrels.size;
    console.log(`${label} | ${name.padEnd(40)} | nDCG@10 ${(n / q).toFixed(4)} | recall@100 ${(r100 / q).toFixed(4)} | recall@200 ${(r200 / q).toFixed(4)} | recall@${k} ${(rk / q).toFixed(4)}`);
    if (outDir) writeFileSync(join(outDir, `${label}-${name.replace(/[^a-z0-9^.]+/gi, '_')}.run`), lines.join('\n') + '\n');
  }
}

await ensureIndex(index);
console.log(`SciFact, ${qrels.size} ${split} queries, ${url}/${index} (standard analyzer)`);
await measure(index, 'standard');
if (argv.includes('--english')) {
  await ensureIndex(`${index}-english`, 'english');
  await measure(`${index}-english`, 'english');
}
