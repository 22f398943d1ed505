/**
 * What the feature cache holds: one entry per part of a result (an image's classification, its
 * detections, its OCR lines; a video's sampled-frame features; a text vector), each with its
 * approximate size in bytes and its key. A key names everything that changes the value: the
 * content hash, every contributing model with its revision, and every parameter (preprocessing,
 * thresholds, fps, max_frames …), so asking for detections later does not recompute an embedding,
 * and another model or setting never reads a stale entry. Never computes anything.
 */
import type { ClassScore, Detection, ImageClassifier, ObjectDetector } from '../models/index.js';
import type { OcrEngine, OcrLine, OcrOptions } from '../models/encoders/ocr.js';
import { featureKey, featureKeyOf, stableStringify, type MediaIdentity } from './cache/feature-cache.js';
import type { FeatureRequest, VideoResult, VisualFeatures } from './records.js';
import { IMAGE_DECODE } from './media/image.js';
import { MAX_CHARS } from './ocr-bands.js';
import { LINE_READING } from '../models/encoders/ocr-words.js';

export interface Classification {
  embedding: Float32Array;
  logits: Float32Array;
  probs: Float32Array;
  topConcepts: ClassScore[];
}

export type VideoValue = Omit<VideoResult, 'cacheHit' | 'source' | 'contentHash'>;

export type Part =
  | { kind: 'classify'; value: Classification }
  | { kind: 'detect'; value: Detection[] }
  | { kind: 'ocr'; value: OcrLine[] }
  | { kind: 'video'; value: VideoValue }
  | { kind: 'text'; value: Float32Array };

export function sizeOfPart(p: Part): number {
  switch (p.kind) {
    case 'classify':
      return p.value.embedding.byteLength + p.value.logits.byteLength + p.value.probs.byteLength + 64 * p.value.topConcepts.length;
    case 'detect':
      return 96 * p.value.length + 16;
    case 'ocr':
      return p.value.reduce((a, l) => a + 2 * l.text.length + 128, 16);
    case 'video':
      return p.value.embedding.byteLength + 8 * p.value.times.length + p.value.frames.reduce((a, f) => a + visualBytes(f), 0);
    case 'text':
      return p.value.byteLength;
  }
}

function visualBytes(f: VisualFeatures): number {
  return f.embedding.byteLength + f.logits.byteLength + f.probs.byteLength + 64 * f.topConcepts.length + 96 * f.detections.length + (f.ocrLines ?? []).reduce((a, l) => a + 2 * l.text.length + 128, 0);
}

/** `model@revision`, and `:precision` for a variant other than the model's default (models/manifest.ts `variantTag`): a model's part of a key. */
export const rev = (m: { id: string; manifest: { revision: string }; variant?: string }) => `${m.id}@${m.manifest.revision}${m.variant ?? ''}`;

export interface PartKeySettings {
  /** How many top concepts are kept. */
  topK: number;
  detectScoreThreshold?: number;
  ocrOptions?: OcrOptions;
  /** Shorter side sampled video frames are scaled to. */
  videoShortestSide: number;
}

/** The keys of one extractor's parts (its models and settings are fixed for its life). */
export class PartKeys {
  readonly #classifier: ImageClassifier;
  readonly #detector: ObjectDetector;
  readonly #ocr: OcrEngine | undefined;
  readonly #s: PartKeySettings;

  constructor(models: { classifier: ImageClassifier; detector: ObjectDetector; ocr?: OcrEngine }, settings: PartKeySettings) {
    this.#classifier = models.classifier;
    this.#detector = models.detector;
    this.#ocr = models.ocr;
    this.#s = settings;
  }

  // each built on first use (models and settings are fixed for the extractor's life): a key is then the hash and a concatenation
  #classifyKey: ((m: MediaIdentity) => string) | undefined;
  #detectKey: ((m: MediaIdentity) => string) | undefined;
  #ocrKey: ((m: MediaIdentity) => string) | undefined;

  classify(contentHash: string): string {
    this.#classifyKey ??= featureKeyOf({ kind: 'classify', models: [rev(this.#classifier)], params: { dec: IMAGE_DECODE, pre: this.#classifier.preprocess, topK: this.#s.topK } });
    return this.#classifyKey({ contentHash });
  }

  detect(contentHash: string): string {
    this.#detectKey ??= featureKeyOf({ kind: 'detect', models: [rev(this.#detector)], params: { dec: IMAGE_DECODE, pre: this.#detector.preprocess, thr: this.#s.detectScoreThreshold } });
    return this.#detectKey({ contentHash });
  }

  ocr(contentHash: string): string {
    // `tall`: a tall page is read in bands since round 22a (ocr-bands.ts); a kept result read it whole;
    // `lines`: spaces put back and upside-down calls checked since ocr25 (ocr-words.ts)
    this.#ocrKey ??= featureKeyOf({ kind: 'ocr', models: [rev(this.#ocr!)], params: { dec: IMAGE_DECODE, ...this.#s.ocrOptions, tall: `bands:${MAX_CHARS}`, lines: LINE_READING } });
    return this.#ocrKey({ contentHash });
  }

  /** Every part an image request needs. */
  image(contentHash: string, request: FeatureRequest): string[] {
    return [this.classify(contentHash), ...((request.detect ?? true) ? [this.detect(contentHash)] : []), ...(request.ocr && this.#ocr ? [this.ocr(contentHash)] : [])];
  }

  video(contentHash: string, p: { fps: number; maxFrames: number; detect: boolean; ocr: boolean }): string {
    const models = [rev(this.#classifier), ...(p.detect ? [rev(this.#detector)] : []), ...(p.ocr && this.#ocr ? [rev(this.#ocr)] : [])];
    return featureKey({
      media: { contentHash },
      kind: 'video',
      models,
      params: { ...p, side: this.#s.videoShortestSide, pre: this.#classifier.preprocess, det: p.detect ? stableStringify(this.#detector.preprocess) + String(this.#s.detectScoreThreshold) : undefined, topK: this.#s.topK },
    });
  }
}
