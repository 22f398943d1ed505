/**
 * The summary `vlrerank eval` prints on stdout: one block per configuration with the quality
 * figures (or the agreement ones without judgements), latency and degradation. Pure formatting.
 */
import type { EvalResult } from './summary.js';
import { termLines } from './terminal-text.js';

const f3 = (x: number | undefined) => (x === undefined ? '  –  ' : x.toFixed(3));

export function formatSummary(r: EvalResult): string {
  const lines = [`vlrerank eval (${r.mode}) ${Object.entries(r.target).map(([k, v]) => `${k} ${String(v)}`).join(' · ')}`];
  for (const n of r.notes) lines.push(`  note: ${n}`);
  for (const c of r.configs) {
    lines.push('', `${c.name}: ${c.queries} queries${r.judged ? ` (${c.judged} judged)` : ''}`);
    if (c.first && c.reranked) {
      lines.push(`  nDCG@10   first stage ${f3(c.first.ndcg10)}  →  reranked ${f3(c.reranked.ndcg10)}  (${c.reranked.ndcg10 - c.first.ndcg10 >= 0 ? '+' : ''}${(c.reranked.ndcg10 - c.first.ndcg10).toFixed(3)})`);
      lines.push(`  MRR@10    first stage ${f3(c.first.mrr10)}  →  reranked ${f3(c.reranked.mrr10)}`);
      lines.push(`  R@10      first stage ${f3(c.first.recall10)}  →  reranked ${f3(c.reranked.recall10)}${c.window === 10 ? '' : `   R@${c.window} ${f3(c.reranked.recallWindow)}`}`);
    }
    lines.push(`  agreement overlap@10 ${f3(c.agreement.overlap10)} · same top-1 ${f3(c.agreement.top1Same)} · mean rank shift@10 ${c.agreement.meanRankShift10.toFixed(2)} · promoted into top-10 ${c.agreement.promoted10.toFixed(2)}`);
    const lat = Object.entries(c.latency).map(([k, d]) => `${k} p50 ${d.p50} p90 ${d.p90}`);
    lines.push(`  latency   ${lat.join(' · ')}`);
    const src = Object.entries(c.featureSources).map(([k, v]) => `${k} ${v}`).join(', ');
    lines.push(`  degraded ${c.degraded}${Object.keys(c.degradedReasons).length ? ` (${Object.entries(c.degradedReasons).map(([k, v]) => `${v}× ${k}`).join('; ')})` : ''} · media errors ${c.documentErrors}${src ? ` · features ${src}` : ''}`);
  }
  // ids, texts and names from the user's files and the index: their control characters escaped
  return termLines(lines);
}
