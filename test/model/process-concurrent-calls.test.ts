/**
 * A script's own concurrent process() calls wait their turn instead of failing (held-out probe round
 * 11b): a Reranker built without `admission` used the server's queue bounds, and a `Promise.all` of
 * 20 queries had 8 rejected as VLR_OVERLOADED ("this client already has 8 rerank requests queued");
 * given `admission`, the bounds apply as on a server. One call of 1,100 texts (`maxDocuments` raised)
 * was refused "model bge-small-en-v1.5 is overloaded: 1024 inputs already queued … retry later" by
 * the text model's queue, which a script's reranker does not share with anyone.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { testReranker } from '../helpers/reranker.js';

const calls = (n: number) => Array.from({ length: n }, (_, i) => ({ query: { text: `query number ${i % 5}` }, documents: Array.from({ length: 6 }, (_, j) => `document ${j} about trains and stations`) }));

describe('concurrent process() calls of one script', { timeout: 300_000 }, () => {
  const r = testReranker();
  const bounded = testReranker({ admission: { maxQueued: 2, clientShare: 1 } });
  afterAll(() => Promise.all([r.close(), bounded.close()]));

  it('60 at once: every one answered, each query as when asked alone', async () => {
    const outs = await Promise.allSettled(calls(60).map((c) => r.process(c)));
    expect(outs.filter((o) => o.status === 'rejected').map((o) => (o as PromiseRejectedResult).reason?.message)).toEqual([]);
    const alone = await r.process(calls(1)[0]!);
    const first = (outs[0] as PromiseFulfilledResult<typeof alone>).value;
    expect(first.scores).toEqual(alone.scores);
  });

  it('one call of 1,100 texts is answered', async () => {
    const big = testReranker({ maxDocuments: 2000 });
    try {
      const out = await big.process({ query: 'trains', documents: Array.from({ length: 1100 }, (_, i) => `text ${i} about trains`) });
      expect(out.scores).toHaveLength(1100);
    } finally {
      await big.close();
    }
  });

  it('with admission given, its bounds shed as on a server', async () => {
    const outs = await Promise.allSettled(calls(20).map((c) => bounded.process(c)));
    expect(outs.some((o) => o.status === 'rejected' && (o.reason as { code?: string }).code === 'VLR_OVERLOADED')).toBe(true);
  });
});
