/**
 * A Prometheus histogram for the two observed on every proxied request (request duration, upstream
 * latency): each label set's child is a plain object whose `observe` only finds the bucket and adds.
 * prom-client's child validates its labels, hashes them and looks its series up again on every
 * `observe` — the largest single item of vlrerank's own code in bench:proxy's CPU profile of a
 * passthrough search (~2 µs a request for the two). Registered in a prom-client registry like any
 * metric (it reads `getForPromString`/`get`, `reset`), and scraped as the same lines prom-client's
 * Histogram writes (test/unit/observability/histogram.test.ts compares them).
 */
import type { Registry } from 'prom-client';

type Labels<T extends string> = Record<T, string | number>;

/** One label set's counts: `observe` is the hot path. */
export class HistogramSeries {
  sum = 0;
  count = 0;
  /** Not cumulative: counts[i] values fell in (upperBounds[i-1], upperBounds[i]]. */
  readonly counts: Float64Array;
  constructor(
    readonly labels: Record<string, string | number>,
    private readonly upperBounds: readonly number[],
  ) {
    this.counts = new Float64Array(upperBounds.length);
  }

  observe(value: number): void {
    if (!Number.isFinite(value)) throw new TypeError(`Value is not a valid number: ${value}`);
    this.sum += value;
    this.count += 1;
    const ub = this.upperBounds;
    for (let i = 0; i < ub.length; i++) {
      if (value <= ub[i]!) {
        this.counts[i]! += 1;
        return;
      }
    }
  }
}

export class CheapHistogram<T extends string> {
  readonly type = 'histogram';
  readonly aggregator = 'sum';
  readonly name: string;
  readonly help: string;
  readonly labelNames: readonly T[];
  readonly upperBounds: readonly number[];
  #series = new Map<string, HistogramSeries>();

  constructor(o: { name: string; help: string; labelNames: readonly T[]; buckets: readonly number[]; registers: Registry[] }) {
    this.name = o.name;
    this.help = o.help;
    this.labelNames = o.labelNames;
    this.upperBounds = [...o.buckets].sort((a, b) => a - b);
    for (const r of o.registers) r.registerMetric(this as unknown as Parameters<Registry['registerMetric']>[0]);
  }

  /** The series of one label set (keep it: its `observe` is the cheap path). */
  labels(labels: Labels<T>): HistogramSeries {
    for (const k of Object.keys(labels)) if (!this.labelNames.includes(k as T)) throw new Error(`Added label "${k}" is not included in initial labelset: ${JSON.stringify(this.labelNames)}`);
    const key = this.labelNames.map((n) => String(labels[n] ?? '')).join('\u0000');
    let s = this.#series.get(key);
    if (!s) this.#series.set(key, (s = new HistogramSeries({ ...labels }, this.upperBounds)));
    return s;
  }

  observe(labels: Labels<T>, value: number): void {
    this.labels(labels).observe(value);
  }

  reset(): void {
    // series handed out keep counting into nothing scraped: zero them instead, so cached children stay live
    for (const s of this.#series.values()) {
      s.sum = 0;
      s.count = 0;
      s.counts.fill(0);
    }
  }

  /** As prom-client's Histogram: bucket lines carry `le` first, then the series' labels (shared). */
  getForPromString() {
    const values: Array<{ labels: Record<string, string | number>; sharedLabels: Record<string, string | number>; value: number; metricName: string }> = [];
    const bucket = `${this.name}_bucket`;
    for (const s of this.#series.values()) {
      if (s.count === 0) continue; // as prom-client: a series shows from its first observe (and not after a reset)
      let acc = 0;
      for (let i = 0; i < this.upperBounds.length; i++) {
        acc += s.counts[i]!;
        values.push({ labels: { le: this.upperBounds[i]! }, sharedLabels: s.labels, value: acc, metricName: bucket });
      }
      values.push({ labels: { le: '+Inf' }, sharedLabels: s.labels, value: s.count, metricName: bucket });
      values.push({ labels: {}, sharedLabels: s.labels, value: s.sum, metricName: `${this.name}_sum` });
      values.push({ labels: {}, sharedLabels: s.labels, value: s.count, metricName: `${this.name}_count` });
    }
    return { name: this.name, help: this.help, type: this.type, values, aggregator: this.aggregator };
  }

  /** Labels splayed into each value, as prom-client's `get()` (the JSON form, cluster aggregation). */
  get() {
    const data = this.getForPromString();
    const bucket = `${this.name}_bucket`;
    return { ...data, values: data.values.map((v) => ({ ...(v.metricName === bucket ? { exemplar: null } : {}), labels: { ...v.sharedLabels, ...v.labels }, value: v.value, metricName: v.metricName })) };
  }
}
