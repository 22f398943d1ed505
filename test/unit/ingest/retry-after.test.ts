/**
 * The wait a backfill request takes after the engine's 429 (engine/refusals.ts): `Retry-After` in
 * seconds or as an HTTP date (RFC 9110 §10.2.3), 1 s doubling per refusal without one, never past
 * the bound; past `max` refusals the run stops naming the 429.
 */
import { describe, expect, it } from 'vitest';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { retryAfterMs, waitOutRefusal } from '../../../src/engine/refusals.js';
import { RemoteScorer } from '../../../src/rerank/backends/remote.js';

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

  // a server whose clock is off (held-out probe round 16b): its Retry-After date is on its own clock,
  // as its Date is — an hour behind, "2 s after my Date" read against ours was a date long past (0 ms)
  const hourBehind = (s: number) => new Date(Date.now() - 3_600_000 + s * 1000).toUTCString();
  it('an HTTP-date Retry-After is read against the answer\'s Date, not our clock', async () => {
    const waits: Array<{ waitMs: number }> = [];
    await waitOutRefusal('writing x', 1, { 'retry-after': hourBehind(1), date: hourBehind(0) }, { max: 5, onWait: (w) => waits.push(w) });
    expect(waits[0]!.waitMs).toBe(1000);
  });

  it("a remote worker's 503 with an HTTP-date Retry-After on a clock an hour behind rests it that long (was no rest: a plain failure)", async () => {
    const worker = createServer((_q, res) => res.writeHead(503, { 'retry-after': hourBehind(30), date: hourBehind(0), 'content-type': 'application/json' }).end('{"message":"reloading"}'));
    await new Promise<void>((r) => worker.listen(0, '127.0.0.1', r));
    const scorer = new RemoteScorer({ urls: [`http://127.0.0.1:${(worker.address() as AddressInfo).port}`], timeoutMs: 5_000, healthIntervalMs: 0, breakerThreshold: 1000 });
    try {
      await expect(scorer.score({ query: { text: 'a dog' }, documents: [{ text: 'a dog' }] })).rejects.toThrow(/503/);
      const [w] = scorer.status();
      expect(w!.retry_in_ms).toBeGreaterThan(20_000); // 30 s asked, less the moments since
    } finally {
      await scorer.close();
      worker.close();
    }
  });
});
