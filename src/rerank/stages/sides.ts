/**
 * Stage 4, signals' inputs: the prepared query side and document sides — every vector a signal
 * compares (text vectors, visual-text vectors of images and frames, EfficientNet embeddings, CLIP
 * vectors), with each document's cache hits and misses and what was truncated. After this stage
 * scoring is pure arithmetic (pair-score.ts). A document with both an image and a video gets a
 * second side for the video, fused with the image side's signals.
 */
import type { VlrerankError } from '../../errors.js';
import type { PreparedSide } from '../pair-score.js';
import type { DualEncoderPort, TextEncoderPort } from '../ports.js';
import { visualVector, type VisualMix } from '../signals/text-image.js';
import { ocrTextChars } from '../signals/ocr-text.js';
import type { VisualTextMemo } from '../visual-text.js';
import { MAX_CHUNKS, type ResolvedChunking } from '../chunking.js';
import type { DocumentMedia, FeatureSource } from './media.js';
import type { StoredDocument } from '../records/use.js';
import type { VisualVectors } from '../../features/record/index.js';
import { costlierSource, type PartSource } from '../../features/store/tiered.js';
import type { RequestPlan } from './request.js';
import type { PlannedVectors, TextPlan, VisualEntry } from './text-plan.js';

export interface DocumentPrep {
  side: PreparedSide;
  /** The video's side of a document that has an image too. */
  videoSide?: PreparedSide;
  error?: VlrerankError;
  cacheHits: number;
  cacheMisses: number;
  featuresMs: number;
  truncated: string[];
  /** Where each of the document's features came from (explanations: `index`, `l1`, `disk`, `redis`, `computed`…). */
  sources: { text?: FeatureSource; image?: FeatureSource; video?: FeatureSource };
}

/** The query side: its text vector, its visual-text vectors, and (with a CLIP model) its CLIP text vector. */
export async function querySide(p: RequestPlan, side: PreparedSide, plan: TextPlan, v: PlannedVectors, mix: VisualMix): Promise<PreparedSide> {
  if (plan.queryText >= 0) side.textQueryVec = v.query!.vectors[plan.queryText];
  if (plan.queryVisual) side.visualText = plan.queryVisual.map((e) => visualVector(v.passage!.vectors[e.idx]!, e.bridge, mix));
  if (plan.queryOcr !== undefined) {
    side.ocrVec = v.passage!.vectors[plan.queryOcr];
    side.ocrText = plan.passageTexts[plan.queryOcr];
  }
  if (p.clip && p.qHasText && p.useLocal) side.clipText = (await p.clip.embedTexts([p.req.query.text!]))[0];
  return side;
}

/** One stored image's / frames' vectors as a side's visual inputs (the same shapes `visualOf` gives computed ones). */
function storedVisual(frames: VisualVectors[], withText: boolean, mix: VisualMix): PreparedSide {
  const side: PreparedSide = { visualEmb: frames.map((f) => f.embedding) };
  if (withText) {
    side.visualText = frames.map((f) => visualVector(f.passage, f.bridge, mix));
    side.visualParts = frames.map((f) => ({ passage: f.passage, bridge: f.bridge, passageText: f.passageText, concepts: f.concepts }));
  }
  return side;
}

export function documentSides(
  p: RequestPlan,
  docs: DocumentMedia[],
  plan: TextPlan,
  v: PlannedVectors,
  mix: VisualMix,
  text: TextEncoderPort,
  stored: ReadonlyArray<StoredDocument | undefined> = [],
  origin: FeatureSource = 'record',
  /** Keeps each photo's mixed visual vector across requests (without it, mixed afresh: the same values). */
  visual?: VisualTextMemo,
): DocumentPrep[] {
  const mixed = visual ? (p: Float32Array, b: Float32Array) => visual.mixed(p, b, mix) : (p: Float32Array, b: Float32Array) => visualVector(p, b, mix);
  const { query: qv, passage: pv } = v;
  // truncation is reported in explanations only: tokenising every cached text again is not free
  const tokenCheck = p.req.explain ? text.countTokens?.bind(text) : undefined;
  const truncatedOf = (t: string | undefined, what: string) => (t !== undefined && tokenCheck && tokenCheck(t) > text.maxTokens ? [what] : []);
  return p.req.documents.map((d, i) => {
    const f = docs[i] ?? { hits: 0, misses: 0, ms: 0 };
    const st = stored[i];
    const texts = plan.documents[i]!;
    const side: PreparedSide = {};
    const sources: DocumentPrep['sources'] = { ...(f.sources ?? {}) };
    let hits = f.hits;
    let misses = f.misses;
    let textSource: PartSource | undefined;
    const countText = (idx: number | undefined, res: typeof qv) => {
      if (idx === undefined || idx < 0 || !res) return undefined;
      if (res.hit[idx]) hits++;
      else misses++;
      // the costliest tier any of the document's texts came from (a disk or Redis read is a hit of that tier)
      textSource = costlierSource(textSource, res.source?.[idx] ?? (res.hit[idx] ? 'l1' : 'computed'));
      return res.vectors[idx];
    };
    if (texts.textP !== undefined) side.textPassageVec = countText(texts.textP, pv);
    if (texts.textQ !== undefined) side.textQueryVec = countText(texts.textQ, qv);
    const computedChunks = texts.chunks ? texts.chunks.idx.map((k) => countText(k, pv)!) : undefined;
    if (textSource) sources.text = textSource;
    if (st?.text && d.text !== undefined) {
      if (p.qHasText && st.text.passage) side.textPassageVec = st.text.passage;
      if (p.qHasVisual && st.text.query) side.textQueryVec = st.text.query;
      if ((p.qHasText && st.text.passage) || (p.qHasVisual && st.text.query)) sources.text = sources.text ? `${origin}+${sources.text}` : origin;
    }
    // a long text in chunks: chunk 0 is the passage vector itself when it is the text as the model cuts it
    // a record written before MAX_CHUNKS held more: read as far as a text is read now, so it scores as a fresh one
    const chunked = texts.chunks ? { spans: texts.chunks.spans, vectors: computedChunks! } : capChunks(st?.text?.chunks, p.chunking);
    if (p.chunking && chunked && chunked.spans.length > 1 && side.textPassageVec && d.text !== undefined) {
      side.textChunks = { spans: chunked.spans, text: d.text, vectors: p.chunking.firstIsWhole ? [side.textPassageVec, ...chunked.vectors] : chunked.vectors, maxChunks: p.chunking.maxChunks };
    }
    if (texts.ocr !== undefined && texts.ocr >= 0) {
      side.ocrVec = countText(texts.ocr, pv);
      side.ocrChars = ocrTextChars(plan.passageTexts[texts.ocr]!);
    }
    const visualOf = (entries: VisualEntry[]) => ({
      visualText: entries.map((e) => mixed(countText(e.idx, pv)!, e.bridge)),
      visualParts: entries.map((e) => ({ passage: pv!.vectors[e.idx]!, bridge: e.bridge, passageText: e.passage, concepts: e.concepts })),
    });
    if (f.image) {
      side.visualEmb = [f.image.embedding];
      if (texts.image) Object.assign(side, visualOf(texts.image));
    } else if (st?.image) {
      Object.assign(side, storedVisual([st.image], p.qHasText, mix));
      if (p.ocr && p.qHasText && st.image.ocrVector) {
        side.ocrVec = st.image.ocrVector;
        side.ocrChars = ocrTextChars(st.image.ocrText ?? '');
      }
      sources.image = origin;
    }
    let videoSide: PreparedSide | undefined;
    if (f.video) {
      videoSide = { isVideo: true, frameTimes: f.video.times, visualEmb: f.video.frames.map((x) => x.embedding) };
      if (texts.video) Object.assign(videoSide, visualOf(texts.video));
    } else if (st?.video) {
      videoSide = { isVideo: true, frameTimes: st.video.times, ...storedVisual(st.video.frames, p.qHasText, mix) };
      sources.video = origin;
    }
    if (videoSide) {
      if (!f.image && !st?.image) {
        Object.assign(side, videoSide);
        videoSide = undefined;
      }
    }
    return { side, videoSide, error: f.error, cacheHits: hits, cacheMisses: misses, featuresMs: f.ms, truncated: truncatedOf(d.text, 'document.text'), sources };
  });
}

/** CLIP image vectors of the documents whose image was read (only with a CLIP model and a text query). */
export async function clipDocuments(p: RequestPlan, querySide: PreparedSide, preps: DocumentPrep[], clip: DualEncoderPort | undefined, signal: AbortSignal | undefined): Promise<void> {
  if (!clip || !querySide.clipText) return;
  const docs = p.req.documents;
  const withImage = docs.map((d, i) => (d.image !== undefined && !preps[i]!.error ? i : -1)).filter((i) => i >= 0);
  if (withImage.length) {
    const vecs = await clip.embedImages(withImage.map((i) => docs[i]!.image!), signal);
    withImage.forEach((i, j) => (preps[i]!.side.clipImage = vecs[j]));
  }
}

/** A record's chunks cut to the first `maxChunks` (its vectors lack chunk 0 when that is the whole text). */
function capChunks<C extends { spans: readonly unknown[]; vectors: readonly unknown[] }>(c: C | undefined, chunking: Pick<ResolvedChunking, 'maxChunks' | 'firstIsWhole'> | undefined): C | undefined {
  const max = chunking?.maxChunks ?? MAX_CHUNKS;
  if (!c || c.spans.length <= max) return c;
  return { ...c, spans: c.spans.slice(0, max), vectors: c.vectors.slice(0, max - (chunking?.firstIsWhole ? 1 : 0)) };
}
