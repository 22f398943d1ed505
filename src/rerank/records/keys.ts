/**
 * The keys a feature record's parts must carry to be used by this reranker: each a hash
 * (features/record/format.ts `partKey`) of everything that produced the part — the text model
 * (id@revision) and, for a text part with chunks, the chunking's max_tokens and overlap; for images and frames also the image models with their revisions and
 * preprocessing (the media port's `featureSignature`), the concept bank (classifier labels ×
 * text model), the ConSE and visual-passage settings; for videos also fps and max_frames.
 * A record written under any other configuration gets other keys, so it is recomputed, never used.
 * Pure: reads the ports' identities and the reranker's settings; runs no model.
 */
import { partKey } from '../../features/record/index.js';
import { chunkingKey, type ResolvedChunking } from '../chunking.js';
import type { RerankerOptions } from '../options.js';
import type { MediaPort, TextEncoderPort } from '../ports.js';
import { conceptBankKey } from '../signals/concept-bank.js';
import { DEFAULT_BRIDGE } from '../signals/conse-bridge.js';
import { DEFAULT_VISUAL_PASSAGE } from '../signals/visual-passage.js';

export interface RecordKeys {
  /** The text part's key without chunking. */
  text: string;
  /** The text part's key when made with this chunking (its chunks depend on max_tokens and overlap). */
  textFor(chunking: ResolvedChunking | undefined): string;
  /** Undefined when the media port cannot say what produces its features. */
  image?: string;
  video?: (fps: number, maxFrames: number) => string;
  /**
   * The text model's dimension, when its port says it: a record's text-space vectors (passage,
   * query side, OCR, visual passage, bridge) of another length are refused, never scored (~0).
   * Not part of any key (a model's revision already fixes it).
   */
  textDim?: number;
  /** How the media port's OCR reads lines (ports.ts `ocrReading`): a record's OCR part must say the same. */
  ocrReading?: string;
}

export function recordKeys(text: Pick<TextEncoderPort, 'id' | 'dim'>, media: Pick<MediaPort, 'classifierId' | 'classNames' | 'featureSignature' | 'ocrReading'>, options: Pick<RerankerOptions, 'bridge' | 'visualPassage'>): RecordKeys {
  const chunked = new Map<string, string>();
  const textKey = partKey('text', { text: text.id });
  const textFor = (c: ResolvedChunking | undefined) => {
    if (!c) return textKey;
    const ck = chunkingKey(c);
    const m = `${ck.max_tokens}|${ck.overlap}|${ck.max_chunks ?? ''}`;
    let v = chunked.get(m);
    if (!v) chunked.set(m, (v = partKey('text', { text: text.id, chunking: ck })));
    return v;
  };
  const keys: RecordKeys = { text: textKey, textFor, ...(text.dim ? { textDim: text.dim } : {}), ...(media.ocrReading ? { ocrReading: media.ocrReading } : {}) };
  if (!media.featureSignature) return keys;
  const visual = {
    text: text.id,
    media: media.featureSignature,
    conceptBank: conceptBankKey(media.classNames, `${media.classifierId}+${text.id}`),
    bridge: { ...DEFAULT_BRIDGE, ...(options.bridge ?? {}) },
    visualPassage: { ...DEFAULT_VISUAL_PASSAGE, ...(options.visualPassage ?? {}) },
  };
  keys.image = partKey('image', visual);
  const memo = new Map<string, string>();
  keys.video = (fps, maxFrames) => {
    const k = `${fps}|${maxFrames}`;
    let v = memo.get(k);
    if (!v) memo.set(k, (v = partKey('video', { ...visual, fps, maxFrames })));
    return v;
  };
  return keys;
}

/** What a pipeline's records hold: which parts, and how they were sampled and made. */
export interface RecordShape {
  image: boolean;
  video: boolean;
  fps: number;
  maxFrames: number;
  ocr: boolean;
  queryVectors: boolean;
  /** The chunking the text parts are made with (their key depends on it); none: unchunked. */
  chunking?: ResolvedChunking;
  /**
   * The source fields a pipeline reads the document from, in order. A record made from other
   * fields describes another text (or image): searches refuse its parts by their content hash,
   * and without the fields in the signature backfill took it for current and never rewrote it
   * (held-out probe round 6).
   */
  sources?: { text: readonly string[]; image: readonly string[]; video: readonly string[] };
  /**
   * The field ingest writes the image's OCR text to (a pipeline's `ingest.ocr_text`, feat23o): a
   * record written without it beside is not current, so backfill fills it. In the signature only
   * when set and OCR runs: every other signature stays as it was.
   */
  ocrText?: string;
}

/**
 * The signature of every record a pipeline writes under this configuration: one short hash of the
 * part keys it would carry and how it was made (sampling, OCR, query-side vectors). Kept in an
 * indexed keyword next to the record (engine/mapping.ts), it lets a plain `term` query find the
 * documents whose record is missing or was written under anything else (backfill, resume).
 */
export function recordSignature(keys: RecordKeys, s: RecordShape): string {
  return partKey('text', {
    signature: 1,
    text: keys.textFor(s.chunking),
    image: s.image ? (keys.image ?? null) : null,
    video: s.video ? (keys.video?.(s.fps, s.maxFrames) ?? null) : null,
    ocr: s.image && s.ocr,
    queryVectors: s.queryVectors,
    ...(s.sources ? { sources: s.sources } : {}),
    ...(s.image && s.ocr && s.ocrText !== undefined ? { ocrText: s.ocrText } : {}),
    // how OCR read the lines (ocr25): a record read before is not current, so backfill rewrites it; only where OCR runs
    ...(s.image && s.ocr && keys.ocrReading !== undefined ? { ocrReading: keys.ocrReading } : {}),
  });
}
