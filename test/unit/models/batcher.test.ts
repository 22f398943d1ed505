/**
 * Batcher semantics with a plain function as the "model": batch size bound, max wait, per-caller
 * results and errors, bounded queue, close().
 */
import { describe, expect, it } from 'vitest';
import { Batcher } from '../../../src/models/batcher.js';

function squareBatcher(opts: Partial<{ maxBatchSize: number; maxWaitMs: number; maxQueue: number }> = {}) {
  const sizes: number[] = [];
  const b = new Batcher<number, number>(async (xs) => xs.map((x) => x * x), {
    name: 'square',
    maxBatchSize: opts.maxBatchSize ?? 4,
    maxWaitMs: opts.maxWaitMs ?? 5,
    maxQueue: opts.maxQueue ?? 100,
    onBatch: (n) => sizes.push(n),
  });
  return { b, sizes };
}

describe('Batcher', () => {
  it('returns each caller its own result, in batches of at most maxBatchSize', async () => {
    const { b, sizes } = squareBatcher({ maxBatchSize: 4 });
    const out = await Promise.all(Array.from({ length: 10 }, (_, i) => b.submit(i)));
    expect(out).toEqual(Array.from({ length: 10 }, (_, i) => i * i));
    expect(Math.max(...sizes)).toBeLessThanOrEqual(4);
    expect(sizes.reduce((a, n) => a + n, 0)).toBe(10);
    expect(sizes.length).toBeLessThan(10);
  });

  it('an item submitted first goes ahead of queued items, behind earlier first ones', async () => {
    const order: number[] = [];
    let open!: () => void;
    const gate = new Promise<void>((r) => (open = r));
    const b = new Batcher<number, number>(
      async (xs) => {
        order.push(...xs);
        if (xs[0] === 1) await gate; // the first item is running while the others arrive
        return xs;
      },
      { name: 'queue', maxBatchSize: 1, maxWaitMs: 0, maxQueue: 100 },
    );
    const all = [b.submit(1)];
    await new Promise((r) => setImmediate(r));
    expect(order).toEqual([1]);
    // 2 and 3 wait; then two queries arrive and pass them
    all.push(b.submit(2), b.submit(3), b.submit(10, undefined, true), b.submit(11, undefined, true));
    open();
    await Promise.all(all);
    expect(order).toEqual([1, 10, 11, 2, 3]);
  });

  it('a failing batch rejects its callers only; later batches still run', async () => {
    let calls = 0;
    const b = new Batcher<number, number>(
      async (xs) => {
        calls++;
        if (calls === 1) throw new Error('model exploded');
        return xs;
      },
      { name: 'flaky', maxBatchSize: 2, maxWaitMs: 0, maxQueue: 10 },
    );
    const first = await Promise.allSettled([b.submit(1), b.submit(2)]);
    expect(first.every((r) => r.status === 'rejected')).toBe(true);
    await expect(b.submit(3)).resolves.toBe(3);
  });

  it('rejects with VLR_OVERLOADED when maxQueue items wait', async () => {
    const { b } = squareBatcher({ maxBatchSize: 1, maxWaitMs: 50, maxQueue: 3 });
    const rs = await Promise.allSettled([1, 2, 3, 4, 5].map((x) => b.submit(x)));
    expect(rs.filter((r) => r.status === 'fulfilled')).toHaveLength(3);
    expect((rs[3] as PromiseRejectedResult).reason).toMatchObject({ code: 'VLR_OVERLOADED' });
  });

  it('close() rejects what is queued and refuses new work', async () => {
    const { b } = squareBatcher({ maxBatchSize: 10, maxWaitMs: 1000 });
    const p = b.submit(2);
    b.close();
    await expect(p).rejects.toMatchObject({ code: 'VLR_MODEL_RUNTIME' });
    await expect(b.submit(3)).rejects.toMatchObject({ code: 'VLR_MODEL_RUNTIME' });
  });

  it('with concurrency 2, a second batch starts while the first runs; items arriving meanwhile gather into the next', async () => {
    const gates: Array<() => void> = [];
    const batches: number[][] = [];
    let running = 0;
    let most = 0;
    const b = new Batcher<number, number>(
      async (xs) => {
        batches.push(xs);
        most = Math.max(most, ++running);
        await new Promise<void>((r) => gates.push(r));
        running--;
        return xs;
      },
      { name: 'pair', maxBatchSize: 4, maxWaitMs: 0, maxQueue: 100, concurrency: 2 },
    );
    const tick = () => new Promise((r) => setTimeout(r, 5));
    const a = b.submit(1);
    await tick();
    const c = b.submit(2);
    await tick();
    // two batches of one run at once; the next items wait for a free run and go together
    expect(batches).toEqual([[1], [2]]);
    const rest = [3, 4, 5].map((x) => b.submit(x));
    await tick();
    expect(batches).toHaveLength(2);
    gates.shift()!();
    await tick();
    expect(batches[2]).toEqual([3, 4, 5]);
    while (gates.length) gates.shift()!();
    expect(await Promise.all([a, c, ...rest])).toEqual([1, 2, 3, 4, 5]);
    expect(most).toBe(2);
  });

  it('with concurrency 2, items queued at once are shared out between the two runs (8 + 8, not 16 beside an idle run)', async () => {
    const batches: number[] = [];
    const b = new Batcher<number, number>(
      async (xs) => {
        batches.push(xs.length);
        await new Promise((r) => setTimeout(r, 5));
        return xs;
      },
      { name: 'share', maxBatchSize: 16, maxWaitMs: 2, maxQueue: 100, concurrency: 2 },
    );
    const out = await Promise.all(Array.from({ length: 16 }, (_, i) => b.submit(i)));
    expect(out).toEqual(Array.from({ length: 16 }, (_, i) => i));
    expect(batches).toEqual([8, 8]);
    // one run at a time (the default): one batch of 16
    const one = new Batcher<number, number>(async (xs) => (batches.push(xs.length), xs), { name: 'one', maxBatchSize: 16, maxWaitMs: 2, maxQueue: 100 });
    await Promise.all(Array.from({ length: 16 }, (_, i) => one.submit(i)));
    expect(batches).toEqual([8, 8, 16]);
  });
});
