/**
 * The wait a backfill request takes after the engine's 429 (engine/refusals.ts): `Retry-After` in
 * seconds or as an HTTP date (RFC 9110 §10.2.3), 1 s doubling per refusal without one, never past
 * the bound; past `max` refusals the run stops naming the 429.
 */
import { describe, expect, it } from 'vitest';
import { retryAfterMs, waitOutRefusal } from '../../../src/engine/refusals.js';

describe('Retry-After of a refused backfill write', () => {
  it('reads seconds and HTTP dates, backs off without one, and is bounded', () => {
    expect(retryAfterMs('7', 1)).toBe(7000);
    expect(retryAfterMs(['2'], 3)).toBe(2000);
    const now = Date.parse('Fri, 04 Dec 2026 23:00:00 GMT');
    expect(retryAfterMs('Fri, 04 Dec 2026 23:00:05 GMT', 1, 60_000, now)).toBe(5000);
    expect(retryAfterMs('Fri, 04 Dec 2026 22:59:00 GMT', 1, 60_000, now)).toBe(0);
    expect(retryAfterMs(undefined, 1)).toBe(1000);
    expect(retryAfterMs('soon', 3)).toBe(4000);
    expect(retryAfterMs('3600', 1, 60_000)).toBe(60_000);
  });

  it('waits, telling the wait, then stops past max naming the 429', async () => {
    const waits: unknown[] = [];
    await waitOutRefusal('writing x', 1, { 'retry-after': '0' }, { max: 1, onWait: (w) => waits.push(w) });
    expect(waits).toEqual([{ what: 'writing x', waitMs: 0, refusal: 1, max: 1, retryAfter: '0' }]);
    await expect(waitOutRefusal('writing x', 2, { 'retry-after': '0' }, { max: 1 })).rejects.toThrow(/writing x was refused by the engine with 429 \(too many requests\) 2 times in a row \(Retry-After 0\): stopped after 1 waits; run again/);
  });
});
