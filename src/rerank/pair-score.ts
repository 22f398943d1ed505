/**
 * Per-pair scoring: given the query's and one document's prepared vectors, compute every signal the
 * modalities allow, calibrate each, and fuse. Pure (no I/O, no models): everything expensive was
 * done, batched and cached, before this runs, so the score of a pair depends only on that pair.
 */
import type { Calibrator } from './calibration.js';
import { fuse, type ScoreFusion } from './fusion.js';
import type { SignalExplanation } from './types.js';
import { imageImageRaw } from './signals/image-image.js';
import { textTextRaw } from './signals/text-text.js';
import { ocrTextShare, weightsForOcrShare } from './signals/ocr-text.js';
import { textVisualRaw } from './signals/text-image.js';
import { dot } from '../util/vector.js';
import type { FramePooling } from './signals/frame-pooling.js';
import { aggregateChunks, excerpt, MAX_CHUNKS, type ChunkAggregate, type ChunkSpan } from './chunking.js';

/** A query or document side after feature extraction. */
export interface PreparedSide {
  /** Text vector with the query prefix (query side of bge). */
  textQueryVec?: Float32Array;
  /** Text vector as a passage (document side of bge). */
  textPassageVec?: Float32Array;
  /** A text longer than the model's window, in chunks (chunking.ts): one passage vector per chunk, with its span. */
  textChunks?: { vectors: Float32Array[]; spans: ChunkSpan[]; text: string; maxChunks?: number };
  /** OCR text as a passage vector. */
  ocrVec?: Float32Array;
  /** Letters and digits of the document image's OCR text (signals/ocr-text.ts: how much it counts). */
  ocrChars?: number;
  /** The query photo's OCR text (explanations of `image_ocr_text`). */
  ocrText?: string;
  /** EfficientNet embeddings: one for an image, one per frame for a video. */
  visualEmb?: Float32Array[];
  /** Text-space visual vectors (visual passage ⊕ ConSE), one per image / frame. */
  visualText?: Float32Array[];
  /** Components per image / frame, for explanations: the passage and bridge vectors. */
  visualParts?: Array<{ passage: Float32Array; bridge: Float32Array; passageText: string; concepts: string[] }>;
  isVideo?: boolean;
  frameTimes?: number[];
  /** CLIP vectors (text for the query side, image for documents). */
  clipText?: Float32Array;
  clipImage?: Float32Array;
}

export interface PairScore {
  score: number;
  signals: SignalExplanation[];
  bestFrame?: { index: number; time_s?: number; raw: number };
}

export interface ScoreSettings {
  calibrator: Calibrator;
  weights: Record<string, number>;
  clipLogitScale?: number;
  /** Weight of the visual passage inside the text↔image raw value (the rest is ConSE). */
  passageMix: number;
  /** How a chunked text's chunk cosines become its text↔text value (default max). */
  chunkAggregate?: ChunkAggregate;
  /** How a video's frames' values become its value (default mean). */
  framePooling?: FramePooling;
  /** Log-odds (default), calibrated or raw-cosine fusion of the signals (fusion.ts). */
  scoreFusion?: ScoreFusion;
  /**
   * False: the signals' `detail` (explanations only) is left out, and the dot products that only
   * feed it are not computed. Scores are the same either way. Default true.
   */
  details?: boolean;
}

function r6(x: number): number {
  return Math.round(x * 1e6) / 1e6;
}

/** One signal, rounded and calibrated, onto the pair's list (a module function: no closure per pair on the warm path). */
function pushSignal(signals: SignalExplanation[], s: ScoreSettings, name: string, compared: string, raw: number, detail?: Record<string, unknown>, weights: Readonly<Record<string, number>> = s.weights): void {
  const signal: SignalExplanation = { name, compared, raw: r6(raw), calibrated: r6(s.calibrator.calibrate(name, raw)), weight: weights[name] ?? 0 };
  if (detail) signal.detail = detail;
  signals.push(signal);
}

export function scorePair(q: PreparedSide, d: PreparedSide, s: ScoreSettings, remoteRaw?: number): PairScore {
  const signals: SignalExplanation[] = [];
  let bestFrame: PairScore['bestFrame'];
  const details = s.details ?? true;
  const dVisual = d.isVideo ? 'video' : 'image';
  const qVisual = q.isVideo ? 'video' : 'image';
  // a document image with much OCR text is scored as the text it shows (signals/ocr-text.ts)
  const share = q.textQueryVec && d.ocrVec && !d.isVideo ? ocrTextShare(d.ocrChars ?? 0) : 0;
  const w = share > 0 ? weightsForOcrShare(s.weights, share) : s.weights;

  // text ↔ text
  if (q.textQueryVec && d.textChunks) {
    const c = d.textChunks;
    const values = c.vectors.map((v) => textTextRaw(q.textQueryVec!, v));
    const how = s.chunkAggregate ?? 'max';
    const { raw, best } = aggregateChunks(values, how);
    const span = c.spans[best]!;
    pushSignal(signals, s, 'text_text', 'query.text↔document.text', raw, details ? {
      chunks: values.length,
      aggregate: how,
      best_chunk: { index: best, raw: r6(values[best]!), start: span.start, end: span.end, excerpt: excerpt(c.text, span) },
      // the text goes on past the last chunk read (chunking.ts max_chunks): where reading stopped, of how long
      ...(c.spans.length >= (c.maxChunks ?? MAX_CHUNKS) && /\S/.test(c.text.slice(c.spans[c.spans.length - 1]!.end)) ? { read_to: c.spans[c.spans.length - 1]!.end, of_chars: c.text.length, max_chunks: c.maxChunks ?? MAX_CHUNKS } : {}),
    } : undefined);
  } else if (q.textQueryVec && d.textPassageVec) pushSignal(signals, s, 'text_text', 'query.text↔document.text', textTextRaw(q.textQueryVec, d.textPassageVec));

  // text → image / video (visual passage ⊕ ConSE bridge)
  if (q.textQueryVec && d.visualText) {
    const r = textVisualRaw(q.textQueryVec, d.visualText, s.framePooling);
    const detail: Record<string, unknown> = {};
    // without details the score needs only r; the best frame is kept below (a result field, not only an explanation's)
    if (details && d.visualParts?.length === 1) {
      const p = d.visualParts[0]!;
      detail.visual_passage = { raw: r6(dot(q.textQueryVec, p.passage)), text: p.passageText };
      detail.conse = { raw: r6(dot(q.textQueryVec, p.bridge)), concepts: p.concepts };
      detail.mix = { visual_passage: s.passageMix, conse: 1 - s.passageMix };
    } else if (details && d.visualParts) {
      detail.frames = d.visualParts.length;
      detail.pooling = s.framePooling ?? 'mean';
    }
    if (r.bestFrame) {
      bestFrame = { index: r.bestFrame.index, raw: r6(r.bestFrame.raw), ...(d.frameTimes ? { time_s: d.frameTimes[r.bestFrame.index] } : {}) };
      if (details) detail.best_frame_concepts = d.visualParts?.[r.bestFrame.index]?.concepts;
    }
    pushSignal(signals, s, d.isVideo ? 'text_video' : 'text_image', `query.text↔document.${dVisual}`, r.raw, details ? detail : undefined, w);
  }

  // CLIP text → image (only a trained dual encoder reaches here)
  if (q.clipText && d.clipImage) pushSignal(signals, s, 'clip', 'query.text↔document.image', (s.clipLogitScale ?? 100) * dot(q.clipText, d.clipImage));

  // OCR text of the document's image through text↔text
  if (q.textQueryVec && d.ocrVec) pushSignal(signals, s, 'ocr_text', 'query.text↔document.image(ocr)', textTextRaw(q.textQueryVec, d.ocrVec), details && share > 0 ? { text_share: r6(share) } : undefined, w);

  // image / video ↔ image / video (EfficientNet cosine)
  if (q.visualEmb && d.visualEmb) {
    const r = imageImageRaw(q.visualEmb, d.visualEmb, s.framePooling);
    const name = q.isVideo && d.isVideo ? 'video_video' : q.isVideo || d.isVideo ? 'video_image' : 'image_image';
    if (r.bestFrame && d.isVideo) bestFrame = { index: r.bestFrame.index, raw: r6(r.bestFrame.raw), ...(d.frameTimes ? { time_s: d.frameTimes[r.bestFrame.index] } : {}) };
    pushSignal(signals, s, name, `query.${qVisual}↔document.${dVisual}`, r.raw);
  }

  // the query photo's OCR text (a passage) → the document's text on the query side of bge, as image_text compares
  if (q.ocrVec && d.textQueryVec) pushSignal(signals, s, 'image_ocr_text', 'query.image(ocr)↔document.text', textTextRaw(d.textQueryVec, q.ocrVec), details && q.ocrText !== undefined ? { ocr_text: q.ocrText } : undefined);

  // image / video query → text document: the document's text on the query side of bge
  if (q.visualText && d.textQueryVec) {
    const r = textVisualRaw(d.textQueryVec, q.visualText, s.framePooling);
    pushSignal(signals, s, q.isVideo ? 'video_text' : 'image_text', `query.${qVisual}↔document.text`, r.raw);
  }

  if (remoteRaw !== undefined) pushSignal(signals, s, 'remote', 'query↔document (remote scorer)', remoteRaw);

  return { score: r6(fuse(signals, s.scoreFusion)), signals, ...(bestFrame ? { bestFrame } : {}) };
}
