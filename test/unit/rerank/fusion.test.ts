/** Fusion: a weighted mean of calibrated signals (by default in log-odds) in [0, 1], independent of other candidates. */
import { expect, it } from 'vitest';
import fc from 'fast-check';
import { fuse, nearDuplicateLift, NEAR_DUPLICATE, resolveWeights } from '../../../src/rerank/fusion.js';

it('calibrated mode is the weighted mean of the calibrated signals with positive weight', () => {
  expect(fuse([{ name: 'a', calibrated: 0.9, weight: 1 }, { name: 'b', calibrated: 0.3, weight: 2 }], { kind: 'calibrated' })).toBeCloseTo(0.5, 10);
  expect(fuse([{ name: 'a', calibrated: 0.9, weight: 0 }, { name: 'b', calibrated: 0.3, weight: 1 }], { kind: 'calibrated' })).toBeCloseTo(0.3, 10);
  expect(fuse([], { kind: 'calibrated' })).toBe(0);
  expect(fuse([])).toBe(0);
});

it('always lands in [0, 1]', () => {
  fc.assert(
    fc.property(fc.array(fc.record({ calibrated: fc.double({ min: 0, max: 1, noNaN: true }), weight: fc.double({ min: 0, max: 10, noNaN: true }) })), (xs) => {
      const s = fuse(xs.map((x, i) => ({ name: `s${i}`, ...x })));
      return s >= 0 && s <= 1;
    }),
  );
});

it('per-request weights override configured ones, which override the defaults', () => {
  const w = resolveWeights({ text_text: 3 }, { remote: 0 });
  expect(w.text_text).toBe(3);
  expect(w.remote).toBe(0);
  expect(w.image_image).toBe(1);
});

it('raw mode is one logistic of the weighted mean of the raw values, calibrated mode ignores them', () => {
  const signals = [
    { name: 'text_text', raw: 0.62, calibrated: 0.9, weight: 1 },
    { name: 'text_image', raw: 0.31, calibrated: 0.2, weight: 3 },
    { name: 'ocr_text', raw: 0.99, calibrated: 0.99, weight: 0 },
  ];
  const m = (1 * 0.62 + 3 * 0.31) / 4;
  expect(fuse(signals, { kind: 'raw', a: 8, b: -3 })).toBeCloseTo(1 / (1 + Math.exp(-(8 * m - 3))), 12);
  expect(fuse(signals, { kind: 'calibrated' })).toBeCloseTo((0.9 + 3 * 0.2) / 4, 12);
  expect(fuse(signals)).toBe(fuse(signals, { kind: 'logodds' })); // the default
  // a signal without a raw value (or a NaN one, a failed remote) is left out of the raw mean
  expect(fuse([...signals, { name: 'remote', raw: NaN, calibrated: NaN, weight: 2 }], { kind: 'raw', a: 8, b: -3 })).toBeCloseTo(1 / (1 + Math.exp(-(8 * m - 3))), 12);
  expect(fuse([{ name: 'x', calibrated: 0.5, weight: 1 }], { kind: 'raw', a: 1, b: 0 })).toBe(0);
});

it('raw mode always lands in [0, 1] and does not depend on other candidates', () => {
  fc.assert(
    fc.property(
      fc.array(fc.record({ raw: fc.double({ min: -1, max: 1, noNaN: true }), weight: fc.double({ min: 0, max: 10, noNaN: true }) })),
      fc.double({ min: -50, max: 50, noNaN: true }),
      fc.double({ min: -50, max: 50, noNaN: true }),
      (xs, a, b) => {
        const s = fuse(xs.map((x, i) => ({ name: `s${i}`, calibrated: 0.5, ...x })), { kind: 'raw', a, b });
        return s >= 0 && s <= 1;
      },
    ),
  );
});

it('logodds mode: the calibrated mean taken in log-odds — equal for one signal, in [0, 1], and sure signals not flattened by the ceiling', () => {
  expect(fuse([{ name: 'a', calibrated: 0.73, weight: 2 }], { kind: 'logodds' })).toBeCloseTo(0.73, 12);
  const w = [
    { name: 'a', calibrated: 0.9, weight: 1 },
    { name: 'b', calibrated: 0.3, weight: 2 },
  ];
  const logit = (p: number) => Math.log(p / (1 - p));
  expect(fuse(w, { kind: 'logodds' })).toBeCloseTo(1 / (1 + Math.exp(-(logit(0.9) + 2 * logit(0.3)) / 3)), 12);
  // an identical photo (image_image all but 1) beside a weaker caption match, against a similar
  // photo whose two signals are both high: the plain mean ranks them the other way round
  const same = [{ name: 'image_image', calibrated: 0.99997, weight: 1 }, { name: 'image_text', calibrated: 0.9286, weight: 1 }];
  const similar = [{ name: 'image_image', calibrated: 0.9852, weight: 1 }, { name: 'image_text', calibrated: 0.9791, weight: 1 }];
  expect(fuse(same, { kind: 'calibrated' })).toBeLessThan(fuse(similar, { kind: 'calibrated' }));
  expect(fuse(same, { kind: 'logodds' })).toBeGreaterThan(fuse(similar, { kind: 'logodds' }));
  // 0 and 1 are kept finite; no signal → 0; weight 0 and NaN ignored
  expect(fuse([{ name: 'a', calibrated: 1, weight: 1 }, { name: 'b', calibrated: 0, weight: 1 }], { kind: 'logodds' })).toBeCloseTo(0.5, 9);
  expect(fuse([], { kind: 'logodds' })).toBe(0);
  expect(fuse([{ name: 'a', calibrated: 0.8, weight: 1 }, { name: 'b', calibrated: 0.1, weight: 0 }, { name: 'c', calibrated: NaN, weight: 1 }], { kind: 'logodds' })).toBeCloseTo(0.8, 12);
  fc.assert(
    fc.property(fc.array(fc.record({ calibrated: fc.double({ min: 0, max: 1, noNaN: true }), weight: fc.double({ min: 0, max: 10, noNaN: true }) })), (xs) => {
      const s = fuse(xs.map((x, i) => ({ name: `s${i}`, ...x })), { kind: 'logodds' });
      expect(s).toBeGreaterThanOrEqual(0);
      expect(s).toBeLessThanOrEqual(1);
    }),
  );
});

it('an exact or near-duplicate picture outweighs a look-alike whose photo→text signal is stronger, in every mode (task dup25)', () => {
  // Golden-Delicious's own catalog photo as the query: itself (cosine 1) against Granny-Smith (0.886),
  // the signals' raw and calibrated values as the default table gives them
  const own = [{ name: 'image_image', raw: 1, calibrated: 0.999971, weight: 1 }, { name: 'image_text', raw: 0.604, calibrated: 0.79983, weight: 1 }];
  const lookAlike = [{ name: 'image_image', raw: 0.886, calibrated: 0.99981, weight: 1 }, { name: 'image_text', raw: 0.679, calibrated: 0.96978, weight: 1 }];
  for (const mode of [{ kind: 'logodds' }, { kind: 'calibrated' }, { kind: 'raw', a: 17.6672, b: -11.9089 }] as const) {
    expect(fuse(own, mode), mode.kind).toBeGreaterThan(fuse(lookAlike, mode));
  }
  // below NEAR_DUPLICATE.from nothing changes; a weight of 0 turns the signal (and its lift) off
  expect(nearDuplicateLift(lookAlike)).toBe(0);
  expect(nearDuplicateLift(own)).toBeCloseTo(NEAR_DUPLICATE.logOdds, 12);
  expect(nearDuplicateLift([{ ...own[0]!, weight: 0 }])).toBe(0);
  fc.assert(
    fc.property(fc.double({ min: -1, max: 1, noNaN: true }), fc.double({ min: 0, max: 1, noNaN: true }), fc.double({ min: 0, max: 1, noNaN: true }), (raw, p, q) => {
      const s = fuse([{ name: 'image_image', raw, calibrated: p, weight: 1 }, { name: 'image_text', raw: q, calibrated: q, weight: 1 }]);
      expect(s).toBeGreaterThanOrEqual(0);
      expect(s).toBeLessThanOrEqual(1);
    }),
  );
});
