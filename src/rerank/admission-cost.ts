/**
 * What one rerank request costs admission, in documents of work (admission.ts): a text 1, an image
 * or a sampled video frame IMAGE_COST, a photo whose text is read OCR_COST more.
 *
 * A video is costed at the frames it will give when that can be told before admission — a local
 * file's header, read with ffprobe (the port's `videoFrames`, remembered per file) — and at its
 * `max_frames` otherwise (a URL is not fetched before admission). Held-out probe round 8b: every
 * video was costed at max_frames × 6, so two 3–5 s clips of a request (10 frames) weighed 384
 * documents, and concurrent calls of such clips were refused VLR_OVERLOADED (documents queued).
 * The header's count is an upper bound of what is decoded (never fewer frames costed than sampled).
 * A URL's video is corrected while the request runs, once its header is read (`costCorrector`).
 */
import { resolveWeights } from './fusion.js';
import { videoSamplingOf, type RerankerOptions } from './options.js';
import type { RerankerPorts } from './ports.js';
import type { NormalizedInput } from './types.js';
import { fanOutSignal } from '../util/abort.js';
import { Semaphore } from '../util/semaphore.js';
import { vlrError, type VlrerankError } from '../errors.js';
import { reserveMs } from './budget.js';
import type { VideoToDecode } from '../features/records.js';

/** Weight of an image (and of each sampled video frame) against a text, in documents of work: the issue-13 load run served 124 short texts/s and 21 photos/s. */
export const IMAGE_COST = 6;

/** Weight of reading one photo's text (PP-OCR detection + recognition): about one more image (a new query photo took 315 ms without it, 639 ms with it). */
export const OCR_COST = IMAGE_COST;

/** Most distinct videos of one request whose frame count is asked before admission (4 headers read at once); the rest are costed at max_frames. */
export const PROBED_VIDEOS = 32;

/** Frames a video will give, by reference and sampling (`videoKey`), where known before admission. */
export type KnownFrames = ReadonlyMap<string, number>;

const videoKey = (ref: string, fps: number, maxFrames: number) => `${ref}\0${fps}\0${maxFrames}`;

type Sampling = Pick<RerankerOptions, 'fps' | 'maxFrames'>;
type Item = { text?: unknown; image?: unknown; video?: string; fps?: number; max_frames?: number };

/** Each video of the request (query first; `item` the query or document object) with the sampling it will be read at, as planRequest and the media stage decide. */
function videos(req: NormalizedInput, options: Sampling): Array<{ ref: string; fps: number; maxFrames: number; item: object }> {
  const { fps, maxFrames } = videoSamplingOf(req, options);
  const out: Array<{ ref: string; fps: number; maxFrames: number; item: object }> = [];
  if (req.query.video !== undefined) out.push({ ref: req.query.video, fps, maxFrames, item: req.query });
  for (const d of req.documents as Item[]) if (d.video !== undefined) out.push({ ref: d.video, fps: d.fps ?? fps, maxFrames: d.max_frames ?? maxFrames, item: d });
  return out;
}

/** Told a video's frame count while the request runs: `item` is the query or document object holding it. */
export type FramesCallback = (item: object, frames: number) => void;

/**
 * While the request runs: a video whose frame count was not known at admission (a URL) is
 * corrected once its header is read (`onFrames`, before its frames are decoded) or its features
 * come back — the permit shrinks by the frames it will not give, and queued requests may start.
 * Returns the callback the media stage calls with (the query or document object, frames).
 */
export function costCorrector(req: NormalizedInput, options: Sampling, known: KnownFrames | undefined, permit: { resize(cost: number): void }, cost: number): FramesCallback {
  const estimate = new Map(videos(req, options).map((v) => [v.item, known?.get(videoKey(v.ref, v.fps, v.maxFrames)) ?? v.maxFrames]));
  let current = cost;
  return (item, frames) => {
    const e = estimate.get(item);
    if (e === undefined || !(frames >= 0) || frames >= e) return;
    estimate.set(item, frames);
    current -= (e - frames) * IMAGE_COST;
    permit.resize(current);
  };
}

/**
 * The frame counts the media port can tell before admission (undefined when the request has no
 * video, or the port cannot tell any). Never fails: a port that cannot be built or a header that
 * cannot be read leaves that video at its max_frames estimate, and the media stage reports it.
 */
export async function knownVideoFrames(req: NormalizedInput, options: Sampling, ports: () => Promise<RerankerPorts>, signal?: AbortSignal): Promise<KnownFrames | undefined> {
  const asked = new Map(videos(req, options).map((v) => [videoKey(v.ref, v.fps, v.maxFrames), v]));
  if (asked.size === 0) return undefined;
  const media = await ports().then(
    (p) => p.media,
    () => undefined,
  );
  if (!media?.videoFrames) return undefined;
  const limit = new Semaphore(4);
  const known = new Map<string, number>();
  // each waiting and running probe listens: one listener on the caller's signal (Node warns past 10)
  const fan = fanOutSignal(signal);
  try {
    await Promise.all(
      [...asked].slice(0, PROBED_VIDEOS).map(async ([key, v]) => {
        const release = await limit.acquire(fan.signal).catch(() => undefined);
        if (!release) return;
        try {
          const n = await media.videoFrames!(v.ref, { fps: v.fps, maxFrames: v.maxFrames, signal: fan.signal }).catch(() => undefined);
          if (n !== undefined && n >= 1) known.set(key, Math.min(n, v.maxFrames));
        } finally {
          release();
        }
      }),
    );
  } finally {
    fan.dispose();
  }
  return known;
}

/**
 * A rerank call that cannot be scored within its budget, refused before it runs (413): every
 * document is a video alone (nothing else to score it on) and decoding their frames — at the
 * cheapest cost a frame has had lately, every ffmpeg slot on them, cached videos and videos of
 * unknown length (URLs) left out — would take longer than the budget leaves before its media
 * cut-off (budget.ts). Held-out probe round 22d: 20 half-hour videos answered 200 with every score
 * 0 after the 30 s budget. Undefined: it may finish (it runs; should its cut-off still leave
 * nothing to score, run-request.ts answers 504).
 */
export async function pastBudget(req: NormalizedInput, options: Sampling, known: KnownFrames | undefined, ports: () => Promise<RerankerPorts>, budgetMs: number): Promise<VlrerankError | undefined> {
  if (!known?.size || req.documents.length === 0 || !req.documents.every((d) => d.video !== undefined && d.text === undefined && d.image === undefined)) return undefined;
  const media = await ports().then(
    (p) => p.media,
    () => undefined,
  );
  if (!media?.videoDecodeFloorMs) return undefined;
  const asked = new Map<string, VideoToDecode>();
  for (const v of videos(req, options)) {
    const key = videoKey(v.ref, v.fps, v.maxFrames);
    const frames = known.get(key);
    if (frames !== undefined) asked.set(key, { ref: v.ref, fps: v.fps, maxFrames: v.maxFrames, frames });
  }
  const floor = await media.videoDecodeFloorMs([...asked.values()]);
  const forMedia = budgetMs - reserveMs(budgetMs);
  if (floor === undefined || floor <= forMedia) return undefined;
  const frames = [...asked.values()].reduce((n, v) => n + v.frames, 0);
  return vlrError(
    'VLR_MEDIA_TOO_LARGE',
    `${asked.size} videos of ${frames} frames need at least ${Math.round(floor)} ms to decode at the cheapest cost a frame has had lately, more than the ${Math.round(forMedia)} ms the request's budget of ${budgetMs} ms leaves for media, and no document has anything else to be scored on: raise the budget (x-vlrerank-budget-ms, rerank.apiBudgetMs), sample fewer frames (max_frames), send fewer videos per call, or rerank them from an index whose documents carry feature records`,
    { details: { budget_ms: budgetMs, estimated_decode_ms: Math.round(floor), video_frames: frames } },
  );
}

/**
 * Documents of work one request asks for (admission cost): its texts, images and sampled frames,
 * query included, and the photos it reads text from (documents' photos when OCR is on for a text
 * query, the query photo when `image_ocr_text` is weighted; as planRequest decides, without asking
 * whether the OCR models are there — a request is never under-counted). A video `frames` knows is
 * costed at that many frames, any other at its max_frames.
 */
export function requestCost(req: NormalizedInput, options: Pick<RerankerOptions, 'fps' | 'maxFrames' | 'ocr' | 'weights'> = {}, frames?: KnownFrames): number {
  return requestWork(req, options, frames).cost;
}

/**
 * A request's work (admission.ts): its cost in documents of work (`requestCost`), and the units it
 * is made of — texts, and visual items (each image, each sampled frame, each photo's OCR read) —
 * whose service times admission learns apart (service-times.ts).
 */
export function requestWork(req: NormalizedInput, options: Pick<RerankerOptions, 'fps' | 'maxFrames' | 'ocr' | 'weights'> = {}, frames?: KnownFrames): { cost: number; texts: number; visual: number } {
  const sampling = videoSamplingOf(req, options);
  const fps = sampling.fps;
  const maxFrames = Math.max(1, sampling.maxFrames);
  const docOcr = (req.ocr ?? options.ocr ?? false) && req.query.text !== undefined;
  const queryOcr = req.query.image !== undefined && (resolveWeights(options.weights, req.weights).image_ocr_text ?? 0) > 0 && req.documents.some((d) => d.text !== undefined);
  const videoFrames = (x: Item) => {
    const max = x.max_frames ?? maxFrames;
    return frames?.get(videoKey(x.video!, x.fps ?? fps, max)) ?? max;
  };
  let texts = 0;
  let visual = 0;
  let cost = 0;
  const one = (x: Item, ocr: boolean) => {
    const photo = x.image !== undefined ? (ocr ? 2 : 1) : 0;
    const frames = x.video !== undefined ? videoFrames(x) : 0;
    const text = x.text !== undefined ? 1 : 0;
    texts += text;
    visual += photo + frames;
    cost += text + (photo ? IMAGE_COST + (ocr ? OCR_COST : 0) : 0) + IMAGE_COST * frames;
  };
  one(req.query as Item, queryOcr);
  for (const d of req.documents) one(d as Item, docOcr);
  return { cost: Math.max(1, cost), texts, visual };
}
