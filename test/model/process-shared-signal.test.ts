/**
 * An app passes its one shutdown signal to every process() call it makes (held-out probe round 23c):
 * 12 calls at once added 12 abort listeners to that signal (admission's wait and the request's
 * fan-out each listened to it), and Node printed MaxListenersExceededWarning "possible EventTarget
 * memory leak detected. 11 abort listeners added to [AbortSignal]" — an app alerting on process
 * warnings saw a leak that was not one. Now the calls share one listener, the signal still stops them.
 */
import { getEventListeners } from 'node:events';
import { afterAll, describe, expect, it } from 'vitest';
import { testReranker } from '../helpers/reranker.js';

describe('one app signal shared by concurrent process() calls', { timeout: 300_000 }, () => {
  const r = testReranker({ maxConcurrentRequests: 2 });
  afterAll(() => r.close());

  it('20 calls at once: no MaxListenersExceededWarning, one listener at most, none after', async () => {
    const shutdown = new AbortController();
    const warnings: string[] = [];
    const onWarning = (w: Error) => warnings.push(`${w.name}: ${w.message}`);
    process.on('warning', onWarning);
    let peak = 0;
    try {
      const calls = Array.from({ length: 20 }, (_, i) => r.process({ query: { text: `trains ${i % 3}` }, documents: [{ text: `station number ${i}` }, { text: 'a plate of pasta' }] }, { signal: shutdown.signal }));
      const watch = setInterval(() => (peak = Math.max(peak, getEventListeners(shutdown.signal, 'abort').length)), 1);
      try {
        const outs = await Promise.all(calls);
        expect(outs.map((o) => o.length)).toEqual(outs.map(() => 2));
      } finally {
        clearInterval(watch);
      }
      peak = Math.max(peak, getEventListeners(shutdown.signal, 'abort').length);
      await new Promise((ok) => setImmediate(ok)); // a warning is emitted on the next tick
    } finally {
      process.off('warning', onWarning);
    }
    expect(warnings.filter((w) => w.startsWith('MaxListenersExceededWarning'))).toEqual([]);
    expect(peak).toBeLessThanOrEqual(1);
    expect(getEventListeners(shutdown.signal, 'abort')).toHaveLength(0);
  });

  it('the shared signal aborting stops every call with its reason', async () => {
    const shutdown = new AbortController();
    const calls = Array.from({ length: 8 }, (_, i) => r.process({ query: { text: `rockets ${i}` }, documents: Array.from({ length: 30 }, (_, j) => ({ text: `launch pad note ${i}-${j}` })) }, { signal: shutdown.signal }));
    const reason = new Error('app shutting down');
    shutdown.abort(reason);
    const outs = await Promise.allSettled(calls);
    expect(outs.map((o) => (o.status === 'rejected' ? o.reason : 'answered'))).toEqual(calls.map(() => reason));
    expect(getEventListeners(shutdown.signal, 'abort')).toHaveLength(0);
  });
});
