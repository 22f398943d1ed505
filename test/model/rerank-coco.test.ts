/**
 * Text → image on COCO-mini: all 1,195 captions over all 239 photos through Reranker.process()
 * (the photos' features are computed once and cached; each caption is one request of 239 documents).
 * Anchor (../shared/ZERO-SHOT-BRIDGE.md, Python): 0.5·visual passage + 0.5·ConSE reaches
 * R@1/5/10 0.387/0.746/0.867 (MRR 0.549); ConSE alone 0.249/0.635/0.768. Chance R@10 = 10/239 = 0.042.
 * Measured here (issue 14 anchors, models/CALIBRATION.md "Quality anchors"): 0.393/0.744/0.872, MRR 0.552.
 * The bounds hold the anchor within 0.01 (the int8 text model's batch noise): a photo-only document
 * has one signal, so only the signal itself (bridge settings, visual passage, preprocessing) can fail it.
 */
import { afterAll, expect, it } from 'vitest';
import { jsonl, rankOf, testReranker } from '../helpers/reranker.js';

const rows = jsonl<{ image: string; captions: string[] }>('coco-captions-mini/captions.jsonl');
const reranker = testReranker();
afterAll(() => reranker.close());

it('recalls the captioned photo at the Python anchor (within 0.01)', { timeout: 600_000 }, async () => {
  const documents = rows.map((r) => ({ image: `coco-captions-mini/${r.image}` }));
  const ranks: number[] = [];
  for (const [i, r] of rows.entries()) {
    for (const caption of r.captions) {
      const out = await reranker.process({ query: caption, documents });
      ranks.push(rankOf(out.map((x) => x.index), i));
    }
  }
  const at = (k: number) => ranks.filter((x) => x <= k).length / ranks.length;
  const mrr = ranks.reduce((s, x) => s + 1 / x, 0) / ranks.length;
  console.log(`COCO-mini ${ranks.length} captions → ${rows.length} photos: R@1 ${at(1).toFixed(3)} R@5 ${at(5).toFixed(3)} R@10 ${at(10).toFixed(3)} MRR ${mrr.toFixed(3)} (anchor 0.387/0.746/0.867, MRR 0.549)`);
  expect(ranks).toHaveLength(1195);
  expect(at(1)).toBeGreaterThanOrEqual(0.387 - 0.01);
  expect(at(10)).toBeGreaterThanOrEqual(0.867 - 0.01);
  expect(mrr).toBeGreaterThanOrEqual(0.549 - 0.01);
});
