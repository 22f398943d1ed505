/**
 * What the reranker needs from the layers below it, as narrow ports. The reranker is written
 * against these only; backends/local.ts builds them from the shared `Models` facade and the
 * `FeatureExtractor` (batching queues and the feature cache), backends/remote.ts is the remote
 * scorer. Keeping the seam here lets the signals be tested with the real models and lets the
 * server share one set of sessions and one cache between the search interception and the rerank API.
 * Types only: never imports an implementation.
 */
import type { VlrerankError } from '../errors.js';
import type { VideoToDecode, VisualFeatures } from '../features/records.js';
import type { TextVectorsResult } from '../features/text-vectors.js';
import type { TextKind } from '../models/index.js';

export interface TextEncoderPort {
  /** Stable identity (model id + precision), part of cache keys. */
  readonly id: string;
  /** Largest input in tokens; longer texts are cut by the encoder (reported as truncated). */
  readonly maxTokens: number;
  /** The vectors' dimension, when the model's manifest says it (feature records of another length are refused). */
  readonly dim?: number;
  /** Unit vectors, one per text, in order. `query` adds the model's query prefix. One call = batched forwards. */
  embed(texts: string[], kind: TextKind): Promise<Float32Array[]>;
  /**
   * One promise per text, each with its own AbortSignal: a text whose signal aborts before its
   * model run leaves the queue and rejects alone. Optional (the text cache falls back to `embed`).
   */
  embedEach?(texts: string[], kind: TextKind, signals: ReadonlyArray<AbortSignal | undefined>): Promise<Float32Array>[];
  /** As `embedEach`, with the tokens the model reads for these texts (usage); optional (0 tokens without it). */
  embedCounted?(texts: string[], kind: TextKind, signals: ReadonlyArray<AbortSignal | undefined>): { vectors: Promise<Float32Array>[]; tokens: Promise<number> };
  /** Token count including special tokens (for truncation reports); optional. */
  countTokens?(text: string): number;
}

/** Text vectors, cache first (features/text-vectors.ts is the implementation). */
export interface TextVectorsPort {
  vectors(texts: string[], kind: TextKind, signal?: AbortSignal): Promise<TextVectorsResult>;
}

export interface MediaRequestOptions {
  detect: boolean;
  ocr: boolean;
  signal?: AbortSignal;
}

/** Where a feature came from: a feature-store tier (`l1`, `disk`, `redis`) or a model run (`computed`). */
export type TierSource = 'l1' | 'disk' | 'redis' | 'computed';

export interface ImageFeaturesResult {
  features: VisualFeatures;
  cacheHit: boolean;
  /** The tier that answered (absent: `l1` on a cache hit, else `computed`). */
  source?: TierSource;
  /** The image's content hash, when the port knows it (a kept document side is checked against it). */
  contentHash?: string;
}

export interface VideoFeaturesResult {
  frames: VisualFeatures[];
  /** Time of each frame in seconds. */
  times: number[];
  cacheHit: boolean;
  source?: TierSource;
}

export interface MediaPort {
  /** Identity of the image classifier (model id), part of the concept-bank key. */
  readonly classifierId: string;
  /** ImageNet class names in logit order. */
  readonly classNames: string[];
  /** Whether OCR can run at all on this install. */
  readonly ocrAvailable: boolean;
  /** Why OCR cannot run (its model's files missing or unreadable), when it cannot. */
  readonly ocrUnavailable?: string;
  /**
   * What produces the image and frame features (model ids with revisions, preprocessing,
   * thresholds): part of the feature-record keys. Without it, records of images and videos are
   * never used (their producer cannot be checked).
   */
  readonly featureSignature?: Readonly<Record<string, unknown>>;
  /**
   * How OCR reads a line (words spaced, upside-down lines read both ways: ocr-words.ts), when OCR can
   * run: a record's OCR text read another way is recomputed, not scored — the image part's key does
   * not change with it, so records of pipelines without OCR stay current.
   */
  readonly ocrReading?: string;
  /** Load the OCR models now (warm-up), when OCR can run. */
  loadOcr?(): Promise<void>;
  image(ref: string, options: MediaRequestOptions): Promise<ImageFeaturesResult>;
  /**
   * Optional: the features `image()` would give, when they can be had without waiting (a local
   * file seen before, unchanged, every part cached); undefined means "ask `image()`".
   */
  seenImage?(ref: string, options: MediaRequestOptions): ImageFeaturesResult | undefined;
  /**
   * Optional: the content hash of a local file this process has read, if it is unchanged since
   * (size and mtime, one stat()); undefined otherwise. Without it no document side is kept.
   */
  seenContentHash?(ref: string): string | undefined;
  /**
   * Optional: the content hash of a local file as it is now (one stat() when this process knows it
   * unchanged, else a read and a sha256); undefined for other references or an unreadable file. A
   * feature record's image part made from other bytes under the same path is refused by it.
   */
  fileContentHash?(ref: string, signal?: AbortSignal): Promise<string | undefined>;
  /** Optional: a photo's size from its header and the side the image model reads (a too-small query photo is warned of); undefined when unreadable. */
  imageSize?(ref: string, signal?: AbortSignal): Promise<{ width: number; height: number; modelSide: number } | undefined>;
  /** `onFrames`: told how many frames will be sampled once the header is read (admission corrects the request's cost). */
  video(ref: string, options: MediaRequestOptions & { fps: number; maxFrames: number; onFrames?: (frames: number) => void }): Promise<VideoFeaturesResult>;
  /**
   * Optional: how many frames `video()` would sample, when it can be told cheaply before the
   * request is admitted (a local file's header); undefined: unknown (admission costs maxFrames).
   */
  videoFrames?(ref: string, options: { fps: number; maxFrames: number; signal?: AbortSignal }): Promise<number | undefined>;
  /**
   * Optional: the least wall time (ms) decoding these videos (frames from videoFrames) would take
   * now, those whose features are cached left out; undefined: not known yet.
   */
  videoDecodeFloorMs?(videos: ReadonlyArray<VideoToDecode>): Promise<number | undefined>;
}

/** A CLIP-family dual encoder; only set when a real (trained) one is installed. */
export interface DualEncoderPort {
  readonly id: string;
  /** exp(logit_scale): raw signal = scale · cosine. */
  readonly logitScale: number;
  /** False for random-weight fixtures: the reranker refuses to rank with them. */
  readonly forRanking: boolean;
  embedTexts(texts: string[]): Promise<Float32Array[]>;
  embedImages(refs: string[], signal?: AbortSignal): Promise<Float32Array[]>;
}

/** A remote `/v1/rerank` scorer (see backends/remote.ts). */
export interface RemoteScorerPort {
  readonly id: string;
  /** One relevance score per document, input order; raw values as the server gives them; `tokens` its `usage.total_tokens`. */
  score(request: RemoteScoreRequest): Promise<{ scores: number[]; model?: string; worker: string; instructionUsed?: boolean; tokens?: number; documentErrors?: Array<{ index: number; error: VlrerankError }> }>;
}

export interface RemoteScoreRequest {
  query: { text?: string; image?: string; video?: string };
  documents: Array<{ text?: string; image?: string; video?: string }>;
  instruction?: string;
  signal?: AbortSignal;
  /** What is left of the caller's time budget (ms); the calls and the failover stay within it. */
  budgetMs?: number;
}

/** Everything a Reranker runs on. */
export interface RerankerPorts {
  text: TextEncoderPort;
  media: MediaPort;
  /**
   * Cached vectors of `text`'s model (the local backend keeps them in the feature cache). Without
   * it the reranker keeps its own cache over `text`.
   */
  textVectors?: TextVectorsPort;
  clip?: DualEncoderPort;
  remote?: RemoteScorerPort;
  /**
   * Stand-in ports while some models cannot be set up (files not pulled yet): true once it is time
   * to try that setup again — the reranker then builds its ports anew on the next use.
   */
  retry?: () => boolean;
  close?: () => Promise<void> | void;
}
