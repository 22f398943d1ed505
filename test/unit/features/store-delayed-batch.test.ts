import { describe, expect, it } from 'vitest';
import { DelayedBatch } from '../../../src/features/store/delayed-batch.js';

describe('DelayedBatch (the disk tier\'s write queue and stamp pass)', () => {
  it('hands items over together after the delay, a key added again last with its new value', async () => {
    const runs: [string, number][][] = [];
    const b = new DelayedBatch<number>(20, 100, (batch) => runs.push(batch));
    b.add('a', 1);
    b.add('b', 2);
    b.add('a', 3);
    expect(runs).toEqual([]);
    expect(b.get('a')).toBe(3);
    await new Promise((r) => setTimeout(r, 60));
    expect(runs).toEqual([[['b', 2], ['a', 3]]]);
    expect(b.get('a')).toBeUndefined();
  });

  it('runs at once when max items wait, and flush() runs what waits (nothing when empty)', () => {
    const runs: string[][] = [];
    const b = new DelayedBatch<true>(60_000, 3, (batch) => runs.push(batch.map(([k]) => k)));
    for (const k of ['x', 'y', 'z', 'w']) b.add(k, true);
    expect(runs).toEqual([['x', 'y', 'z']]);
    b.flush();
    b.flush();
    expect(runs).toEqual([['x', 'y', 'z'], ['w']]);
  });

  it('replace() changes a waiting item in place or drops it, and adds nothing new', () => {
    const runs: [string, string][][] = [];
    const b = new DelayedBatch<string>(60_000, 10, (batch) => runs.push(batch));
    b.add('a', 'lazy');
    b.add('b', 'kept');
    b.replace('a', 'encoded');
    b.replace('b', undefined);
    b.replace('c', 'never queued');
    b.flush();
    expect(runs).toEqual([[['a', 'encoded']]]);
  });
});
