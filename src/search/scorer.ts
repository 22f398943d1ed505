/**
 * The narrow interface the search flow scores hits through, so that search/ does not depend on the
 * reranker's internals (the adapter to `Reranker.process()` is `reranker-scorer.ts`), and the query
 * embedder used for kNN first stages (search by image, bridge vectors). Also: turning a hit's
 * `_source` into a rerank document following the pipeline's field lists.
 */
import { isAbsolute, resolve } from 'node:path';
import type { Pipeline } from '../pipelines/index.js';
import type { RerankQuery } from './detect.js';
import { valuesAt } from './source.js';

export interface ScoreDocument {
  text?: string;
  image?: string;
  video?: string;
  fps?: number;
  max_frames?: number;
}

export interface ScoreRequest {
  query: RerankQuery;
  documents: ScoreDocument[];
  instruction?: string;
  explain: boolean;
  weights?: Record<string, number>;
  backend?: 'local' | 'remote';
  fps?: number;
  max_frames?: number;
  /** Aborted when the rerank budget runs out or the client goes away. */
  signal: AbortSignal;
}

export interface ScoredDocument {
  /** Calibrated relevance in [0, 1]. */
  score: number;
  /** The scorer's explanation (signals, raw/calibrated values), when `explain`. */
  explanation?: unknown;
  /** This document's image or video could not be read; it was scored on what was left. */
  error?: { code: string; reason: string };
}

export interface Scorer {
  /** Scores in input order. */
  score(req: ScoreRequest): Promise<ScoredDocument[]>;
  /**
   * Resolves once the scorer's models are warm (at once when no warm-up is under way); true when
   * it had to wait. The search calls it before starting the budget clock. `signal` ends the wait.
   */
  ready?(signal?: AbortSignal): Promise<boolean>;
}

/** Query/document vectors for kNN first stages and for ingest. */
export interface Embedder {
  /** Visual embedding of an image, or the mean of a video's sampled frames (L2-normalised). */
  visual(source: string, kind: 'image' | 'video', signal?: AbortSignal): Promise<Float32Array>;
  /** Text-space (bridge) vector of an image/video, comparable with `queryText` vectors. */
  bridge(source: string, kind: 'image' | 'video', signal?: AbortSignal): Promise<Float32Array>;
  /** Both vectors of one image/video from one feature pass (ingest). */
  mediaVectors(source: string, kind: 'image' | 'video', want: { visual: boolean; bridge: boolean }, signal?: AbortSignal): Promise<{ visual?: Float32Array; bridge?: Float32Array }>;
  /** Text embedding of a query (with the text model's query prefix). */
  queryText(text: string, signal?: AbortSignal): Promise<Float32Array>;
}

const MEDIA_EXT = /\.(jpe?g|png|gif|webp|bmp|tiff?|avif|mp4|m4v|mkv|webm|mov|avi|mpe?g)$/i;

/** A relative media path resolved against the pipeline's `media_base` (a folder or an http(s) URL). */
export function resolveMedia(value: string, base: string | undefined): string {
  if (!base || /^(https?:|data:|file:)/i.test(value) || isAbsolute(value) || !MEDIA_EXT.test(value)) return value;
  if (/^https?:\/\//i.test(base)) return new URL(value, base.endsWith('/') ? base : `${base}/`).toString();
  return resolve(base, value);
}

function firstString(source: unknown, paths: string[]): string | undefined {
  for (const p of paths) {
    for (const v of valuesAt(source, p)) {
      if (typeof v === 'string' && v.trim()) return v;
      if (v && typeof v === 'object') {
        // `{url: …}` / `{src: …}` / `{data: …}` media objects
        const o = v as Record<string, unknown>;
        const s = o.url ?? o.src ?? o.data ?? o.path;
        if (typeof s === 'string' && s.trim()) return s;
      }
    }
  }
  return undefined;
}

/** The rerank document of one hit; `undefined` when the hit has none of the pipeline's fields. */
export function documentFromSource(source: unknown, pipeline: Pipeline): ScoreDocument | undefined {
  const f = pipeline.fields;
  const texts: string[] = [];
  for (const p of f.text) {
    for (const v of valuesAt(source, p)) {
      if (typeof v === 'string' && v.trim()) texts.push(v);
      else if (typeof v === 'number' || typeof v === 'boolean') texts.push(String(v));
    }
  }
  const doc: ScoreDocument = {};
  if (texts.length) doc.text = texts.join(f.text_separator);
  const image = firstString(source, f.image);
  if (image) doc.image = resolveMedia(image, f.media_base);
  const video = firstString(source, f.video);
  if (video) {
    doc.video = resolveMedia(video, f.media_base);
    if (pipeline.scorer.fps) doc.fps = pipeline.scorer.fps;
    if (pipeline.scorer.max_frames) doc.max_frames = pipeline.scorer.max_frames;
  }
  return doc.text === undefined && doc.image === undefined && doc.video === undefined ? undefined : doc;
}
