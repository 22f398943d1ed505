/**
 * SciFact (BEIR) for reranking evaluation: corpus, test queries, qrels, a BM25 first stage
 * (minisearch: BM25+ over title and text), and nDCG@10 as BEIR computes it (graded gains, log2
 * discount, ideal from the qrels).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import MiniSearch from 'minisearch';
import { DATA } from './paths.js';
import { jsonl } from './reranker.js';

export interface SciDoc {
  _id: string;
  title: string;
  text: string;
}

export function loadScifact(split: 'test' | 'train' = 'test') {
  const corpus = jsonl<SciDoc>('scifact-beir/corpus.jsonl');
  const byId = new Map(corpus.map((d) => [d._id, d]));
  const queries = new Map(jsonl<{ _id: string; text: string }>('scifact-beir/queries.jsonl').map((q) => [q._id, q.text]));
  const qrels = new Map<string, Map<string, number>>();
  for (const l of readFileSync(join(DATA, `scifact-beir/qrels/${split}.tsv`), 'utf8').trim().split('\n').slice(1)) {
    const [qid, did, score] = l.split('\t');
    if (!qrels.has(qid!)) qrels.set(qid!, new Map());
    qrels.get(qid!)!.set(did!, Number(score));
  }
  const bm25 = new MiniSearch<SciDoc>({ idField: '_id', fields: ['title', 'text'] });
  bm25.addAll(corpus);
  return {
    byId,
    queries,
    qrels,
    /** ids of the top-k BM25 hits */
    bm25: (q: string, k: number) =>
      bm25
        .search(q)
        .slice(0, k)
        .map((h) => String(h.id)),
    passage: (d: SciDoc) => `${d.title} ${d.text}`,
  };
}

export function ndcgAt10(ranked: string[], rel: Map<string, number>): number {
  let dcg = 0;
  ranked.slice(0, 10).forEach((id, i) => {
    const g = rel.get(id) ?? 0;
    if (g > 0) dcg += (2 ** g - 1) / Math.log2(i + 2);
  });
  const ideal = [...rel.values()].sort((a, b) => b - a).slice(0, 10);
  const idcg = ideal.reduce((s, g, i) => s + (2 ** g - 1) / Math.log2(i + 2), 0);
  return idcg === 0 ? 0 : dcg / idcg;
}
