/**
 * Admission's service-time bookkeeping: `loaded` averages every finished run of a kind, `alone`
 * only runs that had no other run in flight at any moment, per kind of work.
 */
import { describe, expect, it } from 'vitest';
import { ServiceTimes, textWork, WorkTally } from '../../../src/rerank/service-times.js';

describe('service times', () => {
  it('counts a run as alone only when no other run was in flight at any moment of it', () => {
    const t = new ServiceTimes();
    const a = t.start('k');
    t.end(a, 100, 10); // alone: 10 ms/doc
    expect(t.alone('k')).toBe(10);
    expect(t.loaded('k')).toBe(10);
    const b = t.start('k');
    const c = t.start('k'); // b and c overlap, though b ends first
    t.end(b, 400, 10);
    const d = t.start('k'); // overlaps c, which is still running
    t.end(c, 400, 10);
    t.end(d, 400, 10);
    expect(t.alone('k')).toBe(10); // none of b, c, d ran alone
    expect(t.loaded('k')).toBeCloseTo(10 + 0.2 * 30 + 0.2 * (40 - 16) + 0.2 * (40 - 20.8), 6);
    expect(t.loaded()).toBeCloseTo(t.loaded('k')!, 6);
  });

  it('keeps each kind apart; alone is a moving average of the runs alone; ending a run twice counts once', () => {
    const t = new ServiceTimes();
    const s = t.start('search');
    t.end(s, 20, 20); // 1 ms/doc
    const api = t.start('api');
    t.end(api, 200, 20); // 10 ms/doc
    t.end(api, 999, 1);
    expect(t.alone('search')).toBe(1);
    expect(t.alone('api')).toBe(10);
    expect(t.alone('none')).toBeUndefined();
    const slow = t.start('api');
    t.end(slow, 400, 20); // 20 ms/doc: up by 0.2 of the gap
    expect(t.alone('api')).toBeCloseTo(12, 6);
    const fast = t.start('api');
    t.end(fast, 100, 20); // 5 ms/doc: down by 0.2 of the gap
    expect(t.alone('api')).toBeCloseTo(10.6, 6);
  });
});

describe('service times per unit of work (round adm27)', () => {
  it('learns ms per text from text runs and per visual item from the rest of photo runs, and reckons queued work in those units', () => {
    const t = new ServiceTimes();
    t.end(t.start('api'), 20, 20, { cost: 20, texts: 20, visual: 0 }); // 1 ms per text
    t.end(t.start('api'), 1010, 35, { cost: 35, texts: 10, visual: 4 }); // 10 texts 10 ms, 4 photos 1,000 ms
    t.end(t.start('search'), 21, 21); // cheap text work of another kind, 1 ms/doc
    const ahead = new WorkTally();
    ahead.add('api', { cost: 35, texts: 10, visual: 4 });
    ahead.add('search', textWork(21));
    // one ms per document for all work would say 56 × (its average ms/doc): far less than the photos take
    expect(t.loadedMs(ahead)).toBeCloseTo(10 * 1 + 4 * 250 + 21 * 1, 6);
    ahead.add('api', { cost: 35, texts: 10, visual: 4 }, -1);
    expect(t.loadedMs(ahead)).toBeCloseTo(21, 6);
  });
});
