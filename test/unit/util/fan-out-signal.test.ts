/**
 * One caller signal handed to many units of work at once (fanOutSignal, util/abort.ts): an app's
 * shutdown signal given to each of its concurrent process() calls added one abort listener per call,
 * and the 11th made Node print MaxListenersExceededWarning "possible EventTarget memory leak"
 * (held-out probe round 23c). The units now share one child: one listener on the parent while any
 * is running, none once all are disposed, and the parent's abort still reaches every unit.
 */
import { getEventListeners } from 'node:events';
import { describe, expect, it } from 'vitest';
import { fanOutSignal } from '../../../src/util/abort.js';
import { inLane, laneOfSignal } from '../../../src/util/lanes.js';

const listeners = (s: AbortSignal) => getEventListeners(s, 'abort').length;

describe('fanOutSignal over one parent', () => {
  it('50 units at once: one listener on the parent, none after the last dispose', () => {
    const parent = new AbortController().signal;
    const fans = Array.from({ length: 50 }, () => fanOutSignal(parent));
    expect(listeners(parent)).toBe(1);
    for (const f of fans.slice(0, 49)) f.dispose();
    expect(listeners(parent)).toBe(1);
    fans[49]!.dispose();
    fans[49]!.dispose(); // twice is harmless
    expect(listeners(parent)).toBe(0);
    const again = fanOutSignal(parent);
    expect(listeners(parent)).toBe(1);
    again.dispose();
    expect(listeners(parent)).toBe(0);
  });

  it("the parent's abort reaches every unit with its reason", () => {
    const ac = new AbortController();
    const fans = Array.from({ length: 12 }, () => fanOutSignal(ac.signal));
    const reason = new Error('shutting down');
    ac.abort(reason);
    expect(fans.map((f) => f.signal!.reason)).toEqual(fans.map(() => reason));
    const late = fanOutSignal(ac.signal); // after the abort: aborted at once
    expect(late.signal!.aborted).toBe(true);
    for (const f of [...fans, late]) f.dispose();
  });

  it("each unit's child keeps the parent's lane", () => {
    const bg = inLane('background').signal;
    const a = fanOutSignal(bg);
    expect(laneOfSignal(a.signal)).toBe('background');
    a.dispose();
  });
});

describe('inLane over one parent', () => {
  // a `_bulk`'s documents embedded in the background lane (rerank/embedder.ts embedderInLane): one
  // inLane per document on the request's signal put one listener each on it, and the 11th made the
  // first `npm start` print MaxListenersExceededWarning while it indexed the demo data
  it('20 units in one lane share one child: one listener on the parent, none after the last dispose', () => {
    const parent = new AbortController().signal;
    const units = Array.from({ length: 20 }, () => inLane('background', parent));
    expect(listeners(parent)).toBe(1);
    expect(new Set(units.map((u) => u.signal)).size).toBe(1);
    expect(laneOfSignal(units[0]!.signal)).toBe('background');
    for (const u of units) u.dispose();
    expect(listeners(parent)).toBe(0);
  });

  it('another lane gets a child of its own, and the abort reaches both', () => {
    const ac = new AbortController();
    const bg = inLane('background', ac.signal);
    const q = inLane('query', ac.signal);
    expect(bg.signal).not.toBe(q.signal);
    expect([laneOfSignal(bg.signal), laneOfSignal(q.signal)]).toEqual(['background', 'query']);
    expect(listeners(ac.signal)).toBe(2);
    const reason = new Error('client went away');
    ac.abort(reason);
    expect([bg.signal.reason, q.signal.reason]).toEqual([reason, reason]);
    bg.dispose();
    q.dispose();
  });

  it('no MaxListenersExceededWarning for 50 units at once', async () => {
    const warnings: Error[] = [];
    const onWarning = (w: Error) => warnings.push(w);
    process.on('warning', onWarning);
    try {
      const parent = new AbortController().signal;
      const units = Array.from({ length: 50 }, () => inLane('background', parent));
      await new Promise((r) => setImmediate(r)); // warnings are emitted on the next tick
      for (const u of units) u.dispose();
      expect(warnings.filter((w) => w.name === 'MaxListenersExceededWarning')).toEqual([]);
    } finally {
      process.off('warning', onWarning);
    }
  });
});

describe('one parent fanned out in two lanes', () => {
  it("units of one foreground parent in the background lane share one listener, in that lane (a _bulk's documents, held-out probe round 24a)", () => {
    const parent = new AbortController().signal;
    // rerank/embedder.ts embedderInLane: the request's signal, each document's work in the background lane
    const fans = Array.from({ length: 12 }, () => inLane('background', parent));
    const fg = fanOutSignal(parent);
    expect(listeners(parent)).toBe(2); // one child per lane
    expect(laneOfSignal(fans[0]!.signal)).toBe('background');
    expect(laneOfSignal(fg.signal)).toBe('foreground');
    for (const f of [...fans, fg]) f.dispose();
    expect(listeners(parent)).toBe(0);
  });
});
