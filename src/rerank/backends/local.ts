/**
 * The `local` scorer backend: the reranker's ports over the ONNX models of this install (bge,
 * EfficientNet, NanoDet, OCR, and a trained CLIP when one is installed) on CPU or CUDA, through
 * the `Models` facade (sessions, batching queues) and the `FeatureExtractor` (media sources,
 * decoding, frames, and the feature cache, which also keeps the text vectors).
 *
 * Two ways in: `localPorts` over layers the caller already has (the server shares one Models and
 * one FeatureExtractor between search, ingest and the rerank API), and `createLocalPorts`, which
 * builds its own from a Reranker's options (`new Reranker({modelsDir})`). The signals themselves
 * live in ../signals and ../pair-score.ts. Never knows about HTTP or engines.
 */
import { configSchema, storeSchema } from '../../config/schema.js';
import { diskStorePath } from '../../config/store-defaults.js';
import { cacheBudget } from '../../config/cache-budget.js';
import { isVlrerankError, vlrError } from '../../errors.js';
import { FeatureExtractor } from '../../features/extractor.js';
import { openStoreTiers } from '../../features/store/open.js';
import { decodeImage, preprocessImage } from '../../features/media/image.js';
import { shortestFirst, type TextVectorModel } from '../../features/text-vectors.js';
import { checkModelConfig } from '../../models/check.js';
import { DEFAULT_MODELS, Models } from '../../models/index.js';
import { createMetrics } from '../../observability/metrics.js';
import type { RerankerOptions } from '../options.js';
import type { DualEncoderPort, MediaPort, RerankerPorts, TextEncoderPort, TextVectorsPort } from '../ports.js';
import { createRemoteScorer } from './remote.js';

/**
 * Detections above this score feed the visual passage: the setting measured with the bridge
 * (../shared/ZERO-SHOT-BRIDGE.md: "detections with score > 0.30").
 */
export const VISUAL_PASSAGE_DETECT_THRESHOLD = 0.3;

export interface LocalLayers {
  models: Models;
  /** The shared feature extractor (media, frames, features, and the text vectors' cache). */
  features: MediaPort & { textVectors(model: TextVectorModel): TextVectorsPort };
}

/** The text embedder as the reranker's text port (texts submitted shortest first, see text-vectors.ts). */
export async function textPort(models: Models, id: string = DEFAULT_MODELS.textEmbedder): Promise<TextEncoderPort> {
  const emb = await models.textEmbedder(id);
  return {
    ...shortestFirst(emb),
    maxTokens: emb.text.maxTokens,
    ...(emb.dim ? { dim: emb.dim } : {}),
    countTokens: (t) => emb.encode(t, 'passage').fullLength,
  };
}

/** Ports over a shared Models and FeatureExtractor (the server's); text vectors live in its feature cache. */
export async function localPorts(layers: LocalLayers): Promise<RerankerPorts> {
  const text = await textPort(layers.models);
  return { text, media: layers.features, textVectors: layers.features.textVectors(text) };
}

/** Standalone: build Models and a FeatureExtractor from the options (their own sessions, queues, cache). */
export async function createLocalPorts(options: RerankerOptions): Promise<RerankerPorts> {
  if (!options.modelsDir) throw vlrError('VLR_CONFIG_INVALID', 'Reranker needs modelsDir (the folder holding the model weights, e.g. ../shared/models)');
  // the models' queues are this reranker's own (a script's, the CLI's): no other client to shed for,
  // so one call of 1,100 texts is not refused "overloaded … retry later" by a 1,024-input queue
  const batch = { maxQueue: Number.MAX_SAFE_INTEGER };
  const cfg = configSchema.parse({ models: { dir: options.modelsDir, device: options.device ?? 'auto', precision: options.precision ?? {}, batch }, media: { roots: options.mediaRoots ?? [], allowHosts: options.mediaAllowHosts ?? [], proxy: options.mediaProxy, noProxy: options.mediaNoProxy } });
  const metrics = createMetrics({ defaults: false });
  const models = await Models.create(cfg.models, { metrics });
  await checkModelConfig({ precision: cfg.models.precision, clipModel: options.clipModel }, models.registry);
  // the persistent tiers as the server opens them (features/store/open.ts), from the options' `store`
  const fs = options.featureStore;
  const store = storeSchema.parse({ ...options.store, ...(fs ? { disk: { path: fs.diskPath, maxBytes: fs.diskMaxBytes } } : {}) });
  const tiers = await openStoreTiers(store, diskStorePath({ store }), {});
  // a script's first lookups come at once: Redis connected by then (or given up after its connect time-out)
  await tiers.tiers.redis?.whenReady(Math.max(1_000, store.redis.commandTimeoutMs));
  let features: FeatureExtractor;
  try {
    features = await FeatureExtractor.create(models, {
      media: cfg.media,
      cacheMaxBytes: cacheBudget(cfg.cache.maxBytes).maxBytes,
      detectScoreThreshold: VISUAL_PASSAGE_DETECT_THRESHOLD,
      onCacheEvent: (event) => metrics.cacheEvents.inc({ event }),
      tiers: tiers.tiers,
    });
  } catch (e) {
    // The image models cannot be set up (only the text model pulled, a file gone): texts are still
    // ranked, as the server does (rerank/service.ts), and each image or video document fails with
    // why. A remote worker or a CLIP model needs the media reader: refused as before.
    const close = async () => {
      await tiers.close();
      await models.close();
    };
    if (options.remoteUrls?.length || options.clipModel) {
      await close();
      throw e;
    }
    let text: TextEncoderPort;
    try {
      text = await textPort(models);
    } catch (t) {
      await close();
      throw t;
    }
    return { text, media: unavailableMedia(e), close };
  }
  const ports = await localPorts({ models, features });
  const remote = options.remoteUrls?.length
    ? await createRemoteScorer({ urls: options.remoteUrls, model: options.remoteModel, apiKey: options.remoteApiKey, timeoutMs: options.remoteTimeoutMs, media: { reader: features.source, maxPixels: cfg.media.maxPixels } })
    : undefined;
  const clip = options.clipModel ? await clipPort(models, features, options.clipModel) : undefined;
  return {
    ...ports,
    clip,
    remote,
    close: async () => {
      await remote?.close?.();
      await features.close();
      await tiers.close();
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
  return {
    id: `${enc.id}@${enc.manifest.revision}${enc.variant}`,
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

/** The media port while the image models cannot be set up: every image or video fails with why. */
export function unavailableMedia(cause: unknown): MediaPort {
  const fail = async (): Promise<never> => {
    throw isVlrerankError(cause) && cause.status >= 500 ? cause : vlrError('VLR_MODEL_MISSING', `the image models are unavailable: ${(cause as Error).message}`, { cause });
  };
  return { classifierId: 'unavailable', classNames: [], ocrAvailable: false, image: fail, video: fail };
}
