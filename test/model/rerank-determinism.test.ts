/**
 * The same pair gets the same score whatever else is in the request:
 * - image ↔ image (fp32 EfficientNet, cached features): exactly equal;
 * - text → image (int8 bge for the query and the visual passages + fp32 EfficientNet): the image side
 *   is cached per content hash, so equal across requests within one process;
 * - text ↔ text with int8 bge-small-en-v1.5: dynamic quantisation shares one activation scale per
 *   input tensor (PITFALLS.md), so each text runs alone (manifest `text.runAlone`): exactly equal
 *   whatever else the request holds.
 */
import { afterAll, expect, it } from 'vitest';
import { testReranker } from '../helpers/reranker.js';
import { loadScifact } from '../helpers/scifact.js';

const sk = (n: string) => `skimage-clip-smoke/images/${n}.${n === 'rocket' ? 'jpg' : 'png'}`;
const all = ['astronaut', 'camera', 'chelsea', 'coffee', 'horse', 'motorcycle_right', 'page', 'rocket'];

it('image↔image scores are exactly equal in any company (fp32)', { timeout: 300_000 }, async () => {
  const r = testReranker();
  const a = await r.process({ query: { image: sk('chelsea') }, documents: [{ image: sk('coffee') }] });
  const b = await r.process({ query: { image: sk('chelsea') }, documents: all.map((n) => ({ image: sk(n) })) });
  expect(b.scores[all.indexOf('coffee')]).toBe(a.scores[0]);
  await r.close();
});

it('text↔text scores with int8 bge are exactly equal across batch compositions (each text runs alone)', { timeout: 300_000 }, async () => {
  const sf = loadScifact('test');
  const qid = [...sf.qrels.keys()][0]!;
  const q = sf.queries.get(qid)!;
  const ids = sf.bm25(q, 24);
  const texts = ids.map((id) => sf.passage(sf.byId.get(id)!));
  // fresh rerankers so no vector comes from the cache: one batch of 24 vs the pairs one at a time
  const together = testReranker();
  const alone = testReranker();
  const t = await together.process({ query: q, documents: texts });
  let maxDiff = 0;
  for (let i = 0; i < 6; i++) {
    const s = await alone.process({ query: q, documents: [texts[i]!] });
    maxDiff = Math.max(maxDiff, Math.abs(s.scores[0]! - t.scores[i]!));
  }
  console.log(`int8 bge: largest score difference between a batch of 24 and single pairs: ${maxDiff.toFixed(5)}`);
  expect(maxDiff).toBe(0);
  await together.close();
  await alone.close();
});
