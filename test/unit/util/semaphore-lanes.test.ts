/**
 * `use()` with the caller's signal waits in that signal's lane (util/lanes.ts), as `acquire()` does:
 * a foreground waiter is served before background ones queued earlier, and an aborted waiter leaves
 * the line. The image-decode and ffmpeg slots are taken with `use()` (held-out probe round 11b: they
 * were first come, first served, an ingest of many photos held a search's decode behind it).
 */
import { describe, expect, it } from 'vitest';
import { inLane } from '../../../src/util/lanes.js';
import { Semaphore } from '../../../src/util/semaphore.js';

const tick = () => new Promise<void>((r) => setImmediate(r));

describe('semaphore use() in lanes', () => {
  it('serves a foreground waiter before background waiters queued earlier', async () => {
    const s = new Semaphore(1);
    const order: string[] = [];
    const hold = await s.acquire();
    const bg = inLane('background').signal;
    const runs = [
      s.use(async () => void order.push('ingest 1'), false, bg),
      s.use(async () => void order.push('ingest 2'), false, bg),
      s.use(async () => void order.push('search'), false, inLane('foreground').signal),
      s.use(async () => void order.push('ingest 3'), false, bg),
      s.use(async () => void order.push('query'), false, inLane('query').signal),
    ];
    await tick();
    expect(s.waiting()).toEqual({ query: 1, foreground: 1, background: 3 });
    hold();
    await Promise.all(runs);
    expect(order).toEqual(['query', 'search', 'ingest 1', 'ingest 2', 'ingest 3']);
  });

  it('lets an aborted waiter leave the line without running', async () => {
    const s = new Semaphore(1);
    const hold = await s.acquire();
    const gone = new AbortController();
    let ran = false;
    const p = s.use(async () => void (ran = true), false, gone.signal);
    gone.abort(new Error('client gone'));
    await expect(p).rejects.toThrow('client gone');
    expect(s.waiting()).toEqual({ query: 0, foreground: 0, background: 0 });
    hold();
    expect(ran).toBe(false);
  });
});
