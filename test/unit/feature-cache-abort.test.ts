/**
 * Single flight and aborted requests (FeatureCache.getOrCompute with signals, over SharedAbort):
 * a computation two requests wait for survives one of them aborting; it is cancelled (its signal
 * aborts) only when every waiter has aborted; a waiter without a signal keeps it alive; a caller
 * arriving after a cancellation starts a fresh computation instead of inheriting the abort.
 */
import { describe, expect, it } from 'vitest';
import { FeatureCache } from '../../src/features/cache/feature-cache.js';

type Feat = { v: number };
const cache = () => new FeatureCache<Feat>({ maxBytes: 1 << 20, sizeOf: () => 8 });

/** A computation that waits for release() and records whether its signal aborted. */
function gated() {
  let release!: () => void;
  const gate = new Promise<void>((r) => (release = r));
  const seen: AbortSignal[] = [];
  const compute = async (signal: AbortSignal): Promise<Feat> => {
    seen.push(signal);
    await Promise.race([gate, new Promise((_, reject) => signal.addEventListener('abort', () => reject(signal.reason)))]);
    return { v: 7 };
  };
  return { compute, release: () => release(), seen };
}

describe('FeatureCache single flight with aborts', () => {
  it('keeps a shared computation alive when one of two waiters aborts', async () => {
    const c = cache();
    const g = gated();
    const a = new AbortController();
    const b = new AbortController();
    const pa = c.getOrCompute('k', g.compute, a.signal);
    const pb = c.getOrCompute('k', g.compute, b.signal);
    a.abort(new Error('a timed out'));
    await expect(pa).rejects.toThrow('a timed out'); // a stops waiting at once
    expect(g.seen[0]!.aborted).toBe(false); // b still waits: the work goes on
    g.release();
    await expect(pb).resolves.toMatchObject({ value: { v: 7 }, hit: true });
    expect(g.seen).toHaveLength(1);
    expect(c.has('k')).toBe(true);
  });

  it('cancels the computation when every waiter has aborted, and caches nothing', async () => {
    const c = cache();
    const g = gated();
    const a = new AbortController();
    const b = new AbortController();
    const ps = [c.getOrCompute('k', g.compute, a.signal), c.getOrCompute('k', g.compute, b.signal)];
    a.abort(new Error('a'));
    b.abort(new Error('b'));
    expect(g.seen[0]!.aborted).toBe(true);
    await Promise.allSettled(ps);
    await new Promise((r) => setImmediate(r)); // the cancelled run settles (here: rejects on its signal)
    expect(c.has('k')).toBe(false);
    expect(c.stats().inflight).toBe(0);
  });

  it('never cancels work a caller without a signal waits for', async () => {
    const c = cache();
    const g = gated();
    const a = new AbortController();
    const pa = c.getOrCompute('k', g.compute, a.signal);
    const plain = c.getOrCompute('k', g.compute);
    a.abort(new Error('a'));
    expect(g.seen[0]!.aborted).toBe(false);
    await expect(pa).rejects.toThrow('a');
    g.release();
    await expect(plain).resolves.toMatchObject({ value: { v: 7 } });
  });

  it('starts afresh for a caller that arrives after the work was cancelled', async () => {
    const c = cache();
    const g = gated();
    const a = new AbortController();
    const pa = c.getOrCompute('k', g.compute, a.signal);
    a.abort(new Error('a'));
    const pb = c.getOrCompute('k', g.compute); // same tick: the cancelled run has not settled yet
    g.release();
    await expect(pa).rejects.toThrow('a');
    await expect(pb).resolves.toMatchObject({ value: { v: 7 }, hit: false });
    expect(g.seen).toHaveLength(2);
    expect(g.seen[0]!.aborted).toBe(true);
    expect(g.seen[1]!.aborted).toBe(false);
  });
});
