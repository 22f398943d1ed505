/**
 * The remote worker pool's choices, step by step with an explicit clock: least outstanding first,
 * the circuit breaker (open after N failures in a row, half-open with one trial after the
 * cool-down, doubling when the trial fails, closed by a success), and the hedge delay from the
 * latency percentile.
 */
import { describe, expect, it } from 'vitest';
import type { Pool } from 'undici';
import { WorkerPool } from '../../../src/rerank/backends/remote-pool.js';

const fakePool = {} as Pool; // never called: the background probe is off (healthIntervalMs 0)
function pool(n: number, hedgeAfterMs?: number) {
  return new WorkerPool(
    Array.from({ length: n }, (_, i) => ({ origin: `http://w${i}`, path: '/v1/rerank', pool: fakePool })),
    { breakerThreshold: 2, breakerCooldownMs: 1_000, hedgeAfterMs, hedgePercentile: 0.9, healthIntervalMs: 0 },
  );
}

describe('WorkerPool', () => {
  it('picks the worker with the fewest calls outstanding', () => {
    const p = pool(3);
    const [a, b, c] = p.workers;
    p.begin(a!);
    p.begin(a!);
    p.begin(b!);
    expect(p.pick(new Set())).toBe(c);
    expect(p.pick(new Set([c!]))).toBe(b);
  });

  it('opens the breaker after failures in a row, lets one trial through after the cool-down, doubles it when the trial fails, closes on success', () => {
    const p = pool(2);
    const [a, b] = p.workers;
    const t0 = 1_000_000;
    p.begin(a!);
    p.failed(a!, t0);
    expect(p.state(a!, t0)).toBe('closed'); // one failure is not a pattern
    p.begin(a!);
    p.failed(a!, t0);
    expect(p.state(a!, t0)).toBe('open');
    expect(p.pick(new Set(), t0 + 10)).toBe(b);
    expect(p.pick(new Set([b!]), t0 + 10)).toBeUndefined();
    // cool-down over: one trial call only
    expect(p.pick(new Set([b!]), t0 + 1_001)).toBe(a);
    expect(p.pick(new Set([b!]), t0 + 1_002)).toBeUndefined();
    p.begin(a!);
    p.failed(a!, t0 + 1_100);
    expect(p.state(a!, t0 + 2_000)).toBe('open'); // the cool-down doubled: open until t0+3100
    expect(p.state(a!, t0 + 3_101)).toBe('half-open');
    expect(p.pick(new Set([b!]), t0 + 3_101)).toBe(a);
    p.begin(a!);
    p.succeeded(a!, 12);
    expect(p.state(a!)).toBe('closed');
    expect(a!.failures).toBe(0);
  });

  it('a call released without a verdict (caller aborted, 4xx) neither opens nor closes the breaker', () => {
    const p = pool(1);
    const [a] = p.workers;
    for (let i = 0; i < 5; i++) {
      p.begin(a!);
      p.released(a!);
    }
    expect(p.state(a!)).toBe('closed');
    expect(a!.outstanding).toBe(0);
  });

  it("a worker's Retry-After takes it out at once for that long (at most 60 s), then one trial", () => {
    const p = pool(2);
    const [a, b] = p.workers;
    const t0 = 1_000_000;
    p.begin(a!);
    p.rest(a!, 30_000, t0);
    expect(a!.outstanding).toBe(0);
    expect(p.state(a!, t0 + 29_999)).toBe('open'); // one answer was enough: it asked
    expect(p.pick(new Set(), t0 + 29_999)).toBe(b);
    expect(p.pick(new Set([b!]), t0 + 30_000)).toBe(a);
    p.begin(a!);
    p.rest(a!, 3_600_000, t0 + 30_000);
    expect(p.state(a!, t0 + 30_000 + 59_999)).toBe('open');
    expect(p.state(a!, t0 + 30_000 + 60_000)).toBe('half-open');
  });

  it('hedges after the latency percentile once enough calls were seen, or after the fixed delay', () => {
    const p = pool(2);
    expect(p.hedgeDelay()).toBeUndefined();
    for (let i = 1; i <= 100; i++) {
      p.begin(p.workers[0]!);
      p.succeeded(p.workers[0]!, i);
    }
    expect(p.hedgeDelay()).toBe(91); // the 90th percentile of 1..100
    expect(pool(2, 250).hedgeDelay()).toBe(250);
    expect(pool(2, 0).hedgeDelay()).toBeUndefined();
    expect(pool(1).hedgeDelay()).toBeUndefined();
  });
});
