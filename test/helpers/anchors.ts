/**
 * Quality anchors (issue 14 "Measured"), shared by scripts/bench/anchors.ts (full sets) and
 * test/model/quality-anchors.test.ts (a fixed subset): run each query through Reranker.process with
 * `explain`, keep every document's raw and calibrated signal values, and score the orders that
 * different fusions of those same values give — the library's own score, and the reference's
 * raw-cosine mean (../shared/ZERO-SHOT-BRIDGE.md) — with nDCG@10, MRR and recall@k.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Reranker } from '../../src/rerank/reranker.js';
import type { DocumentInput } from '../../src/rerank/types.js';
import { REPO_ROOT } from './paths.js';

export interface AnchorQuery {
  text: string;
  /** document id → graded relevance */
  rel: Map<string, number>;
}
export interface AnchorSet {
  name: string;
  documents: Array<{ id: string; doc: DocumentInput }>;
  queries: AnchorQuery[];
}

/** One document's values for one query: the library's fused score and each signal's raw value. */
export interface DocValues {
  score: number;
  raw: Record<string, number>;
  /** text_image's two halves (photo documents): cos(q, visual passage), cos(q, ConSE vector). */
  passage?: number;
  conse?: number;
}
export interface CollectedSet {
  name: string;
  ids: string[];
  queries: Array<{ text: string; rel: Array<[string, number]>; docs: DocValues[] }>;
}

export async function collectSet(reranker: Reranker, set: AnchorSet, options: { ocr?: boolean } = {}): Promise<CollectedSet> {
  const documents = set.documents.map((d) => d.doc);
  const queries: CollectedSet['queries'] = [];
  for (const q of set.queries) {
    const out = await reranker.process({ query: q.text, documents, explain: true, ...(options.ocr ? { ocr: true } : {}) });
    const docs: DocValues[] = new Array(documents.length);
    for (const r of out) {
      const raw: Record<string, number> = {};
      const v: DocValues = { score: r.score, raw };
      for (const s of r.explanation!.signals) {
        raw[s.name] = s.raw;
        const d = s.detail as { visual_passage?: { raw: number }; conse?: { raw: number } } | undefined;
        if (d?.visual_passage) v.passage = d.visual_passage.raw;
        if (d?.conse) v.conse = d.conse.raw;
      }
      docs[r.index] = v;
    }
    queries.push({ text: q.text, rel: [...q.rel], docs });
  }
  return { name: set.name, ids: set.documents.map((d) => d.id), queries };
}

export interface Figures {
  ndcg10: number;
  mrr: number;
  /** MRR cut at 10, as `vlrerank eval` reports it. */
  mrr10: number;
  r1: number;
  r5: number;
  r10: number;
  n: number;
}

/** Figures of the order `score` gives (ties broken by input order); the best-graded document counts for MRR and R@k. */
export function figures(set: CollectedSet, score: (d: DocValues) => number, only?: (qi: number) => boolean): Figures {
  const f: Figures = { ndcg10: 0, mrr: 0, mrr10: 0, r1: 0, r5: 0, r10: 0, n: 0 };
  set.queries.forEach((q, qi) => {
    if (only && !only(qi)) return;
    const rel = new Map(q.rel);
    const order = q.docs.map((d, i) => ({ i, s: score(d) })).sort((a, b) => b.s - a.s || a.i - b.i).map((x) => set.ids[x.i]!);
    const gains = order.map((id) => rel.get(id) ?? 0);
    const dcg = gains.slice(0, 10).reduce((s, g, i) => s + (2 ** g - 1) / Math.log2(i + 2), 0);
    const ideal = [...rel.values()].sort((a, b) => b - a).slice(0, 10).reduce((s, g, i) => s + (2 ** g - 1) / Math.log2(i + 2), 0);
    const top = Math.max(...rel.values());
    const rank = gains.findIndex((g) => g === top) + 1;
    f.ndcg10 += ideal ? dcg / ideal : 0;
    f.mrr += rank ? 1 / rank : 0;
    f.mrr10 += rank && rank <= 10 ? 1 / rank : 0;
    f.r1 += rank === 1 ? 1 : 0;
    f.r5 += rank && rank <= 5 ? 1 : 0;
    f.r10 += rank && rank <= 10 ? 1 : 0;
    f.n++;
  });
  for (const k of ['ndcg10', 'mrr', 'mrr10', 'r1', 'r5', 'r10'] as const) f[k] /= f.n || 1;
  return f;
}

interface Logistic {
  a: number;
  b: number;
}
const SHIPPED: Record<string, Logistic> = (JSON.parse(readFileSync(join(REPO_ROOT, 'models/calibration/signals.json'), 'utf8')) as { signals: Record<string, Logistic> }).signals;

/** Weighted mean of `value` over the signals present; undefined weight → 1. */
function mean(d: DocValues, value: (name: string, raw: number) => number, weights: Record<string, number> = {}): number {
  let num = 0;
  let den = 0;
  for (const [name, raw] of Object.entries(d.raw)) {
    const w = weights[name] ?? 1;
    if (!(w > 0) || !Number.isFinite(raw)) continue;
    num += w * value(name, raw);
    den += w;
  }
  return den ? num / den : 0;
}

/** The fusions compared on the same raw values (each a function of the pair alone). */
export const FUSIONS: Record<string, (d: DocValues) => number> = {
  'process() (shipped default)': (d) => d.score,
  'anchor: raw cosines 0.5/0.5': (d) => mean(d, (_, x) => x),
  'calibrated logits, mean': (d) => mean(d, (n, x) => (SHIPPED[n] ? SHIPPED[n]!.a * x + SHIPPED[n]!.b : x)),
  'grocery.yaml raw (text_text 2, text_image 0.9)': (d) => mean(d, (_, x) => x, { text_text: 2, text_image: 0.9 }),
};

export function fusionsReport(set: CollectedSet, extra: Record<string, (d: DocValues) => number> = {}): string {
  const fx = (x: number) => x.toFixed(3);
  const lines: string[] = [];
  const halves: Record<string, (d: DocValues) => number> = set.queries[0]?.docs[0]?.passage !== undefined ? { 'visual passage alone': (d) => d.passage ?? 0, 'ConSE alone': (d) => d.conse ?? 0 } : {};
  for (const [name, fn] of Object.entries({ ...FUSIONS, ...halves, ...extra })) {
    const f = figures(set, fn);
    lines.push(`  ${name.padEnd(48)} nDCG@10 ${fx(f.ndcg10)}  MRR ${fx(f.mrr)} (@10 ${fx(f.mrr10)})  R@1/5/10 ${fx(f.r1)} / ${fx(f.r5)} / ${fx(f.r10)}  (${f.n} queries)`);
  }
  return lines.join('\n');
}
