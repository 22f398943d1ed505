/**
 * Stage 1, validate: what one validated request asks of this reranker — which backends run, which
 * modalities meet, OCR, video sampling, the weights in effect — and the refusals that must come
 * before any work (a remote backend nobody configured, a CLIP fixture with random weights).
 * Pure: reads the request, the options and the ports; runs nothing.
 */
import { vlrError } from '../../errors.js';
import { resolveWeights, type ScoreFusion } from '../fusion.js';
import { counterOf, resolveChunking, truncateToTokens, type ResolvedChunking } from '../chunking.js';
import { maxInputChars } from '../../models/index.js';
import { videoSamplingOf, type ProcessOptions, type RerankerOptions } from '../options.js';
import type { FramePooling } from '../signals/frame-pooling.js';
import type { DualEncoderPort, RerankerPorts } from '../ports.js';
import type { NormalizedInput } from '../types.js';
import { documentText, queryText } from '../read-text.js';

export interface RequestPlan {
  req: NormalizedInput;
  /** The local models score (backend local or both). */
  useLocal: boolean;
  /** The remote workers score (backend remote or both). */
  useRemote: boolean;
  qHasText: boolean;
  /** The query has an image or a video. */
  qHasVisual: boolean;
  /** Some document has text. */
  anyDocText: boolean;
  /** OCR text of document images becomes a signal. */
  ocr: boolean;
  /** The query photo's OCR text is compared with the documents' texts (`image_ocr_text` weighted, an image query, documents with text). */
  queryOcr: boolean;
  fps: number;
  maxFrames: number;
  clip?: DualEncoderPort;
  weights: Record<string, number>;
  /** Long document texts in chunks against a text query (needs the text port's token counter). */
  chunking?: ResolvedChunking;
  /** The chunking in effect whatever the query: the one feature records of this call are made and read with. */
  recordChunking?: ResolvedChunking;
  /** How a video's frames' values become its value (signals/frame-pooling.ts). */
  framePooling?: FramePooling;
  /** Log-odds (default), calibrated or raw-cosine fusion (fusion.ts). */
  scoreFusion?: ScoreFusion;
}

export function planRequest(req: NormalizedInput, ports: RerankerPorts, options: RerankerOptions, call: Pick<ProcessOptions, 'chunking' | 'framePooling' | 'scoreFusion' | 'maxTokensPerDoc'> = {}): RequestPlan {
  req = capDocumentTexts(readTexts(req), ports.text, call.maxTokensPerDoc);
  const weights = resolveWeights(options.weights, req.weights);
  const useLocal = req.backend !== 'remote';
  const useRemote = req.backend !== 'local';
  if (useRemote && !ports.remote) {
    throw vlrError('VLR_BAD_REQUEST', `[backend] "${req.backend}" needs remote workers (rerank.remote.urls); none are configured`, { details: { field: 'backend' } });
  }
  const q = req.query;
  const qHasText = q.text !== undefined;
  const qHasVisual = q.image !== undefined || q.video !== undefined;
  const anyDocText = req.documents.some((d) => d.text !== undefined);
  // the server's OCR (rerank.ocr) runs only where its signal counts: a pipeline or call weighing
  // `ocr_text` 0 does not pay ~1–10 s an image for it (held-out probe round 22a); `ocr: true` asked
  const ocr = Boolean((req.ocr ?? (options.ocr && (weights.ocr_text ?? 0) > 0)) && ports.media.ocrAvailable && qHasText);
  const queryOcr = Boolean(useLocal && q.image !== undefined && anyDocText && (weights.image_ocr_text ?? 0) > 0 && ports.media.ocrAvailable);
  const { fps, maxFrames } = videoSamplingOf(req, options);
  const clip = ports.clip;
  if (clip && !clip.forRanking) {
    throw vlrError('VLR_MODEL_NOT_ALLOWED', `model ${clip.id} has random weights (a test fixture) and is refused for ranking`);
  }
  const recordChunking = ports.text.countTokens && useLocal ? resolveChunking(call.chunking ?? options.chunking, ports.text.maxTokens) : undefined;
  const chunking = qHasText ? recordChunking : undefined;
  return { req, useLocal, useRemote, qHasText, qHasVisual, anyDocText, ocr, queryOcr, fps, maxFrames, clip, weights, ...(chunking ? { chunking } : {}), ...(recordChunking ? { recordChunking } : {}), framePooling: call.framePooling ?? options.framePooling, scoreFusion: call.scoreFusion ?? options.scoreFusion };
}

/**
 * The concept bank is needed when text meets an image or a video (either way round), unless every
 * document image and video comes with a usable feature record (which holds its bridge vector).
 */
export function needsConceptBank(p: RequestPlan, stored: ReadonlyArray<{ image?: unknown; video?: unknown } | undefined> = []): boolean {
  const computed = p.req.documents.some((d, i) => (d.image && !stored[i]?.image) || (d.video && !stored[i]?.video));
  return p.useLocal && ((p.qHasText && computed) || (p.qHasVisual && p.anyDocText));
}

/** The request with its texts as the text model reads them (read-text.ts: emoji by name; a document's runs of a repeated word or phrase once); the same request when no text changes. */
function readTexts(req: NormalizedInput): NormalizedInput {
  const q = req.query.text === undefined ? undefined : queryText(req.query.text);
  let changed = q !== req.query.text;
  const documents = req.documents.map((d) => {
    const text = d.text === undefined ? undefined : documentText(d.text);
    if (text === d.text) return d;
    changed = true;
    return { ...d, text };
  });
  return changed ? { ...req, query: { ...req.query, ...(q !== undefined ? { text: q } : {}) }, documents } : req;
}

/** The request with each document text cut to `maxTokens` tokens (process()'s `maxTokensPerDoc`); the same request when no cut applies. */
function capDocumentTexts(req: NormalizedInput, text: RerankerPorts['text'], maxTokens: number | undefined): NormalizedInput {
  const counter = counterOf(text);
  if (maxTokens === undefined || maxTokens >= text.maxTokens || !counter) return req;
  const documents = req.documents.map((d) => (d.text === undefined ? d : { ...d, text: truncateToTokens(d.text, maxTokens, counter, maxInputChars(maxTokens)) }));
  return { ...req, documents };
}
