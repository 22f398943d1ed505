/** Logistic calibration: the IRLS fit recovers known constants; class balance; logit input; file overrides. */
import { describe, expect, it } from 'vitest';
import { Calibrator, fitLogistic, sigmoid } from '../../../src/rerank/calibration.js';

function synth(a: number, b: number, n: number, seed = 1): { xs: number[]; ys: number[] } {
  let s = seed;
  const r = () => ((s = (s * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
  const xs: number[] = [];
  const ys: number[] = [];
  for (let i = 0; i < n; i++) {
    const x = r();
    xs.push(x);
    ys.push(r() < sigmoid(a * x + b) ? 1 : 0);
  }
  return { xs, ys };
}

describe('fitLogistic', () => {
  it('recovers the slope and the p = 0.5 point of a balanced logistic sample', () => {
    const { xs, ys } = synth(20, -10, 20000);
    const c = fitLogistic(xs, ys);
    expect(c.a).toBeGreaterThan(17);
    expect(c.a).toBeLessThan(23);
    expect(-c.b / c.a).toBeCloseTo(0.5, 1);
  });

  it('is class-balanced: 1 positive per 9 negatives still puts p = 0.5 between the classes', () => {
    const xs = [...Array.from({ length: 100 }, (_, i) => 0.7 + (i % 10) / 100), ...Array.from({ length: 900 }, (_, i) => 0.3 + (i % 10) / 100)];
    const ys = [...Array(100).fill(1), ...Array(900).fill(0)];
    const c = fitLogistic(xs, ys, { l2: 1 });
    const mid = -c.b / c.a;
    expect(mid).toBeGreaterThan(0.4);
    expect(mid).toBeLessThan(0.7);
  });

  it('refuses a sample without both classes', () => {
    expect(() => fitLogistic([0.1, 0.2], [1, 1])).toThrow(/positives and negatives/);
  });
});

describe('Calibrator', () => {
  it('maps raw values through the signal constants, aliases and the logit input', () => {
    const c = new Calibrator({ text_image: { a: 10, b: -5 }, remote: { a: 1, b: 0, input: 'logit' } }, 'test');
    expect(c.calibrate('text_image', 0.5)).toBeCloseTo(0.5, 10);
    expect(c.calibrate('text_video', 0.5)).toBeCloseTo(0.5, 10); // alias of text_image
    expect(c.calibrate('remote', 0.83)).toBeCloseTo(0.83, 6); // identity on probabilities
    expect(c.calibrate('text_image', Number.NaN)).toBe(0);
    expect(c.params('text_text').fitted).toBe(false);
  });
});

describe('fitLogistic with per-pair weights', () => {
  const xs = [0.2, 0.3, 0.35, 0.5, 0.6, 0.65, 0.7, 0.8];
  const ys = [0, 0, 1, 0, 1, 0, 1, 1];

  it('a weight of 2 fits the same curve as the pair given twice', () => {
    const twice = fitLogistic([...xs, xs[2]!], [...ys, ys[2]!], { l2: 0.01 });
    const weighted = fitLogistic(xs, ys, { l2: 0.01, weights: xs.map((_, i) => (i === 2 ? 2 : 1)) });
    expect(weighted.a).toBeCloseTo(twice.a, 6);
    expect(weighted.b).toBeCloseTo(twice.b, 6);
  });

  it('a weight of 0 leaves the pair out, and class balance is over the weighted totals', () => {
    const without = fitLogistic(xs.slice(1), ys.slice(1), { l2: 0.01 });
    const zero = fitLogistic(xs, ys, { l2: 0.01, weights: xs.map((_, i) => (i === 0 ? 0 : 1)) });
    expect(zero.a).toBeCloseTo(without.a, 6);
    expect(zero.b).toBeCloseTo(without.b, 6);
  });

  it('weights that balance two data sets move p = 0.5 toward the smaller set', () => {
    // set A: many pairs separated at 0.4; set B: few pairs separated at 0.8
    const A = Array.from({ length: 200 }, (_, i) => ({ x: 0.3 + (i % 2) * 0.2 + (i % 7) / 200, y: (i % 2) as 0 | 1, set: 'A' }));
    const B = Array.from({ length: 20 }, (_, i) => ({ x: 0.7 + (i % 2) * 0.2 + (i % 7) / 200, y: (i % 2) as 0 | 1, set: 'B' }));
    const all = [...A, ...B];
    const plain = fitLogistic(all.map((p) => p.x), all.map((p) => p.y), { l2: 1 });
    const balanced = fitLogistic(all.map((p) => p.x), all.map((p) => p.y), { l2: 1, weights: all.map((p) => (p.set === 'A' ? 1 / 200 : 1 / 20)) });
    expect(-balanced.b / balanced.a).toBeGreaterThan(-plain.b / plain.a + 0.05);
  });

  it('refuses weights of the wrong length or negative, and a class whose weights are all 0', () => {
    expect(() => fitLogistic(xs, ys, { weights: [1, 2] })).toThrow(/one finite number ≥ 0 per pair/);
    expect(() => fitLogistic(xs, ys, { weights: xs.map(() => -1) })).toThrow(/one finite number ≥ 0 per pair/);
    expect(() => fitLogistic(xs, ys, { weights: ys.map((y) => (y === 1 ? 0 : 1)) })).toThrow(/positives and negatives/);
  });
});
