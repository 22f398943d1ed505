/**
 * Video reference → per-frame features (sampled at fps, capped by maxFrames) plus the mean
 * embedding, cached as one entry per (content, sampling, parts asked). An entry computed with more
 * parts (detections, OCR) serves a request for fewer. All frames go to the models at once, so
 * the classifier's queue batches them into few runs. Never knows about HTTP or engines.
 */
import { stat } from 'node:fs/promises';
import { LRUCache } from 'lru-cache';
import type { Config } from '../config/schema.js';
import { vlrError } from '../errors.js';
import { fanOutSignal } from '../util/abort.js';
import { Semaphore } from '../util/semaphore.js';
import { unitMean } from '../util/vector.js';
import { urlIdentity, type KnownMedia } from './known-media.js';
import type { MediaSlots } from './media-slots.js';
import { classifyRef, type LocalFile, type MediaBytes, type MediaSource } from './media/source.js';
import type { VideoDecoder, VideoInput } from './media/video.js';
import { frameTimes } from './media/video-frames.js';
import type { Part, PartKeys, VideoValue } from './parts.js';
import type { PartSource, PartStore } from './store/tiered.js';
import type { VideoRequest, VideoResult, VideoToDecode, VisualFeatures } from './records.js';
import type { VisualModels } from './visual-models.js';

/** Which (detect, ocr) entries serve a request, in the fromCache order (an entry with more parts serves fewer). */
const COMBOS = [[false, false], [true, false], [false, true], [true, true]] as const;

export interface VideoExtractorDeps {
  /** The feature store (L1, and the persistent tiers under it when configured). */
  cache: PartStore;
  keys: PartKeys;
  models: VisualModels;
  source: MediaSource;
  known: KnownMedia;
  decoder: VideoDecoder;
  /** `config.media`: default fps / maxFrames and the video byte limit. */
  media: Config['media'];
  /** Media read or fetched at once (memory bound), shared with images; URLs wait on the network apart. */
  slots: MediaSlots;
  /** Sampled frames are scaled to this shorter side before preprocessing. */
  shortestSide: number;
}

export class VideoExtractor {
  readonly #d: VideoExtractorDeps;
  /** Local videos' durations (null: the header says none) by real path, size and mtime, for frameCount(); at most 4096. */
  readonly #durations = new Map<string, number | null>();
  /**
   * ffprobe for frameCount() runs before admission, so a burst of requests naming new local clips
   * must not start a process each (200 requests × 4 headers): one probe per file at a time (joined),
   * 4 at once process-wide, and past 16 waiting a video keeps its maxFrames estimate instead.
   */
  readonly #probes = new Semaphore(4);
  readonly #probing = new Map<string, Promise<number | null>>();
  #probeWaiters = 0;
  /**
   * URL clips' durations as their last read gave them, by URL (at most 4096): a URL is not read
   * before admission, so a clip asked again was costed at maxFrames each time (a burst of URL clips
   * seen before could be refused up front). Only an estimate: the header read corrects it.
   */
  readonly #urlDurations = new LRUCache<string, number>({ max: 4096 });

  constructor(deps: VideoExtractorDeps) {
    this.#d = deps;
  }

  /**
   * How many frames `video()` would sample from a local file at this fps / maxFrames, from its
   * header (ffprobe; the duration remembered by real path, size and mtime): what admission costs it
   * at instead of maxFrames (held-out probe round 8b: two 3–5 s clips costed 2 × 32 frames were
   * refused as too much work). A URL clip read before: from the duration that read gave. Undefined
   * for a new URL or inline bytes (not read before admission), a file outside the roots or one
   * ffprobe cannot read: the caller keeps its maxFrames estimate.
   */
  async frameCount(ref: string, o: { fps?: number; maxFrames?: number; signal?: AbortSignal }): Promise<number | undefined> {
    const { source, media: m } = this.#d;
    const seen = classifyRef(ref) === 'url' ? this.#urlDurations.peek(urlIdentity(ref)) : undefined;
    if (seen !== undefined) return frameTimes(seen, o.fps ?? m.fps, o.maxFrames ?? m.maxFrames).length;
    if (classifyRef(ref) !== 'path') return undefined;
    try {
      const real = await source.localPath(ref);
      const st = await stat(real);
      const id = `${real}\0${st.size}\0${st.mtimeMs}`;
      let duration = this.#durations.get(id);
      if (duration === undefined) {
        const under = this.#probing.get(id) ?? this.#probe(id, real, o.signal);
        if (!under) return undefined;
        duration = await under;
      }
      return duration === null ? undefined : frameTimes(duration, o.fps ?? m.fps, o.maxFrames ?? m.maxFrames).length;
    } catch {
      return undefined; // read as usual, and its error reported there
    }
  }

  /**
   * The least wall time (ms) decoding these videos would take now (the decoder's floor,
   * media/video.ts `decodeFloorMs`), those whose features are cached left out; undefined before
   * the decoder has measured a frame. `frames`: each one's count from its header (frameCount).
   */
  async decodeFloorMs(videos: ReadonlyArray<VideoToDecode>): Promise<number | undefined> {
    const { cache, keys, known, decoder } = this.#d;
    let frames = 0;
    for (const v of videos) {
      const hash = await known.pathHash(v.ref);
      const cached = hash !== undefined && COMBOS.some(([d, o]) => cache.has(keys.video(hash, { fps: v.fps, maxFrames: v.maxFrames, detect: d, ocr: o })));
      if (!cached) frames += v.frames;
    }
    return frames === 0 ? 0 : decoder.decodeFloorMs(frames);
  }

  /** One header read for frameCount(), joined by callers of the same file; undefined when too many wait. */
  #probe(id: string, real: string, signal: AbortSignal | undefined): Promise<number | null> | undefined {
    if (this.#probeWaiters >= 16) return undefined;
    this.#probeWaiters++;
    const run = (async () => {
      const release = await this.#probes.acquire(signal).finally(() => this.#probeWaiters--);
      try {
        const duration = (await this.#d.decoder.probe({ path: real }, signal)).duration ?? null;
        if (this.#durations.size >= 4096) this.#durations.delete(this.#durations.keys().next().value!);
        this.#durations.set(id, duration);
        return duration;
      } finally {
        release();
        this.#probing.delete(id);
      }
    })();
    this.#probing.set(id, run);
    return run;
  }

  /** Per-frame features of a video sampled at fps (capped by maxFrames), plus the mean embedding. */
  async video(ref: string, request: VideoRequest = {}): Promise<VideoResult> {
    const { cache, keys, models, source, known, media: m } = this.#d;
    const fps = request.fps ?? m.fps;
    const maxFrames = request.maxFrames ?? m.maxFrames;
    const detect = request.detect ?? true;
    const ocr = (request.ocr ?? false) && models.ocrEngine !== undefined;
    const key = (h: string, d: boolean, o: boolean) => keys.video(h, { fps, maxFrames, detect: d, ocr: o });
    // An entry computed with more parts serves a request for fewer.
    const fromCache = (h: string): VideoResult | undefined => {
      for (const [d, o] of COMBOS) {
        // has() neither counts nor fills L1; find() counts the hit and says which tier answered
        const better = (d || !detect) && (o || !ocr) && cache.has(key(h, d, o)) ? cache.find(key(h, d, o)) : undefined;
        if (better) return result(better.value, h, true, better.source, detect, ocr);
      }
      return undefined;
    };
    const knownHash = await known.pathHash(ref);
    const early = knownHash ? fromCache(knownHash) : undefined;
    if (early) return early;
    const asked = { maxBytes: m.maxVideoBytes, signal: request.signal };
    // a clip URL seen before with validators, its features kept: a conditional request, 304 → no body
    // (held-out probe round 14d: the whole clip was downloaded again on every search)
    const memo = classifyRef(ref) === 'url' ? await known.urlAnywhere(ref) : undefined;
    const kept = memo && (COMBOS.some(([d, o]) => (d || !detect) && (o || !ocr) && cache.has(key(memo.contentHash, d, o))) || (await cache.holdsAll([key(memo.contentHash, detect, ocr)])));
    const again = kept ? await source.fetchUrl(ref, { ...asked, validators: memo }) : undefined;
    const unchanged = again && 'notModified' in again ? fromCache(memo!.contentHash) : undefined;
    if (unchanged) return this.#seenUrl(ref, unchanged);
    const r = again && !('notModified' in again) ? again : await this.#read(ref, asked, request.signal);
    // an open local file is closed by the computation that reads it, which may outlive this caller
    // (others joined it: feature-cache.ts) — closed under it, its descriptor could name another file
    let computing = false;
    try {
      const { contentHash } = r;
      known.remember(ref, r);
      const hit = fromCache(contentHash);
      if (hit) return this.#seenUrl(ref, hit);
      const file = 'fh' in r ? r : undefined;
      const fan = fanOutSignal(request.signal);
      try {
        const compute = async (signal: AbortSignal): Promise<Part> => {
          computing = true;
          try {
            return { kind: 'video', value: await this.#compute(file ? { fd: file.fh.fd } : (r as MediaBytes).bytes, { fps, maxFrames, detect, ocr, signal, onFrames: request.onFrames }, file) };
          } finally {
            await file?.fh.close();
          }
        };
        const computed = await cache.getOrCompute(key(contentHash, detect, ocr), compute, fan.signal);
        return this.#seenUrl(ref, result(computed.value, contentHash, computed.hit, computed.source, detect, ocr));
      } finally {
        fan.dispose();
      }
    } finally {
      if ('fh' in r && !computing) await r.fh.close();
    }
  }

  /**
   * The clip's bytes, read under a media slot (or joining a fetch of it under way); a local file
   * (not empty) opened and hashed instead, for ffmpeg to read it itself (the caller closes it).
   */
  async #read(ref: string, asked: { maxBytes: number; signal?: AbortSignal }, signal?: AbortSignal): Promise<MediaBytes | LocalFile> {
    const { source, slots } = this.#d;
    const local = classifyRef(ref) === 'path';
    const read = async (): Promise<MediaBytes | LocalFile> => {
      if (!local) return source.resolve(ref, asked);
      const file = await source.openLocal(ref, asked.maxBytes);
      if (file.file.size > 0) return file;
      await file.fh.close();
      return source.resolve(ref, asked); // empty: the decoder's own "video is empty" (0 bytes read)
    };
    const { value, release } = await slots.read(classifyRef(ref) === 'url', read, signal, () => source.joinFetch(ref, asked));
    release();
    return value;
  }

  /** A URL clip's duration remembered for frameCount() (the next admission's estimate), by the object it names (a presigned clip under a new signature too). */
  #seenUrl(ref: string, r: VideoResult): VideoResult {
    if (r.duration === undefined || classifyRef(ref) !== 'url') return r;
    this.#urlDurations.set(urlIdentity(ref), r.duration);
    return r;
  }

  /** `file`: the open local file `input` is, checked unchanged after decoding (its features are stored under the hash read before). */
  async #compute(input: VideoInput, o: { fps: number; maxFrames: number; detect: boolean; ocr: boolean; signal?: AbortSignal; onFrames?: (n: number) => void }, file?: LocalFile): Promise<VideoValue> {
    const { decoder, models } = this.#d;
    const sampled = await decoder.sampleFrames(input, { fps: o.fps, maxFrames: o.maxFrames, shortestSide: this.#d.shortestSide, signal: o.signal, onSchedule: o.onFrames });
    // All frames at once: the classifier's queue batches them into few model runs.
    const frames = await Promise.all(
      sampled.frames.map(async (img): Promise<VisualFeatures> => {
        const [c, d, lines] = await Promise.all([
          models.classify(async () => img, o.signal),
          o.detect ? models.detect(img, o.signal) : Promise.resolve([]),
          o.ocr && models.ocrEngine ? models.ocr(img, o.signal) : Promise.resolve(undefined),
        ]);
        return { ...c, detections: d, ...(lines ? { ocr: lines.map((l) => l.text), ocrLines: lines } : {}) };
      }),
    );
    if (frames.length === 0) throw vlrError('VLR_MEDIA_UNSUPPORTED', 'video has no decodable frame');
    if (file) {
      // written over while ffmpeg read it: its frames may not be the bytes hashed — not stored under that hash
      const st = await file.fh.stat();
      if (st.size !== file.file.size || st.mtimeMs !== file.file.mtimeMs) throw vlrError('VLR_MEDIA_UNSUPPORTED', `video file ${file.location} changed while it was read; send it again`);
    }
    return { frames, times: sampled.times, embedding: unitMean(frames.map((f) => f.embedding)), duration: sampled.probe.duration };
  }
}

/** A cached video entry as this request asked for it (parts it did not ask for left out). */
function result(p: Part, contentHash: string, hit: boolean, source: PartSource, detect: boolean, ocr: boolean): VideoResult {
  const v = (p as Extract<Part, { kind: 'video' }>).value;
  const frames = v.frames.map((f) => ({ ...f, detections: detect ? f.detections : [], ...(ocr ? {} : { ocr: undefined, ocrLines: undefined }) }));
  return { ...v, frames, cacheHit: hit, source, contentHash };
}
