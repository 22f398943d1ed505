/**
 * The SciFact first stage from a real engine: indexes the BEIR corpus (title, text) into an index of
 * its own on Elasticsearch (or OpenSearch) and writes each test query's BM25 top-k (`multi_match`
 * over title and text) as a TREC run file, for `vlrerank eval --api --candidates`.
 *   npx tsx scripts/bench/scifact-bm25-run.ts --url http://127.0.0.1:19200 --index quality-scifact --k 100 --out bm25.run
 * Never touches another index: it creates (or reuses, with --reuse) only the one it is given.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { Client } from '@elastic/elasticsearch';

const argv = process.argv.slice(2);
const opt = (n: string, d: string) => (argv.includes(n) ? argv[argv.indexOf(n) + 1]! : d);
const url = opt('--url', 'http://127.0.0.1:19200');
const index = opt('--index', 'quality-scifact');
const k = Number(opt('--k', '100'));
const out = opt('--out', 'bm25.run');
const dir = resolve(opt('--beir', '../shared/data/scifact-beir'));
const split = opt('--split', 'test');
const client = new Client({ node: url });

const jsonl = <T>(f: string) => readFileSync(join(dir, f), 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as T);
if (!argv.includes('--reuse') || !(await client.indices.exists({ index }))) {
  await client.indices.delete({ index }, { ignore: [404] });
  await client.indices.create({ index, settings: { number_of_shards: 1, number_of_replicas: 0 }, mappings: { properties: { title: { type: 'text' }, text: { type: 'text' } } } });
  const corpus = jsonl<{ _id: string; title: string; text: string }>('corpus.jsonl');
  for (let i = 0; i < corpus.length; i += 1000) {
    const ops = corpus.slice(i, i + 1000).flatMap((d) => [{ index: { _index: index, _id: d._id } }, { title: d.title, text: d.text }]);
    const r = await client.bulk({ operations: ops });
    if (r.errors) throw new Error('bulk indexing failed');
  }
  await client.indices.refresh({ index });
}
const queries = new Map(jsonl<{ _id: string; text: string }>('queries.jsonl').map((q) => [q._id, q.text]));
const judged = [...new Set(readFileSync(join(dir, `qrels/${split}.tsv`), 'utf8').trim().split('\n').slice(1).map((l) => l.split('\t')[0]!))];
const lines: string[] = [];
for (const qid of judged) {
  const r = await client.search({ index, size: k, _source: false, query: { multi_match: { query: queries.get(qid)!, fields: ['title', 'text'] } } });
  r.hits.hits.forEach((h, i) => lines.push(`${qid} Q0 ${h._id} ${i + 1} ${h._score} es-bm25`));
}
writeFileSync(out, `${lines.join('\n')}\n`);
console.log(`${judged.length} queries, top-${k} each, from ${url}/${index} → ${out}`);
