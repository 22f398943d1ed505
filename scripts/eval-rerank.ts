/**
 * Full quality evaluation of the reranker on ../shared/data (the model tests run subsets):
 *   - Grocery: 81 product descriptions → 81 catalog photos; all 405 in-store photos → products
 *   - SciFact: test queries, BM25 (minisearch) top-K reranked by bge: nDCG@10 before/after
 *   npm run eval:rerank [-- --scifact-queries 300 --scifact-k 100]
 * Anchors: ../shared/ZERO-SHOT-BRIDGE.md (Grocery photos 0.346/0.711), BEIR BM25 SciFact 0.665,
 * bge-small 0.685 → 0.720 (../shared/models/README.md).
 */
import { testReranker } from '../test/helpers/reranker.js';
import { catalog, productImage, productText, queryPhotos } from '../test/helpers/grocery.js';
import { loadScifact, ndcgAt10 } from '../test/helpers/scifact.js';

const argv = process.argv.slice(2);
const opt = (n: string, d: number) => (argv.includes(n) ? Number(argv[argv.indexOf(n) + 1]) : d);
const SQ = opt('--scifact-queries', 300);
const SK = opt('--scifact-k', 100);
const skipGrocery = argv.includes('--no-grocery');
const reranker = testReranker();

if (!skipGrocery) {
  const products = catalog();
  const docs = products.map((p) => ({ image: productImage(p) }));
  let d1 = 0;
  let d5 = 0;
  for (const p of products) {
    const out = await reranker.process({ query: productText(p), documents: docs, top_n: 5 });
    const ids = out.map((x) => products[x.index]!.class_id);
    d1 += ids[0] === p.class_id ? 1 : 0;
    d5 += ids.includes(p.class_id) ? 1 : 0;
  }
  console.log(`Grocery descriptions → photos (81): top-1 ${(d1 / 81).toFixed(3)} top-5 ${(d5 / 81).toFixed(3)}`);
  const qs = queryPhotos();
  let p1 = 0;
  let p5 = 0;
  let c1 = 0;
  for (const q of qs) {
    const out = await reranker.process({ query: { image: q.image }, documents: docs, top_n: 5 });
    const ps = out.map((x) => products[x.index]!);
    p1 += ps[0]!.class_id === q.classId ? 1 : 0;
    c1 += ps[0]!.coarse_class_id === q.coarseId ? 1 : 0;
    p5 += ps.some((p) => p.class_id === q.classId) ? 1 : 0;
  }
  const n = qs.length;
  console.log(`Grocery in-store photos → products (${n}): top-1 ${(p1 / n).toFixed(3)} top-5 ${(p5 / n).toFixed(3)} coarse top-1 ${(c1 / n).toFixed(3)} (anchor 0.346 / 0.711, coarse 0.462)`);
}

const sf = loadScifact('test');
const qids = [...sf.qrels.keys()].slice(0, SQ);
let before = 0;
let after = 0;
for (const qid of qids) {
  const ids = sf.bm25(sf.queries.get(qid)!, SK);
  const out = await reranker.process({ query: sf.queries.get(qid)!, documents: ids.map((id) => sf.passage(sf.byId.get(id)!)) });
  before += ndcgAt10(ids, sf.qrels.get(qid)!);
  after += ndcgAt10(out.map((r) => ids[r.index]!), sf.qrels.get(qid)!);
}
console.log(`SciFact ${qids.length} test queries, BM25 top-${SK}: nDCG@10 ${(before / qids.length).toFixed(3)} → ${(after / qids.length).toFixed(3)} (anchors: BEIR BM25 0.665; bge 0.685 → 0.720)`);
await reranker.close();
