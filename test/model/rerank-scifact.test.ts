/**
 * SciFact test claims: rerank a BM25 first stage by the text↔text signal (bge-small-en-v1.5 cosine)
 * and compare nDCG@10 before and after. Subset here (every 20th test query, top-20); the full 300
 * queries × top-100 run in scripts/eval-rerank.ts. Anchors: BEIR paper BM25 0.665; the bge model
 * card here: 0.685 (BM25 top-100) → 0.720 after reranking by its cosine (../shared/models/README.md).
 */
import { afterAll, expect, it } from 'vitest';
import { testReranker } from '../helpers/reranker.js';
import { loadScifact, ndcgAt10 } from '../helpers/scifact.js';

const reranker = testReranker();
afterAll(() => reranker.close());

it('reranking BM25 candidates by bge raises nDCG@10', { timeout: 900_000 }, async () => {
  const sf = loadScifact('test');
  const qids = [...sf.qrels.keys()].filter((_, i) => i % 20 === 0);
  let before = 0;
  let after = 0;
  for (const qid of qids) {
    const ids = sf.bm25(sf.queries.get(qid)!, 20);
    const out = await reranker.process({ query: sf.queries.get(qid)!, documents: ids.map((id) => sf.passage(sf.byId.get(id)!)) });
    before += ndcgAt10(ids, sf.qrels.get(qid)!);
    after += ndcgAt10(out.map((r) => ids[r.index]!), sf.qrels.get(qid)!);
  }
  before /= qids.length;
  after /= qids.length;
  console.log(`SciFact ${qids.length} test queries, BM25 (minisearch) top-20: nDCG@10 ${before.toFixed(3)} → ${after.toFixed(3)} after rerank (anchors: BEIR BM25 0.665; bge 0.685 → 0.720)`);
  expect(before).toBeGreaterThan(0.5);
  expect(after).toBeGreaterThan(before);
});
