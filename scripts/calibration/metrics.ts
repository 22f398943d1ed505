/**
 * Figures of a calibration table on mixed pools (issue 14 §4), from raw signal values collected once
 * (collect.ts): each document's score is what process() would return with that table — every raw
 * signal calibrated by Calibrator, fused by fusion.ts with the default weights.
 *
 * - cross-modal inversion rate: over every pool, every (relevant document of modality A, irrelevant
 *   document of modality B ≠ A) pair, how often the irrelevant one scores at least as high (ties
 *   count a half) — the "relevant text below an irrelevant photo" failure.
 * - balanced reliability per modality: predicted p in 10 bins against the observed share of
 *   relevant documents, positives and negatives weighted to equal totals (the calibration is
 *   class-balanced, so p reads "relevant vs. a random candidate", a prior of one half); ECE is
 *   Σ weight(bin)·|mean p − observed|.
 */
import { Calibrator, type CalibrationTable } from '../../src/rerank/calibration.js';
import { fuse, resolveWeights } from '../../src/rerank/fusion.js';
import type { Modality, Pool } from './mixed-pools.js';

export interface Scored {
  pool: string;
  set: string;
  modality: Modality;
  rel: 0 | 1;
  score: number;
}

export function scorePools(pools: Pool[], table: CalibrationTable): Scored[] {
  const cal = new Calibrator(table, 'metrics');
  const weights = resolveWeights(undefined);
  const out: Scored[] = [];
  for (const p of pools) {
    for (const d of p.docs) {
      const signals = Object.entries(d.raw ?? {}).map(([name, raw]) => ({ name, calibrated: cal.calibrate(name, raw), weight: weights[name] ?? 1 }));
      if (!signals.length) continue;
      out.push({ pool: p.id, set: p.set, modality: d.modality, rel: d.rel, score: fuse(signals) });
    }
  }
  return out;
}

export interface Inversions {
  rate: number;
  pairs: number;
  /** "text>image": relevant text vs irrelevant image, and so on */
  by: Record<string, { rate: number; pairs: number }>;
}

/** Cross-modal inversion rate (see the header); `within: true` counts same-modality pairs instead. */
export function inversions(scored: Scored[], options: { within?: boolean } = {}): Inversions {
  const byPool = new Map<string, Scored[]>();
  for (const s of scored) byPool.set(s.pool, [...(byPool.get(s.pool) ?? []), s]);
  const acc: Record<string, { bad: number; pairs: number }> = {};
  for (const docs of byPool.values()) {
    for (const r of docs.filter((d) => d.rel === 1)) {
      for (const n of docs.filter((d) => d.rel === 0 && (options.within ? d.modality === r.modality : d.modality !== r.modality))) {
        const k = `${r.modality}>${n.modality}`;
        acc[k] ??= { bad: 0, pairs: 0 };
        acc[k].pairs++;
        acc[k].bad += n.score > r.score ? 1 : n.score === r.score ? 0.5 : 0;
      }
    }
  }
  const total = Object.values(acc).reduce((s, x) => ({ bad: s.bad + x.bad, pairs: s.pairs + x.pairs }), { bad: 0, pairs: 0 });
  return {
    rate: total.pairs ? total.bad / total.pairs : 0,
    pairs: total.pairs,
    by: Object.fromEntries(Object.entries(acc).sort().map(([k, v]) => [k, { rate: v.bad / v.pairs, pairs: v.pairs }])),
  };
}

export interface Reliability {
  ece: number;
  n: number;
  positives: number;
  /** bins with any weight: [low edge, mean predicted, observed (balanced), documents] */
  bins: Array<[number, number, number, number]>;
  meanRelevant: number;
  meanIrrelevant: number;
}

export function reliability(scored: Scored[], nBins = 10): Reliability {
  const pos = scored.filter((s) => s.rel === 1).length;
  const neg = scored.length - pos;
  const w = (s: Scored) => (s.rel === 1 ? (pos ? 0.5 / pos : 0) : neg ? 0.5 / neg : 0);
  const bins = Array.from({ length: nBins }, () => ({ w: 0, wp: 0, wy: 0, n: 0 }));
  for (const s of scored) {
    const b = bins[Math.min(nBins - 1, Math.floor(s.score * nBins))]!;
    b.w += w(s);
    b.wp += w(s) * s.score;
    b.wy += w(s) * s.rel;
    b.n++;
  }
  const total = bins.reduce((t, b) => t + b.w, 0);
  const mean = (xs: Scored[]) => (xs.length ? xs.reduce((t, s) => t + s.score, 0) / xs.length : NaN);
  return {
    ece: total ? bins.reduce((t, b) => t + (b.w ? (b.w / total) * Math.abs(b.wp / b.w - b.wy / b.w) : 0), 0) : 0,
    n: scored.length,
    positives: pos,
    bins: bins.flatMap((b, i) => (b.w ? [[i / nBins, b.wp / b.w, b.wy / b.w, b.n] as [number, number, number, number]] : [])),
    meanRelevant: mean(scored.filter((s) => s.rel === 1)),
    meanIrrelevant: mean(scored.filter((s) => s.rel === 0)),
  };
}
