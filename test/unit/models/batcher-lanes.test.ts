/**
 * Priority lanes (util/lanes.ts) in the model batcher and the semaphores: with a manual runBatch
 * that records the order batches were taken in — a search's documents (foreground) go before
 * ingest's queued documents (background), a query before both; background still runs (its share
 * while foreground waits, everything once none does); a background backlog never refuses a search
 * as overloaded; the lane travels with the work's signal — kept by a fanned-out child, the best of
 * shared work's waiters, set by `embedderInLane`. Held-out probe round 10b: ingest starved searches
 * (one FIFO behind a proxied `_bulk`).
 */
import { describe, expect, it } from 'vitest';
import { Batcher } from '../../../src/models/batcher.js';
import { embedderInLane, type Embedder } from '../../../src/rerank/embedder.js';
import { fanOutSignal, SharedAbort } from '../../../src/util/abort.js';
import { inLane, laneOfSignal } from '../../../src/util/lanes.js';
import { Semaphore } from '../../../src/util/semaphore.js';

const tick = () => new Promise<void>((r) => setImmediate(r));
/** A signal of ingest's (background) lane. */
const bg = () => inLane('background').signal;

/** A batcher of one item per run whose first run is held until `open()`; `order` lists items as taken. */
function gated(opts: { maxBatchSize?: number; maxQueue?: number; backgroundEvery?: number } = {}) {
  const order: string[][] = [];
  let open!: () => void;
  const gate = new Promise<void>((r) => (open = r));
  const b = new Batcher<string, string>(
    async (xs) => {
      order.push(xs);
      if (order.length === 1) await gate;
      return xs;
    },
    { name: 'lanes', maxBatchSize: opts.maxBatchSize ?? 1, maxWaitMs: 0, maxQueue: opts.maxQueue ?? 100, backgroundEvery: opts.backgroundEvery },
  );
  return { b, order, open };
}

describe('batcher lanes', () => {
  it('takes a search’s documents and query before ingest’s queued documents; a running batch is not interrupted', async () => {
    const { b, order, open } = gated();
    const all: Promise<string>[] = [b.submit('bulk-0', bg())];
    await tick();
    for (let i = 1; i <= 5; i++) all.push(b.submit(`bulk-${i}`, bg()));
    all.push(b.submit('doc-a'), b.submit('doc-b'), b.submit('query', undefined, true));
    open();
    await Promise.all(all);
    expect(order.flat()).toEqual(['bulk-0', 'query', 'doc-a', 'doc-b', 'bulk-1', 'bulk-2', 'bulk-3', 'bulk-4', 'bulk-5']);
  });

  it('never mixes background items into a foreground batch', async () => {
    const { b, order, open } = gated({ maxBatchSize: 4 });
    const all: Promise<string>[] = [b.submit('bulk-0', bg())];
    await tick();
    for (let i = 1; i <= 3; i++) all.push(b.submit(`bulk-${i}`, bg()));
    all.push(b.submit('doc-a'));
    open();
    await Promise.all(all);
    expect(order).toEqual([['bulk-0'], ['doc-a'], ['bulk-1', 'bulk-2', 'bulk-3']]);
  });

  it('background still progresses while foreground keeps waiting: one batch in every backgroundEvery', async () => {
    const { b, order, open } = gated({ backgroundEvery: 3 });
    const all: Promise<string>[] = [b.submit('hold')];
    await tick();
    for (let i = 0; i < 3; i++) all.push(b.submit(`bulk-${i}`, bg()));
    for (let i = 0; i < 6; i++) all.push(b.submit(`doc-${i}`));
    open();
    await Promise.all(all);
    expect(order.flat()).toEqual(['hold', 'doc-0', 'doc-1', 'bulk-0', 'doc-2', 'doc-3', 'bulk-1', 'doc-4', 'doc-5', 'bulk-2']);
  });

  it('an ingest’s query-kind items stay in the background lane (ahead of its own documents only)', async () => {
    const { b, order, open } = gated();
    const all: Promise<string>[] = [b.submit('hold')];
    await tick();
    all.push(b.submit('bulk-doc', bg()), b.submit('bulk-query', bg(), true), b.submit('doc-a'));
    open();
    await Promise.all(all);
    expect(order.flat()).toEqual(['hold', 'doc-a', 'bulk-query', 'bulk-doc']);
  });

  it('a background backlog at maxQueue refuses more ingest, never a search', async () => {
    const { b, open } = gated({ maxQueue: 2 });
    const all: Promise<string>[] = [b.submit('running', bg())];
    await tick();
    all.push(b.submit('bulk-1', bg()), b.submit('bulk-2', bg()));
    await expect(b.submit('bulk-3', bg())).rejects.toMatchObject({ code: 'VLR_OVERLOADED' });
    all.push(b.submit('doc-a'), b.submit('doc-b'));
    await expect(b.submit('doc-c')).rejects.toMatchObject({ code: 'VLR_OVERLOADED' }); // foreground has its own bound
    expect(b.lanes().background.pending).toBe(2);
    expect(b.lanes().foreground.pending).toBe(2);
    open();
    await Promise.all(all);
    expect(b.lanes().background.taken).toBe(3);
  });

  it('an aborted background item leaves its lane', async () => {
    const { b, order, open } = gated();
    const all: Promise<string>[] = [b.submit('hold')];
    await tick();
    const ac = new AbortController();
    const gone = b.submit('bulk-gone', inLane('background', ac.signal).signal);
    all.push(b.submit('bulk-kept', bg()));
    ac.abort(new Error('client hung up'));
    await expect(gone).rejects.toThrow('client hung up');
    open();
    await Promise.all(all);
    expect(order.flat()).toEqual(['hold', 'bulk-kept']);
  });
});

describe('semaphore lanes', () => {
  it('grants a search’s waiter before ingest’s earlier ones, and ingest its share', async () => {
    const s = new Semaphore(1, 2);
    const order: string[] = [];
    const hold = await s.acquire();
    const take = (name: string, signal?: AbortSignal) => s.acquire(signal).then((release) => (order.push(name), release()));
    const runs = [take('bulk-1', bg()), take('bulk-2', bg()), take('doc-1'), take('doc-2'), take('doc-3')];
    await tick();
    expect(s.waiting()).toEqual({ query: 0, foreground: 3, background: 2 });
    hold();
    await Promise.all(runs);
    expect(order).toEqual(['doc-1', 'bulk-1', 'doc-2', 'bulk-2', 'doc-3']);
  });
});

describe('the lane travels with the signal', () => {
  it('a fanned-out child keeps its parent’s lane; unmarked is foreground', () => {
    const fan = fanOutSignal(bg());
    expect(laneOfSignal(fan.signal)).toBe('background');
    expect(laneOfSignal(fanOutSignal(new AbortController().signal).signal)).toBe('foreground');
    expect(laneOfSignal(undefined)).toBe('foreground');
  });

  it('shared work takes the best lane of its waiters (no signal counts as foreground)', () => {
    const shared = new SharedAbort();
    shared.join(bg());
    expect(laneOfSignal(shared.signal)).toBe('background');
    shared.join(new AbortController().signal);
    expect(laneOfSignal(shared.signal)).toBe('foreground');
    const pinned = new SharedAbort();
    pinned.join(bg());
    pinned.join();
    expect(laneOfSignal(pinned.signal)).toBe('foreground');
  });

  it('embedderInLane hands every call a signal of its lane, aborting with the caller’s', async () => {
    const seen: AbortSignal[] = [];
    const note = async <T>(s: AbortSignal | undefined, v: T): Promise<T> => {
      seen.push(s!);
      return v;
    };
    const fake = {
      records: (_d: unknown, s?: AbortSignal) => note(s, { records: [], errors: [] }),
      mediaVectors: (_a: unknown, _b: unknown, _c: unknown, s?: AbortSignal) => note(s, {}),
    } as unknown as Embedder;
    const e = embedderInLane(fake, 'background');
    const caller = new AbortController();
    await e.records([], caller.signal);
    await e.mediaVectors('x', 'image', { visual: true, bridge: false });
    expect(seen.map(laneOfSignal)).toEqual(['background', 'background']);
    const pending = embedderInLane({ records: (_d: unknown, s?: AbortSignal) => new Promise((_, reject) => s!.addEventListener('abort', () => reject(s!.reason))) } as unknown as Embedder, 'background').records([], caller.signal);
    caller.abort(new Error('client gone'));
    await expect(pending).rejects.toThrow('client gone');
  });
});
