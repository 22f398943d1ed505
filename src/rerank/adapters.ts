/**
 * Builds the reranker's ports (ports.ts) from the shared layers below: the `Models` facade
 * (the text embedder behind its batching queue) and the `FeatureExtractor` (media sources, image
 * decode/preprocess, video frames, EfficientNet + NanoDet + OCR behind their queues, and the
 * byte-bounded feature cache), which satisfies the MediaPort as it is.
 *
 * Standalone (`new Reranker({modelsDir})`) builds its own Models and FeatureExtractor; inside the
 * server the shared instances are passed in, so the search interception, ingest and the rerank API
 * share sessions, queues and one cache.
 */
import { configSchema } from '../config/schema.js';
import { vlrError } from '../errors.js';
import { createMetrics, type Metrics } from '../observability/metrics.js';
import type { Logger } from '../observability/logger.js';
import { DEFAULT_MODELS, Models } from '../models/index.js';
import { FeatureExtractor } from '../features/extractor.js';
import type { DualEncoderPort, MediaPort, TextEncoderPort } from './ports.js';
import type { RerankerOptions, RerankerPorts } from './reranker.js';

/**
 * Detections above this score feed the visual passage: the setting measured with the bridge
 * (../shared/ZERO-SHOT-BRIDGE.md: "detections with score > 0.30").
 */
export const VISUAL_PASSAGE_DETECT_THRESHOLD = 0.3;

export interface SharedLayers {
  models: Models;
  /** The shared feature extractor (media, frames, features, cache). */
  features: MediaPort;
  /** Registry whose `vlrerank_batch_size` histogram counts model batches (usage.model_calls). */
  metrics?: Metrics;
  logger?: Logger;
}

/** Model batches run so far, by model: the count of the batch-size histogram. */
function batchCounter(metrics: Metrics): () => Record<string, number> {
  return () => {
    const out: Record<string, number> = {};
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
    // padded to its longest row, and one 500-token abstract in a batch of captions costs them all
    // (32 SciFact abstracts: 54 s in submission order vs 6 s one by one on a loaded 2-core box).
    embed: async (texts, kind) => {
      if (texts.length <= 1) return emb.embed(texts, { kind });
      const lens = texts.map((t) => emb.encode(t, kind).ids.length);
      const order = texts.map((_, i) => i).sort((a, b) => lens[a]! - lens[b]! || a - b);
      const vecs = await emb.embed(order.map((i) => texts[i]!), { kind });
      const out = new Array<Float32Array>(texts.length);
      order.forEach((i, j) => (out[i] = vecs[j]!));
      return out;
    },
    // the same shortest-first submission, one promise (and one signal) per text
    embedEach: (texts, kind, signals) => {
      if (texts.length <= 1) return emb.embedEach(texts, { kind, signals });
      const lens = texts.map((t) => emb.encode(t, kind).ids.length);
      const order = texts.map((_, i) => i).sort((a, b) => lens[a]! - lens[b]! || a - b);
      const ps = emb.embedEach(order.map((i) => texts[i]!), { kind, signals: order.map((i) => signals[i]) });
      const out = new Array<Promise<Float32Array>>(texts.length);
      order.forEach((i, j) => (out[i] = ps[j]!));
      return out;
    },
    countTokens: (t) => emb.encode(t, 'passage').fullLength,
  };
}

/** Ports over the shared Models and FeatureExtractor (the server's). */
export async function portsFromShared(layers: SharedLayers): Promise<RerankerPorts> {
  const metrics = layers.metrics;
  return { text: await textPort(layers.models), media: layers.features, modelCalls: metrics ? batchCounter(metrics) : undefined };
}

/** Standalone: build Models and a FeatureExtractor from the options (their own sessions, queues, cache). */
export async function createLocalPorts(options: RerankerOptions): Promise<RerankerPorts> {
  if (!options.modelsDir) throw vlrError('VLR_CONFIG_INVALID', 'Reranker needs modelsDir (the folder holding the model weights, e.g. ../shared/models)');
  const cfg = configSchema.parse({ models: { dir: options.modelsDir, device: options.device ?? 'auto' }, media: { roots: options.mediaRoots ?? [] } });
  const metrics = createMetrics({ defaults: false });
  const models = await Models.create(cfg.models, { metrics });
  const features = await FeatureExtractor.create(models, {
    media: cfg.media,
    cacheMaxBytes: cfg.cache.maxBytes,
    detectScoreThreshold: VISUAL_PASSAGE_DETECT_THRESHOLD,
    onCacheEvent: (event) => metrics.cacheEvents.inc({ event }),
  });
  const ports = await portsFromShared({ models, metrics, features });
  const remote = options.remoteUrls?.length
    ? await (await import('./backends/remote.js')).createRemoteScorer({ urls: options.remoteUrls, model: options.remoteModel, apiKey: options.remoteApiKey, timeoutMs: options.remoteTimeoutMs })
    : undefined;
  const clip = options.clipModel ? await clipPort(models, features, options.clipModel) : undefined;
  return {
    ...ports,
    clip,
    remote,
    close: async () => {
      await remote?.close?.();
      await features.close();
      await models.close();
    },
  };
}

/**
 * A CLIP-family dual encoder as the `clip` signal (text → image). Built only for a model the user
 * installed; a random-weight fixture (manifest `forRanking: false`) is refused by Models.clip()
 * unless `allowFixture` is set for I/O plumbing tests, and then the port says `forRanking: false`
 * and the Reranker refuses to rank with it (VLR_MODEL_NOT_ALLOWED).
 */
export async function clipPort(models: Models, features: { source: { resolve(ref: string, o: { maxBytes: number; signal?: AbortSignal }): Promise<{ bytes: Buffer }> } }, id: string, opts: { allowFixture?: boolean; maxBytes?: number } = {}): Promise<DualEncoderPort> {
  const enc = await models.clip(id, { allowFixture: opts.allowFixture });
  const { decodeImage, preprocessImage } = await import('../features/media/image.js');
  return {
    id: `${enc.id}@${enc.manifest.revision}`,
    logitScale: Math.exp(enc.logitScale),
    forRanking: enc.manifest.forRanking,
    embedTexts: (texts) => enc.embedTexts(texts),
    embedImages: async (refs, signal) => {
      const pre = await Promise.all(
        refs.map(async (r) => preprocessImage(await decodeImage((await features.source.resolve(r, { maxBytes: opts.maxBytes ?? 32 * 1024 * 1024, signal })).bytes), enc.preprocess)),
      );
      return enc.embedImages(pre);
    },
  };
}
