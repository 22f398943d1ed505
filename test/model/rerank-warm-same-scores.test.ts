/**
 * The warm path's shortcuts change no score (issue 12 §5): without `explain` the signals' details
 * and the dot products that only feed them are skipped (pair-score.ts), a photo's visual vector
 * (passage ⊕ ConSE bridge) is kept across requests (visual-text.ts, VisualTextMemo.mixed), short texts keep their
 * cache key (features/text-vectors.ts), and the documents' sides are built before the query's
 * vector arrives (reranker.ts). Checked on real models and photos: the same request with and
 * without `explain`, cold and warm, gives the same scores to the bit, and a kept visual vector
 * still gives each photo the raw value its two halves say.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { testReranker } from '../helpers/reranker.js';

const coco = (id: string) => `coco-captions-mini/images/val2017/${id}.jpg`;
const docs = [
  { image: coco('000000000802') },
  { text: 'a plate of food with broccoli and rice' },
  { image: coco('000000000139'), text: 'a living room with a television' },
  { image: coco('000000011813') },
  { text: 'a man riding a motorcycle down the road' },
];
const r = testReranker();
afterAll(() => r.close());

describe('warm shortcuts keep the scores', () => {
  it('with and without explain, cold and warm: the same scores, and no model run but the query on the warm path', { timeout: 600_000 }, async () => {
    const query = 'a kitchen with a refrigerator';
    const cold = await r.process({ query, documents: docs, explain: true });
    const plain = await r.process({ query, documents: docs });
    const again = await r.process({ query, documents: docs, explain: true });
    expect(plain.scores).toEqual(cold.scores);
    expect(again.scores).toEqual(cold.scores);
    expect(plain.map((x) => x.index)).toEqual(cold.map((x) => x.index));
    // the warm requests ran no model at all (the query's vector was kept too)
    expect(Object.values(plain.usage.model_calls).reduce((a, b) => a + b, 0)).toBe(0);
    // without explain no explanation is given; with it, every signal is there
    expect(plain.every((x) => x.explanation === undefined)).toBe(true);
    expect(again.map((x) => x.explanation?.signals.map((s) => s.name))).toEqual(cold.map((x) => x.explanation?.signals.map((s) => s.name)));
  });

  it('a photo’s kept visual vector, asked by a new query, gives the raw value of its passage and ConSE halves', { timeout: 600_000 }, async () => {
    await r.process({ query: 'a dog on a couch', documents: docs });
    const out = await r.process({ query: 'a bedroom with a bed', documents: docs, explain: true });
    const photos = out.filter((x) => docs[x.index]!.image !== undefined);
    expect(photos.length).toBe(3);
    for (const x of photos) {
      const s = x.explanation!.signals.find((g) => g.name === 'text_image')!;
      const d = s.detail as { visual_passage: { raw: number }; conse: { raw: number }; mix: { visual_passage: number; conse: number } };
      // raw = w·cos(q, passage) + (1−w)·cos(q, bridge) for a unit query; each part rounded to 1e-6
      expect(Math.abs(s.raw - (d.mix.visual_passage * d.visual_passage.raw + d.mix.conse * d.conse.raw))).toBeLessThanOrEqual(2e-6);
    }
  });
});
