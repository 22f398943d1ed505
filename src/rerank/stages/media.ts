/**
 * Stage 2, media features: the query's image or video first, then every document's media
 * concurrently (bounded by `concurrency`), so the model batching queues and the feature cache see
 * them together. A document whose media cannot be read keeps its error and is scored on what is
 * left, unless the request is `strict` (or aborted): then the error fails the request, naming the
 * field. Runs only for the local backend.
 */
import { isVlrerankError, toVlrerankError, vlrError, type VlrerankError } from '../../errors.js';
import type { VisualFeatures } from '../../features/records.js';
import { Semaphore } from '../../util/semaphore.js';
import type { PreparedSide } from '../pair-score.js';
import type { ImageFeaturesResult, MediaPort } from '../ports.js';
import type { RequestPlan } from './request.js';
import type { StoredDocument } from '../records/use.js';
import type { FramesCallback } from '../admission-cost.js';

export interface QueryMedia {
  /** The query side so far: its visual embeddings (one per image / frame), video frame times. */
  side: PreparedSide;
  /** The query image's features, or its video frames'. */
  frames?: VisualFeatures[];
  cacheHits: number;
  /** Said of the query photo to the caller (`smallPhotoWarning`). */
  warning?: string;
}

/** A query photo under this many pixels on its short side is accepted with a warning (held-out probe round 27b). */
export const MIN_QUERY_SIDE = 64;

/**
 * The warning a query photo far below the image models' input gets: a shop page's 32×32 preview
 * sent instead of the upload ranked near chance (top-1 0.024 reranked, 0.415 for the photo itself)
 * and was accepted without a word (held-out probe round 27b). Undefined for a photo of 64 px or more.
 */
export function smallPhotoWarning(size: { width: number; height: number; modelSide: number } | undefined): string | undefined {
  if (!size || Math.min(size.width, size.height) >= MIN_QUERY_SIDE) return undefined;
  return `query.image is ${size.width}×${size.height} px, under ${MIN_QUERY_SIDE} px on its short side, where the image models read ${size.modelSide}×${size.modelSide}: a thumbnail this small ranks near chance — send the photo itself`;
}

export interface DocumentMedia {
  image?: VisualFeatures;
  video?: { frames: VisualFeatures[]; times: number[] };
  error?: VlrerankError;
  hits: number;
  misses: number;
  /** Time spent on this document's media. */
  ms: number;
  /** Where the image's / video's features came from (`l1`, `disk`, `redis`: a feature-store tier; `computed`). */
  sources?: { image?: FeatureSource; video?: FeatureSource };
  /** The image's content hash (a kept side is checked against it, prepared.ts). */
  contentHash?: string;
  /** A photo scored from its kept side (prepared.ts): counted as an image, its features not at hand. */
  keptImage?: boolean;
}

/** Where one feature of a document came from: a stored record (its origin, e.g. `index`), a cache tier, or a model run. */
export type FeatureSource = string;

const now = () => performance.now();

export async function queryMedia(p: RequestPlan, media: MediaPort, signal: AbortSignal | undefined, onFrames?: FramesCallback): Promise<QueryMedia> {
  const q = p.req.query;
  const side: PreparedSide = {};
  if (!p.useLocal || !p.qHasVisual) return { side, cacheHits: 0 };
  // detections feed the visual passage, which only text documents are compared with
  const detect = p.anyDocText;
  let frames: VisualFeatures[];
  let cacheHits = 0;
  let warning: string | undefined;
  try {
    if (q.image !== undefined) {
      const r = await media.image(q.image, { detect, ocr: p.queryOcr, signal });
      frames = [r.features];
      cacheHits += r.cacheHit ? 1 : 0;
      warning = smallPhotoWarning(await media.imageSize?.(q.image, signal));
    } else {
      const r = await media.video(q.video!, { detect, ocr: false, fps: p.fps, maxFrames: p.maxFrames, signal, onFrames: (n) => onFrames?.(q, n) });
      onFrames?.(q, r.frames.length);
      frames = r.frames;
      side.isVideo = true;
      side.frameTimes = r.times;
      cacheHits += r.cacheHit ? 1 : 0;
    }
  } catch (e) {
    // cut off by the request's budget (budget.ts): its reason, whatever the media layer made of the abort
    throw prefixError(signal?.aborted ? signal.reason : e, 'query');
  }
  side.visualEmb = frames.map((f) => f.embedding);
  return { side, frames, cacheHits, ...(warning ? { warning } : {}) };
}

/**
 * Every document's media features, input order ([] when the local backend does not run). A part
 * `stored` holds (a usable feature record) is neither read nor computed. `cutoff` (the request
 * budget's media cut-off, budget.ts; a child of `signal`) ends the reads still under way: their
 * documents keep its reason as their error and are scored on what is left, as a failed read is.
 */
export async function documentMedia(
  p: RequestPlan,
  media: MediaPort,
  concurrency: number,
  request: AbortSignal | undefined,
  stored: ReadonlyArray<StoredDocument | undefined> = [],
  cutoff?: AbortSignal,
  onFrames?: FramesCallback,
): Promise<DocumentMedia[]> {
  const docs: DocumentMedia[] = [];
  if (!p.useLocal) return docs;
  const signal = cutoff ?? request;
  const detect = p.qHasText;
  const limit = new Semaphore(concurrency);
  // first, at once, every photo the media port has at hand (seen before, unchanged, all cached):
  // a warm request then awaits nothing here
  const later: Array<{ i: number; wantImage: boolean; wantVideo: boolean }> = [];
  p.req.documents.forEach((d, i) => {
    const entry: DocumentMedia = { hits: 0, misses: 0, ms: 0 };
    docs[i] = entry;
    const wantImage = d.image !== undefined && !stored[i]?.image;
    const wantVideo = d.video !== undefined && !stored[i]?.video;
    if (!wantImage && !wantVideo) return;
    const t = now();
    const r = wantImage && !wantVideo ? media.seenImage?.(d.image!, { detect, ocr: p.ocr, signal }) : undefined;
    if (!r) return void later.push({ i, wantImage, wantVideo });
    tookImage(entry, r);
    entry.ms = now() - t;
  });
  // A reference several documents name is read and computed once, under one slot; the others wait
  // for it holding none (held-out probe round 8b: one photo URL named by 100 documents was fetched
  // 100 times — 26 s behind a server answering in 2 s; a clip's bytes the same, up to
  // media.maxVideoBytes each).
  const once = new Map<string, Promise<{ value: unknown; ms: number }>>();
  const read = <T>(key: string, f: () => Promise<T>): Promise<{ value: T; ms: number }> => {
    let q = once.get(key);
    if (!q) {
      q = (async () => {
        const rel = await limit.acquire(signal);
        const t = now();
        try {
          return { value: await f(), ms: now() - t };
        } finally {
          rel();
        }
      })();
      q.catch(() => undefined);
      once.set(key, q);
    }
    return q as Promise<{ value: T; ms: number }>;
  };
  await Promise.all(
    later.map(async ({ i, wantImage, wantVideo }) => {
      const d = p.req.documents[i]!;
      const entry = docs[i]!;
      entry.sources = {};
      try {
        if (wantImage) {
          const r = await read(`image\0${d.image}`, () => media.image(d.image!, { detect, ocr: p.ocr, signal }));
          tookImage(entry, r.value);
          entry.ms += r.ms;
        }
        if (wantVideo) {
          const fps = d.fps ?? p.fps;
          const maxFrames = d.max_frames ?? p.maxFrames;
          // its frame count corrects the request's admission cost (admission-cost.ts): at the header, and on return
          const { value: r, ms } = await read(`video\0${d.video}\0${fps}\0${maxFrames}`, () => media.video(d.video!, { detect, ocr: false, fps, maxFrames, signal, onFrames: (n) => onFrames?.(d, n) }));
          onFrames?.(d, r.frames.length);
          entry.video = { frames: r.frames, times: r.times };
          entry[r.cacheHit ? 'hits' : 'misses']++;
          entry.sources.video = r.source ?? (r.cacheHit ? 'l1' : 'computed');
          entry.ms += ms;
        }
      } catch (e) {
        const why = cutoff?.aborted ? cutoff.reason : e;
        entry.error = toVlrerankError(why);
        if (p.req.strict || request?.aborted) throw prefixError(why, `documents[${i}]`);
      }
    }),
  );
  return docs;
}

/**
 * The request's error when its budget's media cut-off (`cutoff`) left it nothing to score: every
 * document lost its media to the cut-off or another failure, and none has a text or a stored record
 * to be scored on — at least one of them cut off. Answered 200 with every score 0 before (held-out
 * probe round 22d: 20 half-hour videos, 34.8 s); now a 504 naming what to change. Undefined when
 * any document can be scored (the others are named in `errors`, as any document whose media failed).
 */
export function nothingScored(p: RequestPlan, docs: DocumentMedia[], stored: ReadonlyArray<StoredDocument | undefined>, cutoff: AbortSignal | undefined, budgetMs: number | undefined): VlrerankError | undefined {
  if (!cutoff?.aborted || p.req.documents.length === 0) return undefined;
  const lost = (i: number) => {
    const d = p.req.documents[i]!;
    const m = docs[i];
    return d.text === undefined && m?.error !== undefined && !m.image && !m.video && !stored[i]?.image && !stored[i]?.video;
  };
  if (!p.req.documents.every((_, i) => lost(i))) return undefined;
  const cut = docs.filter((m) => m.error?.code === 'VLR_MEDIA_TIMEOUT').length;
  if (cut === 0) return undefined;
  const videos = p.req.documents.filter((d) => d.video !== undefined).length;
  return vlrError(
    'VLR_TIMEOUT',
    `no document could be scored within the request's budget${budgetMs !== undefined ? ` of ${budgetMs} ms` : ''}: the media of ${cut} of ${p.req.documents.length} documents${videos ? ` (${videos} videos, at most ${p.maxFrames} frames each)` : ''} had not been read when it ran out, and none has a text to be scored on — raise the budget (x-vlrerank-budget-ms, rerank.apiBudgetMs), sample fewer frames (max_frames), send fewer media per call, or rerank them from an index whose documents carry feature records`,
    { details: { documents_cut_off: cut, ...(budgetMs !== undefined ? { budget_ms: budgetMs } : {}) } },
  );
}

/** A document's image features into its entry: the features, a hit or a miss, and where they came from. */
function tookImage(entry: DocumentMedia, r: ImageFeaturesResult): void {
  entry.image = r.features;
  entry.contentHash = r.contentHash;
  entry[r.cacheHit ? 'hits' : 'misses']++;
  (entry.sources ??= {}).image = r.source ?? (r.cacheHit ? 'l1' : 'computed');
}

/** A document's media error as the output reports it (its explanation, and `errors`). */
export function mediaError(e: VlrerankError): { type: string; reason: string; code: string } {
  return { type: e.type, reason: e.message, code: e.code };
}

/** The error with the request field it came from in front of its message (and in its details). */
function prefixError(e: unknown, where: string): VlrerankError {
  const err = toVlrerankError(e);
  if (!isVlrerankError(e)) return err;
  return vlrError(err.code, `[${where}] ${err.message}`, { cause: err.cause, details: { ...err.details, field: where }, status: err.status });
}
