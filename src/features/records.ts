/**
 * The feature records the features room hands out, and the requests for them: what one image or
 * video frame gives the signals (`VisualFeatures`, the one definition the reranker's ports use too)
 * and what a request for an image or a video returns. These are the records a feature store will
 * keep; they must never hold decoded pixels or media bytes.
 */
import type { ClassScore, Detection } from '../models/index.js';
import type { OcrLine } from '../models/encoders/ocr.js';
import type { PartSource } from './store/tier.js';

/** Everything the signals need from one image or video frame. */
export interface VisualFeatures {
  /** Image embedding (EfficientNet, unit length). */
  embedding: Float32Array;
  /** Class logits (softmax not applied). */
  logits: Float32Array;
  /** softmax(logits). */
  probs: Float32Array;
  /** The most probable classes. */
  topConcepts: ClassScore[];
  /** Detected objects (empty unless asked for). */
  detections: Detection[];
  /** OCR text lines (only when asked for). */
  ocr?: string[];
  ocrLines?: OcrLine[];
}

export interface FeatureRequest {
  /** Run the object detector (default true). */
  detect?: boolean;
  /** Run OCR (default false: ~0.2–1 s per image). */
  ocr?: boolean;
  signal?: AbortSignal;
}

export interface ImageResult {
  features: VisualFeatures;
  /** Every requested part came from the cache (or a computation already under way). */
  cacheHit: boolean;
  /** The costliest tier a requested part came from (`computed`: a model ran for it). */
  source: PartSource;
  contentHash: string;
}

/** A local video a rerank call asks for, with its frame count from its header: what a decode-time estimate needs (decodeFloorMs). */
export interface VideoToDecode {
  ref: string;
  fps: number;
  maxFrames: number;
  frames: number;
}

export interface VideoRequest extends FeatureRequest {
  fps?: number;
  maxFrames?: number;
  /** Told the number of frames to be sampled once the video's header is read (when this call computes it). */
  onFrames?: (frames: number) => void;
}

export interface VideoResult {
  frames: VisualFeatures[];
  /** Time of each frame in seconds. */
  times: number[];
  /** Mean of the frame embeddings, unit length (per-frame vectors stay in `frames` for max-sim). */
  embedding: Float32Array;
  cacheHit: boolean;
  /** The tier the video's entry came from (`computed`: the models ran). */
  source: PartSource;
  contentHash: string;
  duration?: number;
}
