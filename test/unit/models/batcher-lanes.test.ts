/**
 * Priority lanes (util/lanes.ts) in the model batcher and the semaphores: with a manual runBatch
 * that records the order batches were taken in — a search's documents (foreground) go before
 * ingest's queued documents (background), a query before both; background still runs (its share
 * while foreground waits, everything once none does); a background backlog never refuses a search
 * as overloaded; the lane follows the async call chain through `embedderInLane`. Held-out probe
 * round 10b: ingest starved searches (one FIFO behind a proxied `_bulk`).
 */
import { describe, expect, it } from 'vitest';
import { Batcher } from '../../../src/models/batcher.js';
import { embedderInLane, type Embedder } from '../../../src/rerank/embedder.js';
import { currentLane, inLane } from '../../../src/util/lanes.js';
import { Semaphore } from '../../../src/util/semaphore.js';

const tick = () => new Promise<void>((r) => setImmediate(r));

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
    const all: Promise<string>[] = [inLane('background', () => b.submit('bulk-0'))];
    await tick();
    for (let i = 1; i <= 5; i++) all.push(inLane('background', () => b.submit(`bulk-${i}`)));
    all.push(b.submit('doc-a'), b.submit('doc-b'), b.submit('query', undefined, true));
    open();
    await Promise.all(all);
    expect(order.flat()).toEqual(['bulk-0', 'query', 'doc-a', 'doc-b', 'bulk-1', 'bulk-2', 'bulk-3', 'bulk-4', 'bulk-5']);
  });

  it('never mixes background items into a foreground batch', async () => {
    const { b, order, open } = gated({ maxBatchSize: 4 });
    const all: Promise<string>[] = [inLane('background', () => b.submit('bulk-0'))];
    await tick();
    for (let i = 1; i <= 3; i++) all.push(inLane('background', () => b.submit(`bulk-${i}`)));
    all.push(b.submit('doc-a'));
    open();
    await Promise.all(all);
    expect(order).toEqual([['bulk-0'], ['doc-a'], ['bulk-1', 'bulk-2', 'bulk-3']]);
  });

  it('background still progresses while foreground keeps waiting: one batch in every backgroundEvery', async () => {
    const { b, order, open } = gated({ backgroundEvery: 3 });
    const all: Promise<string>[] = [b.submit('hold')];
    await tick();
    for (let i = 0; i < 3; i++) all.push(inLane('background', () => b.submit(`bulk-${i}`)));
    for (let i = 0; i < 6; i++) all.push(b.submit(`doc-${i}`));
    open();
    await Promise.all(all);
    expect(order.flat()).toEqual(['hold', 'doc-0', 'doc-1', 'bulk-0', 'doc-2', 'doc-3', 'bulk-1', 'doc-4', 'doc-5', 'bulk-2']);
  });

  it('an ingest’s query-kind items stay in the background lane (ahead of its own documents only)', async () => {
    const { b, order, open } = gated();
    const all: Promise<string>[] = [b.submit('hold')];
    await tick();
    all.push(inLane('background', () => b.submit('bulk-doc')), inLane('background', () => b.submit('bulk-query', undefined, true)), b.submit('doc-a'));
    open();
    await Promise.all(all);
    expect(order.flat()).toEqual(['hold', 'doc-a', 'bulk-query', 'bulk-doc']);
  });

  it('a background backlog at maxQueue refuses more ingest, never a search', async () => {
    const { b, open } = gated({ maxQueue: 2 });
    const all: Promise<string>[] = [inLane('background', () => b.submit('running'))];
    await tick();
    all.push(inLane('background', () => b.submit('bulk-1')), inLane('background', () => b.submit('bulk-2')));
    await expect(inLane('background', () => b.submit('bulk-3'))).rejects.toMatchObject({ code: 'VLR_OVERLOADED' });
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
    const gone = inLane('background', () => b.submit('bulk-gone', ac.signal));
    all.push(inLane('background', () => b.submit('bulk-kept')));
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
    const runs = [
      inLane('background', () => s.use(async () => void order.push('bulk-1'))),
      inLane('background', () => s.use(async () => void order.push('bulk-2'))),
      s.use(async () => void order.push('doc-1')),
      s.use(async () => void order.push('doc-2')),
      s.use(async () => void order.push('doc-3')),
    ];
    await tick();
    expect(s.waiting()).toEqual({ query: 0, foreground: 3, background: 2 });
    hold();
    await Promise.all(runs);
    expect(order).toEqual(['doc-1', 'bulk-1', 'doc-2', 'bulk-2', 'doc-3']);
  });
});

describe('embedderInLane', () => {
  it('runs every call, and what it awaits, in the lane', async () => {
    const seen: string[] = [];
    const note = async <T>(v: T): Promise<T> => {
      await tick();
      seen.push(currentLane());
      return v;
    };
    const fake = {
      records: () => note({ records: [], errors: [] }),
      mediaVectors: () => note({}),
      queryText: () => note(new Float32Array(1)),
    } as unknown as Embedder;
    const e = embedderInLane(fake, 'background');
    await e.records([]);
    await e.mediaVectors('x', 'image', { visual: true, bridge: false });
    await fake.queryText('q');
    expect(seen).toEqual(['background', 'background', 'foreground']);
  });
});
