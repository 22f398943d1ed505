import { Histogram, Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { CheapHistogram } from '../../../src/observability/histogram.js';

/** The same observations in prom-client's Histogram and in ours, each in a registry of its own. */
function pair() {
  const opts = { name: 'vlr_test_seconds', help: 'Test histogram', labelNames: ['route', 'status'] as const, buckets: [0.001, 0.01, 0.1, 1] };
  const a = new Registry();
  const b = new Registry();
  const theirs = new Histogram({ ...opts, labelNames: [...opts.labelNames], registers: [a] });
  const ours = new CheapHistogram({ ...opts, registers: [b] });
  return { a, b, theirs, ours };
}

describe('CheapHistogram (the per-request histograms)', () => {
  it('scrapes as the same text and JSON as prom-client’s Histogram', async () => {
    const { a, b, theirs, ours } = pair();
    expect(await b.metrics()).toBe(await a.metrics()); // nothing observed: no series
    const values = [0, 0.001, 0.0010001, 0.005, 0.01, 0.5, 1, 2, 30];
    const t1 = theirs.labels({ route: 'search', status: '200' });
    const o1 = ours.labels({ route: 'search', status: '200' });
    for (const v of values) {
      t1.observe(v);
      o1.observe(v);
    }
    ours.labels({ route: 'search', status: 200 }); // labels() alone shows nothing, as prom-client's
    theirs.labels({ route: 'proxy', status: '502' }).observe(0.25);
    ours.observe({ route: 'proxy', status: '502' }, 0.25);
    expect(await b.metrics()).toBe(await a.metrics());
    const json = async (r: Registry) => JSON.parse(JSON.stringify(await r.getMetricsAsJSON())) as unknown; // as served: undefined fields dropped
    expect(await json(b)).toEqual(await json(a));
  });

  it('resets as prom-client does, and a series kept by a caller counts again after', async () => {
    const { a, b, theirs, ours } = pair();
    const t = theirs.labels({ route: 'bulk', status: '200' });
    const o = ours.labels({ route: 'bulk', status: '200' });
    t.observe(0.2);
    o.observe(0.2);
    a.resetMetrics();
    b.resetMetrics();
    expect(await b.metrics()).toBe(await a.metrics());
    t.observe(0.02);
    o.observe(0.02);
    expect(await b.metrics()).toBe(await a.metrics());
  });

  it('refuses what prom-client refuses: a label it was not given, a value that is not a number', () => {
    const { ours } = pair();
    expect(() => ours.labels({ route: 'x', nope: 'y' } as never)).toThrow(/not included/);
    expect(() => ours.labels({ route: 'x', status: '1' }).observe(Number.NaN)).toThrow(TypeError);
  });
});
