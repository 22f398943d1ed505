/**
 * Document sides kept across requests (rerank/prepared.ts, issue 12 warm path): a document scored
 * before is scored from the side built for it then — to the bit the score the full path gives —
 * and a local photo changed on disk since (another size and mtime) is never served from its kept
 * side: it is read and computed again, and scored as a fresh reranker scores it. Real models, real
 * photos copied into a temporary media root.
 */
import { copyFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { DATA } from '../helpers/paths.js';
import { testReranker } from '../helpers/reranker.js';

const coco = (id: string) => join(DATA, `coco-captions-mini/images/val2017/${id}.jpg`);
const root = mkdtempSync(join(tmpdir(), 'vlrerank-kept-sides-'));
const photo = join(root, 'photo.jpg');
copyFileSync(coco('000000000139'), photo);
const docs = [{ image: 'photo.jpg' }, { text: 'a living room with a television' }, { image: 'photo.jpg', text: 'a kitchen' }, { text: 'a man riding a motorcycle' }];
const r = testReranker({ mediaRoots: [root] });
afterAll(async () => {
  await r.close();
  rmSync(root, { recursive: true, force: true });
});
const runs = (u: { model_calls: Record<string, number> }) => Object.entries(u.model_calls).filter(([k]) => !k.startsWith('bge')).reduce((a, [, v]) => a + v, 0);

describe('kept document sides', () => {
  it('score to the bit as the full path does, and report the same usage', { timeout: 600_000 }, async () => {
    const query = 'a room with a television';
    const first = await r.process({ query, documents: docs }); // builds and keeps the sides
    const kept = await r.process({ query: 'a room with a sofa', documents: docs }); // from the kept sides
    const full = await r.process({ query: 'a room with a sofa', documents: docs, explain: true }); // explain: the full path
    expect(kept.scores).toEqual(full.scores);
    expect(kept.usage.texts).toBe(full.usage.texts);
    expect(kept.usage.images).toBe(full.usage.images);
    expect(kept.usage.cache_misses).toBe(0);
    expect(kept.usage.cache_hits).toBe(first.usage.cache_hits + first.usage.cache_misses);
    expect(runs(kept.usage)).toBe(0);
  });

  it('a photo changed on disk is read and computed again, never scored from its kept side', { timeout: 600_000 }, async () => {
    const query = 'a plate of broccoli';
    const before = await r.process({ query, documents: docs });
    await r.process({ query, documents: docs }); // kept now
    copyFileSync(coco('000000000802'), photo); // other bytes, other size and mtime
    const after = await r.process({ query, documents: docs });
    expect(runs(after.usage)).toBeGreaterThan(0); // the image models ran on the new bytes
    const fresh = testReranker({ mediaRoots: [root], preparedSides: false });
    try {
      const want = await fresh.process({ query, documents: docs });
      // the photo documents' scores moved with the photo; int8 text vectors depend on batch
      // composition (PITFALLS), so the fresh process is compared within a small tolerance
      expect(after.scores[0]).not.toBe(before.scores[0]);
      after.scores.forEach((s, i) => expect(Math.abs(s - want.scores[i]!)).toBeLessThan(0.01));
      // and the documents not changed kept their scores to the bit
      expect(after.scores[1]).toBe(before.scores[1]);
    } finally {
      await fresh.close();
    }
  });
});
