/**
 * The figures of a calibration table on mixed pools (scripts/calibration/metrics.ts) and the fit's
 * helpers (scripts/fit-calibration.ts): cross-modal inversions are counted over relevant × irrelevant
 * pairs of different modalities only; the balanced ECE is 0 when p matches the balanced observed
 * rate and grows when it does not; data sets carry equal weight within a class.
 */
import { describe, expect, it } from 'vitest';
import { inversions, reliability, scorePools, type Scored } from '../../../scripts/calibration/metrics.js';
import { buildPools, isHeldOut, type Pool } from '../../../scripts/calibration/mixed-pools.js';
import { DATA } from '../../helpers/paths.js';
import { pairsOf, setBalance } from '../../../scripts/fit-calibration.js';

const s = (pool: string, modality: Scored['modality'], rel: 0 | 1, score: number): Scored => ({ pool, set: 'x', modality, rel, score });

describe('inversions', () => {
  it('counts an irrelevant photo above a relevant text, ignores same-modality pairs and other pools', () => {
    const scored = [s('p', 'text', 1, 0.4), s('p', 'image', 0, 0.6), s('p', 'image', 0, 0.2), s('p', 'text', 0, 0.9), s('q', 'image', 0, 0.99)];
    const inv = inversions(scored);
    expect(inv.pairs).toBe(2);
    expect(inv.rate).toBe(0.5);
    expect(inv.by).toEqual({ 'text>image': { rate: 0.5, pairs: 2 } });
    expect(inversions(scored, { within: true })).toMatchObject({ rate: 1, pairs: 1 });
  });

  it('counts a tie as half an inversion', () => {
    expect(inversions([s('p', 'video', 1, 0.5), s('p', 'text', 0, 0.5)]).rate).toBe(0.5);
  });
});

describe('reliability', () => {
  it('is 0 when each bin predicts its balanced share of relevant documents', () => {
    // bin 0.2: 1 relevant of 4, bin 0.7: 3 of 4; with 4 relevant and 4 irrelevant in all, the balanced share is the plain share
    const scored = [s('p', 'image', 1, 0.25), s('p', 'image', 0, 0.25), s('p', 'image', 0, 0.25), s('p', 'image', 0, 0.25), s('p', 'image', 1, 0.75), s('p', 'image', 1, 0.75), s('p', 'image', 1, 0.75), s('p', 'image', 0, 0.75)];
    expect(reliability(scored).ece).toBeCloseTo(0, 10);
  });

  it('weights the classes to equal totals and measures the gap', () => {
    // every relevant scores 0.95, every irrelevant 0.05: perfect separation, ECE = 0.05
    const scored = [s('p', 'text', 1, 0.95), ...Array.from({ length: 9 }, () => s('p', 'text', 0, 0.05))];
    const r = reliability(scored);
    expect(r.ece).toBeCloseTo(0.05, 10);
    expect(r.bins.map((b) => [b[0], b[2], b[3]])).toEqual([
      [0, 0, 9],
      [0.9, 1, 1],
    ]);
    expect(r.bins.map((b) => b[1])).toEqual([expect.closeTo(0.05, 10), expect.closeTo(0.95, 10)]);
  });
});

describe('scoring pools and fitting helpers', () => {
  const pool: Pool = {
    id: 'coco:1',
    set: 'coco',
    query: { text: 'q' },
    docs: [
      { id: 'a', modality: 'text', rel: 1, doc: {}, raw: { text_text: 0.8 } },
      { id: 'b', modality: 'image', rel: 0, doc: {}, raw: { text_image: 0.5 } },
    ],
  };

  it('scores each document through the calibration table and fusion', () => {
    const scored = scorePools([pool], { text_text: { a: 10, b: -8 }, text_image: { a: 10, b: -5 } });
    expect(scored.map((x) => x.score)).toEqual([0.5, 0.5]);
  });

  it('takes a signal’s pairs from every pool, and balances data sets within a class', () => {
    expect(pairsOf([pool], 'text_text')).toEqual([{ x: 0.8, y: 1, set: 'coco' }]);
    const ps = [{ x: 0, y: 1 as const, set: 'a' }, { x: 0, y: 1 as const, set: 'a' }, { x: 0, y: 1 as const, set: 'b' }, { x: 0, y: 0 as const, set: 'a' }];
    expect(setBalance(ps)).toEqual([0.5, 0.5, 1, 1]);
  });

  it('holds out whole pools, the same ones on every run, and every skimage pool', () => {
    const ids = Array.from({ length: 400 }, (_, i) => `coco:${i}`);
    const held = ids.filter((id) => isHeldOut({ id, set: 'coco' }));
    expect(held.length / ids.length).toBeGreaterThan(0.22);
    expect(held.length / ids.length).toBeLessThan(0.38);
    expect(ids.filter((id) => isHeldOut({ id, set: 'coco' }))).toEqual(held);
    expect(isHeldOut({ id: 'skimage:rocket', set: 'skimage' })).toBe(true);
  });
});

describe('photo- and clip-query pools (real public data)', () => {
  const text = buildPools(DATA, { textOnly: true });
  const all = buildPools(DATA);

  it('leave the text-query pools exactly as they were', () => {
    expect(all.slice(0, text.length)).toEqual(text);
  });

  it('have a photo or a clip as the query and a relevant text in every pool', () => {
    const visual = all.slice(text.length);
    expect(new Set(visual.map((p) => p.set))).toEqual(new Set(['coco-photo', 'grocery-photo', 'video-clip']));
    for (const p of visual) {
      expect(p.query.text).toBeUndefined();
      expect(p.query.image ?? p.query.video).toMatch(/\.(jpe?g|png|mp4|mkv|avi|webm)$/i);
      expect(p.docs.some((d) => d.rel === 1 && d.modality === 'text')).toBe(true);
      expect(p.docs.some((d) => d.rel === 0 && d.modality === 'text')).toBe(true);
      // never the query itself as a document
      expect(p.docs.map((d) => d.doc.image ?? d.doc.video)).not.toContain(p.query.image ?? p.query.video);
    }
    // a shelf photo's relevant documents are its own product's catalog photo and text
    const g = visual.find((p) => p.set === 'grocery-photo')!;
    expect(g.docs.filter((d) => d.rel === 1).map((d) => d.modality).sort()).toEqual(['image', 'text']);
    expect(visual.filter((p) => p.set === 'grocery-photo')).toHaveLength(162);
  });
});
