/**
 * Batcher and aborted requests: an item whose signal aborts while it waits leaves the queue at
 * once with the abort reason and never reaches the model; a batch made only of aborted items is
 * not started; items of other callers still run; an item already in a running batch finishes.
 */
import { describe, expect, it } from 'vitest';
import { Batcher } from '../../../src/models/batcher.js';

function recordingBatcher(opts: { maxBatchSize?: number; maxWaitMs?: number } = {}) {
  const seen: number[][] = [];
  const b = new Batcher<number, number>(async (xs) => (seen.push([...xs]), xs.map((x) => x * 10)), {
    name: 'rec',
    maxBatchSize: opts.maxBatchSize ?? 4,
    maxWaitMs: opts.maxWaitMs ?? 1000,
    maxQueue: 100,
  });
  return { b, seen };
}

describe('Batcher with AbortSignals', () => {
  it('rejects an item already aborted at once, without queueing it', async () => {
    const { b, seen } = recordingBatcher();
    const ac = new AbortController();
    ac.abort(new Error('budget spent'));
    await expect(b.submit(1, ac.signal)).rejects.toThrow('budget spent');
    expect(b.pending).toBe(0);
    expect(seen).toEqual([]);
  });

  it('drops a queued item when its signal aborts; the other callers’ items still run', async () => {
    const { b, seen } = recordingBatcher({ maxWaitMs: 20 });
    const ac = new AbortController();
    const gone = b.submit(1, ac.signal);
    const kept = b.submit(2);
    const reason = new Error('client went away');
    ac.abort(reason);
    expect(b.pending).toBe(1); // left the queue synchronously
    await expect(gone).rejects.toBe(reason);
    await expect(kept).resolves.toBe(20);
    expect(seen).toEqual([[2]]);
    expect(b.dropped).toBe(1);
  });

  it('does not start a batch made only of aborted items', async () => {
    const { b, seen } = recordingBatcher({ maxWaitMs: 5 });
    const ac = new AbortController();
    const ps = [1, 2, 3].map((x) => b.submit(x, ac.signal));
    ac.abort(new Error('timeout'));
    const rs = await Promise.allSettled(ps);
    expect(rs.every((r) => r.status === 'rejected')).toBe(true);
    // the wait timer was cleared; a later item runs alone in its own batch
    await expect(b.submit(4)).resolves.toBe(40);
    expect(seen).toEqual([[4]]);
    expect(b.pending).toBe(0);
  });

  it('takes one signal per item in submitAll', async () => {
    const { b, seen } = recordingBatcher({ maxWaitMs: 5 });
    const a = new AbortController();
    const c = new AbortController();
    const p1 = b.submit(1, a.signal);
    const p2 = b.submitAll([2, 3], [c.signal, undefined]);
    c.abort(new Error('c gone'));
    await expect(p2).rejects.toThrow('c gone');
    await expect(p1).resolves.toBe(10);
    expect(seen).toEqual([[1, 3]]);
  });

  it('lets an item that is already in a running batch finish (a model run cannot be interrupted)', async () => {
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const seen: number[][] = [];
    const b = new Batcher<number, number>(async (xs) => (seen.push([...xs]), await gate, xs), { name: 'slow', maxBatchSize: 2, maxWaitMs: 0, maxQueue: 10 });
    const ac = new AbortController();
    const running = b.submit(1, ac.signal);
    await new Promise((r) => setImmediate(r)); // the batch of [1] has started
    expect(b.running).toBe(true);
    const queued = b.submit(2, ac.signal);
    ac.abort(new Error('late'));
    await expect(queued).rejects.toThrow('late');
    release();
    await expect(running).resolves.toBe(1);
    expect(seen).toEqual([[1]]);
  });
});
