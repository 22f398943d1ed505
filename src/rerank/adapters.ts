/**
 * Builds the reranker's ports (ports.ts) from the shared layers below: the `Models` facade
 * (text embedder, image classifier, object detector, each behind its batching queue) and the
 * image pipeline of features/media. One adapter per port, nothing clever: they translate shapes.
 *
 * Standalone (`new Reranker({modelsDir})`) builds its own Models; inside the server the shared
 * Models instance is passed in so the search interception and the rerank API share sessions,
 * queues and caches.
 */
import { LRUCache } from 'lru-cache';
import { configSchema } from '../config/schema.js';
import { vlrError } from '../errors.js';
import { createMetrics, type Metrics } from '../observability/metrics.js';
import type { Logger } from '../observability/logger.js';
import { DEFAULT_MODELS, Models } from '../models/index.js';
import { decodeImage, preprocessForModels } from '../features/media/image.js';
import type { MediaPort, TextEncoderPort, VisualFeatures, VideoFeaturesResult } from './ports.js';
import type { RerankerOptions, RerankerPorts } from './reranker.js';
import { stat } from 'node:fs/promises';
import { classifyRef, MediaSource } from '../features/media/source.js';
import { VideoDecoder } from '../features/media/video.js';

export interface SharedLayers {
  models: Models;
  /** Registry whose `vlrerank_batch_size` histogram counts model batches (usage.model_calls). */
  metrics?: Metrics;
  /** The shared SSRF-safe media resolver (URLs, data:, base64, paths under roots). */
  source: MediaSource;
  media?: { maxBytes?: number; maxPixels?: number; maxVideoBytes?: number };
  video?: { ffmpegPath?: string; ffprobePath?: string; maxSeconds?: number; maxBytes?: number; timeoutMs?: number };
  cacheMaxBytes?: number;
  logger?: Logger;
}

/** Model batches run so far, by model: the count of the batch-size histogram. */
function batchCounter(metrics: Metrics): () => Record<string, number> {
  return () => {
    const out: Record<string, number> = {};
    // prom-client's get() is sync for histograms without collect callbacks
    const m = (metrics.batchSize as unknown as { hashMap: Record<string, { count: number; labels: { model?: string } }> }).hashMap;
    for (const v of Object.values(m ?? {})) if (v.labels.model) out[v.labels.model] = (out[v.labels.model] ?? 0) + v.count;
    return out;
  };
}

export async function textPort(models: Models, id: string = DEFAULT_MODELS.textEmbedder): Promise<TextEncoderPort> {
  const emb = await models.textEmbedder(id);
  return {
    id: `${emb.id}@${emb.manifest.revision}`,
    maxTokens: emb.text.maxTokens,
    // Submitted shortest first so the batcher's batches hold texts of similar length: a batch is
    // padded to its longest row, and one 500-token abstract in a batch of captions costs them all.
    embed: async (texts, kind) => {
      if (texts.length <= 1) return emb.embed(texts, { kind });
      const lens = texts.map((t) => emb.encode(t, kind).ids.length);
      const order = texts.map((_, i) => i).sort((a, b) => lens[a]! - lens[b]! || a - b);
      const vecs = await emb.embed(order.map((i) => texts[i]!), { kind });
      const out = new Array<Float32Array>(texts.length);
      order.forEach((i, j) => (out[i] = vecs[j]!));
      return out;
    },
    countTokens: (t) => emb.encode(t, 'passage').fullLength,
  };
}

const FEATURE_BYTES = (f: VisualFeatures) => f.embedding.byteLength + f.logits.byteLength + 64 * (f.detections.length + 1);

/** Images and video frames → EfficientNet features (+ NanoDet detections), cached by content hash. */
export async function mediaPort(layers: SharedLayers): Promise<MediaPort> {
  const { models } = layers;
  const classifier = await models.imageClassifier();
  let detectorP: ReturnType<Models['objectDetector']> | undefined;
  const detector = () => (detectorP ??= models.objectDetector());
  const cache = new LRUCache<string, VisualFeatures>({ maxSize: layers.cacheMaxBytes ?? 64 * 1024 * 1024, sizeCalculation: FEATURE_BYTES });
  const inflight = new Map<string, Promise<VisualFeatures>>();
  const maxPixels = layers.media?.maxPixels ?? 50_000_000;
  const maxBytes = layers.media?.maxBytes ?? 32 * 1024 * 1024;
  const videoDecoder = new VideoDecoder({ ...layers.video, maxPixels });

  const featuresOfDecoded = async (img: Awaited<ReturnType<typeof decodeImage>>, detect: boolean): Promise<VisualFeatures> => {
    const det = detect ? await detector() : undefined;
    const specs = det ? [classifier.preprocess, det.preprocess] : [classifier.preprocess];
    const pre = await preprocessForModels(img, specs);
    const [feat, dets] = await Promise.all([classifier.embed([pre[0]!]).then((r) => r[0]!), det ? det.detect(pre[1]!, undefined, { scoreThreshold: 0.3 }) : Promise.resolve([])]);
    return { embedding: feat.embedding, logits: feat.logits, detections: dets.map((d) => ({ label: d.label, score: d.score })) };
  };

  const cached = async (key: string, make: () => Promise<VisualFeatures>): Promise<{ features: VisualFeatures; cacheHit: boolean }> => {
    const hit = cache.get(key);
    if (hit) return { features: hit, cacheHit: true };
    const fl = inflight.get(key);
    if (fl) return { features: await fl, cacheHit: true };
    const p = make();
    inflight.set(key, p);
    try {
      const f = await p;
      cache.set(key, f);
      return { features: f, cacheHit: false };
    } finally {
      inflight.delete(key);
    }
  };

  /**
   * Local files seen before: their content hash while size and mtime are unchanged, so a cached
   * image costs one stat() instead of a read and a sha256 (COCO: 239 files per request).
   */
  const pathHashes = new LRUCache<string, { location: string; size: number; mtimeMs: number; hash: string }>({ max: 100_000 });
  const knownHash = async (ref: string): Promise<string | undefined> => {
    if (classifyRef(ref) !== 'path') return undefined;
    const m = pathHashes.get(ref);
    if (!m) return undefined;
    const st = await stat(m.location).catch(() => undefined);
    return st && st.size === m.size && st.mtimeMs === m.mtimeMs ? m.hash : undefined;
  };
  const resolve = async (ref: string, max: number, signal?: AbortSignal) => {
    const r = await layers.source.resolve(ref, { maxBytes: max, signal });
    if (r.origin === 'path' && r.location) {
      const st = await stat(r.location).catch(() => undefined);
      if (st) pathHashes.set(ref, { location: r.location, size: st.size, mtimeMs: st.mtimeMs, hash: r.contentHash });
    }
    return r;
  };

  return {
    classifierId: `${classifier.id}@${classifier.manifest.revision}`,
    classNames: [...classifier.classNames],
    ocrAvailable: false,
    async image(ref, options) {
      // a detection-free entry is not enough for a request that needs detections; the reverse is fine
      const lookup = (h: string) => cache.get(`${h}:d`) ?? (options.detect ? undefined : cache.get(`${h}:n`));
      const known = await knownHash(ref);
      const early = known ? lookup(known) : undefined;
      if (early) return { features: early, cacheHit: true };
      const { bytes, contentHash: hash } = await resolve(ref, maxBytes, options.signal);
      const full = lookup(hash);
      if (full) return { features: full, cacheHit: true };
      return cached(`${hash}:${options.detect ? 'd' : 'n'}`, async () => featuresOfDecoded(await decodeImage(bytes, { maxBytes, maxPixels }), options.detect));
    },
    async video(ref, options): Promise<VideoFeaturesResult> {
      const keyOf = (hash: string) => `${hash}:v:${options.fps}:${options.maxFrames}:${options.detect ? 'd' : 'n'}`;
      const fromCache = (key: string) => {
        const hitTimes = videoTimes.get(key);
        const frames0 = hitTimes ? hitTimes.map((_, i) => cache.get(`${key}:${i}`)) : undefined;
        return hitTimes && frames0 && frames0.every(Boolean) ? { frames: frames0 as VisualFeatures[], times: hitTimes, cacheHit: true } : undefined;
      };
      const known = await knownHash(ref);
      const early = known ? fromCache(keyOf(known)) : undefined;
      if (early) return early;
      const { bytes, contentHash: hash } = await resolve(ref, layers.media?.maxVideoBytes ?? 256 * 1024 * 1024, options.signal);
      const key = keyOf(hash);
      const hit = fromCache(key);
      if (hit) return hit;
      const sampled = await videoDecoder.sampleFrames(bytes, { fps: options.fps, maxFrames: options.maxFrames, signal: options.signal });
      const frames = await Promise.all(sampled.frames.map((img, i) => cached(`${key}:${i}`, () => featuresOfDecoded(img, options.detect)).then((r) => r.features)));
      videoTimes.set(key, sampled.times);
      return { frames, times: sampled.times, cacheHit: false };
    },
  };
}

const videoTimes = new LRUCache<string, number[]>({ max: 10_000 });

/** Ports over a shared Models instance (the server's). */
export async function portsFromShared(layers: SharedLayers): Promise<RerankerPorts> {
  const metrics = layers.metrics;
  const [text, media] = await Promise.all([textPort(layers.models), mediaPort(layers)]);
  return { text, media, modelCalls: metrics ? batchCounter(metrics) : undefined };
}

/** Standalone: build a Models facade from the options (its own sessions and queues). */
export async function createLocalPorts(options: RerankerOptions): Promise<RerankerPorts> {
  if (!options.modelsDir) throw vlrError('VLR_CONFIG_INVALID', 'Reranker needs modelsDir (the folder holding the model weights, e.g. ../shared/models)');
  const cfg = configSchema.parse({ models: { dir: options.modelsDir, device: options.device ?? 'auto' }, media: { roots: options.mediaRoots ?? [] } });
  const metrics = createMetrics({ defaults: false });
  const models = await Models.create(cfg.models, { metrics });
  const source = new MediaSource(cfg.media);
  const ports = await portsFromShared({ models, metrics, source, media: cfg.media, video: { ffmpegPath: cfg.media.ffmpegPath, ffprobePath: cfg.media.ffprobePath, maxSeconds: cfg.media.maxVideoSeconds, maxBytes: cfg.media.maxVideoBytes, timeoutMs: cfg.media.videoTimeoutMs } });
  const remote = options.remoteUrls?.length ? await (await import('./backends/remote.js')).createRemoteScorer({ urls: options.remoteUrls, model: options.remoteModel, apiKey: options.remoteApiKey, timeoutMs: options.remoteTimeoutMs }) : undefined;
  return { ...ports, remote, close: async () => {
    await remote?.close?.();
    await source.close();
    await models.close();
  } };
}
