/**
 * The warm path after a restart (issue 12 §5) gives the scores the cold path gave: a reranker
 * computes photos and texts into a disk folder, a fresh one on the same folder reranks the same
 * request from what is kept (no image model run) and every score and signal agrees within the
 * stored-record tolerance. The query text's vector is asked for before the media stage
 * (stages/text-plan.ts prefetchQueryText): with an image + text query against text documents, the
 * query's vector and the documents' query-side vectors still land where they belong, checked
 * against bge run directly.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { STORED_SCORE_TOLERANCE } from '../../src/features/store/codec.js';
import { Models } from '../../src/models/index.js';
import type { RerankOutput } from '../../src/rerank/types.js';
import { dot } from '../../src/util/vector.js';
import { modelsConfig } from '../helpers/models.js';
import { testReranker } from '../helpers/reranker.js';
import { tempStoreDir } from '../helpers/store.js';

const coco = (id: string) => `coco-captions-mini/images/val2017/${id}.jpg`;
const docs = [
  { image: coco('000000000802') },
  { text: 'a plate of food with broccoli and rice' },
  { image: coco('000000000139'), text: 'a living room with a television' },
  { image: 'skimage-clip-smoke/images/coffee.png' },
  { text: 'a man riding a motorcycle down the road' },
];
const store = tempStoreDir('warm-restart');
let models: Models;

beforeAll(async () => {
  models = await Models.create(modelsConfig());
});
afterAll(async () => {
  await models.close();
  store.cleanup();
});

/** Each document's signals (name → raw), in input order. */
function signalsOf(out: RerankOutput): Array<Record<string, number>> {
  const byIndex: Array<Record<string, number>> = [];
  for (const r of out) byIndex[r.index] = Object.fromEntries((r.explanation?.signals ?? []).map((s) => [s.name, s.raw]));
  return byIndex;
}

describe('rerank after a restart, from the disk folder', () => {
  it('scores and signals equal the cold run, with no image model run', { timeout: 600_000 }, async () => {
    const query = 'a kitchen with a refrigerator';
    const cold = testReranker({ featureStore: { diskPath: store.path } });
    const a = await cold.process({ query, documents: docs, explain: true });
    await cold.close();

    const warm = testReranker({ featureStore: { diskPath: store.path } });
    try {
      const b = await warm.process({ query, documents: docs, explain: true });
      const visualCalls = Object.entries(b.usage.model_calls).filter(([k]) => !k.startsWith('bge')).reduce((s, [, v]) => s + v, 0);
      expect(visualCalls).toBe(0);
      expect(b.scores).toHaveLength(a.scores.length);
      b.scores.forEach((s, i) => expect(Math.abs(s - a.scores[i]!)).toBeLessThanOrEqual(STORED_SCORE_TOLERANCE));
      const [sa, sb] = [signalsOf(a), signalsOf(b)];
      expect(sb.map((s) => Object.keys(s).sort())).toEqual(sa.map((s) => Object.keys(s).sort()));
      sa.forEach((s, i) => {
        for (const [name, raw] of Object.entries(s)) expect(Math.abs(sb[i]![name]! - raw)).toBeLessThanOrEqual(STORED_SCORE_TOLERANCE);
      });
    } finally {
      await warm.close();
    }
  });

  it('an image + text query: the query text vector asked for early is the query’s, the documents keep theirs', { timeout: 600_000 }, async () => {
    const query = { text: 'a kitchen with a refrigerator', image: coco('000000000802') };
    const texts = ['a plate of food with broccoli and rice', 'a man riding a motorcycle down the road'];
    const r = testReranker({ featureStore: { diskPath: store.path } });
    try {
      const out = await r.process({ query, documents: texts.map((text) => ({ text })), explain: true });
      const bge = await models.textEmbedder();
      const [q] = await bge.embed([query.text], { kind: 'query' });
      const passages = await Promise.all(texts.map(async (t) => (await bge.embed([t], { kind: 'passage' }))[0]!));
      const got = signalsOf(out);
      // (a passage vector the first test kept on disk comes back through the store's codec: its tolerance)
      texts.forEach((_, i) => expect(Math.abs(got[i]!.text_text! - dot(q!, passages[i]!))).toBeLessThanOrEqual(STORED_SCORE_TOLERANCE));
      // the documents' own query-side vectors feed image→text: present, and not the query's text vector
      expect(got.every((s) => typeof s.image_text === 'number')).toBe(true);
    } finally {
      await r.close();
    }
  });
});
