/**
 * The semaphore's `first` waiters (an image already decoded, waiting to be preprocessed) go ahead
 * of plain waiters (decodes of images not started), behind earlier `first` ones; permits are never
 * more than the bound, and an aborted `first` waiter leaves the line without taking a permit.
 */
import { describe, expect, it } from 'vitest';
import { Semaphore } from '../../../src/util/semaphore.js';

const tick = () => new Promise<void>((r) => setImmediate(r));

describe('semaphore first waiters', () => {
  it('are granted before plain waiters queued earlier, in their own order', async () => {
    const s = new Semaphore(1);
    const order: string[] = [];
    const hold = await s.acquire();
    const runs = [
      s.use(async () => void order.push('decode 2')),
      s.use(async () => void order.push('decode 3')),
      s.use(async () => void order.push('preprocess 1a'), true),
      s.use(async () => void order.push('decode 4')),
      s.use(async () => void order.push('preprocess 1b'), true),
    ];
    await tick();
    expect(order).toEqual([]); // the permit is held
    hold();
    await Promise.all(runs);
    expect(order).toEqual(['preprocess 1a', 'preprocess 1b', 'decode 2', 'decode 3', 'decode 4']);
  });

  it('keeps the bound, and an aborted first waiter gives up its place', async () => {
    const s = new Semaphore(2);
    let running = 0;
    let most = 0;
    const work = async () => {
      running++;
      most = Math.max(most, running);
      await tick();
      running--;
    };
    const a = await s.acquire();
    const b = await s.acquire();
    const stop = new AbortController();
    const gone = s.acquire(stop.signal, true);
    const later = Promise.all([s.use(work), s.use(work, true), s.use(work)]);
    stop.abort(new Error('gave up'));
    await expect(gone).rejects.toThrow('gave up');
    a();
    b();
    await later;
    expect(most).toBe(2);
  });
});
