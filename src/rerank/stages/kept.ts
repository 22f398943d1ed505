/**
 * Kept document sides in a request (prepared.ts): which requests may use them (the shape), the
 * plan of the documents not kept (what the media, text and sides stages still run on), every
 * document's prep and media entry in input order again, and keeping what the stages built.
 * Pure bookkeeping: reads no media, runs no model.
 */
import type { KeptSide, PreparedSides } from '../prepared.js';
import type { DocumentMedia } from './media.js';
import type { RequestPlan } from './request.js';
import type { DocumentPrep } from './sides.js';
import type { DocumentTexts } from './text-plan.js';

/**
 * The shape of this request's document sides, or undefined when they are neither kept nor used: a
 * text query alone scored by the local models, no CLIP, no explanation (its timings, sources and
 * truncation are per request), not `strict` (its errors name the index in the request), and no
 * feature records handed in (the index path has its own). The shape holds what else changes a side.
 */
export function keptShape(p: RequestPlan, withRecords: boolean): string | undefined {
  if (!p.useLocal || !p.qHasText || p.qHasVisual || p.clip || p.req.explain || p.req.strict || withRecords) return undefined;
  const c = p.chunking;
  return `${p.ocr ? 'ocr' : ''}|${c ? `${c.maxTokens}/${c.overlap}/${c.maxChunks}/${c.firstIsWhole}/${c.aggregate}` : ''}`;
}

/** The plan of the documents not kept (their order kept): what the stages still run on. */
export function withoutKept(p: RequestPlan, kept: ReadonlyArray<KeptSide | undefined>): RequestPlan {
  const documents: RequestPlan['req']['documents'] = [];
  const original: RequestPlan['req']['original'] = [];
  p.req.documents.forEach((d, i) => {
    if (kept[i]) return;
    documents.push(d);
    original.push(p.req.original[i]!);
  });
  return { ...p, req: { ...p.req, documents, original } };
}

/** Every document's prep and media entry, input order: the kept ones (all hits, in memory) and the ones the stages built. */
export function mergeKept(p: RequestPlan, kept: ReadonlyArray<KeptSide | undefined>, built: DocumentPrep[], media: DocumentMedia[]): { preps: DocumentPrep[]; docs: DocumentMedia[] } {
  const n = p.req.documents.length;
  const preps = new Array<DocumentPrep>(n);
  const docs = new Array<DocumentMedia>(n);
  let j = 0;
  for (let i = 0; i < n; i++) {
    const k = kept[i];
    if (!k) {
      preps[i] = built[j]!;
      docs[i] = media[j++]!;
      continue;
    }
    const d = p.req.documents[i]!;
    const sources: DocumentPrep['sources'] = {};
    if (d.text !== undefined) sources.text = 'l1';
    if (d.image !== undefined) sources.image = 'l1';
    preps[i] = { side: k.side, cacheHits: k.parts, cacheMisses: 0, featuresMs: 0, truncated: [], sources };
    docs[i] = { hits: k.image ? 1 : 0, misses: 0, ms: 0, ...(k.image ? { keptImage: true, sources: { image: 'l1' } } : {}) };
  }
  return { preps, docs };
}

/** Keep the sides the stages built (`work`: the plan they ran on), those without an error or a video. */
export function keepBuilt(sides: PreparedSides, shape: string, work: RequestPlan, built: DocumentPrep[], media: DocumentMedia[], texts: DocumentTexts[]): void {
  built.forEach((prep, j) => {
    if (prep.error || prep.videoSide) return;
    const m = media[j];
    sides.keep(shape, work.req.documents[j]!, { side: prep.side, contentHash: m?.contentHash, image: m?.image !== undefined, parts: prep.cacheHits + prep.cacheMisses, texts: passageCount(texts[j]) });
  });
}

/** Passage texts one document put in the text plan. */
function passageCount(t: DocumentTexts | undefined): number {
  if (!t) return 0;
  const n = (x: number | undefined) => (x !== undefined && x >= 0 ? 1 : 0);
  return n(t.textP) + n(t.textQ) + n(t.ocr) + (t.image?.length ?? 0) + (t.video?.length ?? 0) + (t.chunks?.idx.length ?? 0);
}
