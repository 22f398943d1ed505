/**
 * Grocery Store Dataset (81 products): product descriptions → catalog photos (text → image through
 * the bridge), and in-store phone photos → catalog photos (image → image, EfficientNet cosine).
 * A subset of the 405 in-store photos here (every 5th); the full set runs in scripts/eval-rerank.ts.
 * Anchor for photos → products (../shared/ZERO-SHOT-BRIDGE.md, Python, all 405): top-1/top-5
 * 0.346/0.711 by product. Chance: top-1 1/81 = 0.012, top-5 0.062.
 */
import { afterAll, expect, it } from 'vitest';
import { testReranker } from '../helpers/reranker.js';
import { catalog, productImage, productText, queryPhotos } from '../helpers/grocery.js';

const products = catalog();
const reranker = testReranker();
afterAll(() => reranker.close());
const docs = products.map((p) => ({ image: productImage(p) }));

it('product descriptions find their catalog photo well above chance', { timeout: 300_000 }, async () => {
  let top1 = 0;
  let top5 = 0;
  for (const [i, p] of products.entries()) {
    const out = await reranker.process({ query: productText(p), documents: docs, top_n: 5 });
    const order = out.map((x) => products[x.index]!.class_id);
    if (order[0] === p.class_id) top1++;
    if (order.includes(p.class_id)) top5++;
    expect(out.scores).toHaveLength(81);
    void i;
  }
  console.log(`Grocery descriptions → 81 product photos: top-1 ${(top1 / 81).toFixed(3)} top-5 ${(top5 / 81).toFixed(3)} (chance 0.012 / 0.062)`);
  expect(top5 / 81).toBeGreaterThan(0.2);
});

it('in-store photos find their product (subset: every 5th photo)', { timeout: 300_000 }, async () => {
  const qs = queryPhotos().filter((_, i) => i % 5 === 0);
  let top1 = 0;
  let top5 = 0;
  let coarse1 = 0;
  for (const q of qs) {
    const out = await reranker.process({ query: { image: q.image }, documents: docs, top_n: 5 });
    const order = out.map((x) => products[x.index]!);
    if (order[0]!.class_id === q.classId) top1++;
    if (order[0]!.coarse_class_id === q.coarseId) coarse1++;
    if (order.some((p) => p.class_id === q.classId)) top5++;
  }
  const n = qs.length;
  console.log(`Grocery ${n} in-store photos → 81 products: top-1 ${(top1 / n).toFixed(3)} top-5 ${(top5 / n).toFixed(3)}, coarse top-1 ${(coarse1 / n).toFixed(3)} (anchor, all 405: 0.346 / 0.711, coarse 0.462)`);
  expect(top1 / n).toBeGreaterThan(0.2);
  expect(top5 / n).toBeGreaterThan(0.5);
});
