/**
 * The features layer: media references → bytes (SSRF-safe), images and videos → decoded RGB →
 * model inputs, and the FeatureExtractor that turns them into cached model features. Nothing here
 * knows about HTTP or search engines.
 */
export { FeatureExtractor, type FeatureExtractorOptions, type FeatureRequest, type ImageResult, type VideoRequest, type VideoResult, type VisualFeatures } from './extractor.js';
export { FeatureCache, featureKey, type CacheEvent, type CacheStats, type FeatureKeyParts } from './cache/feature-cache.js';
export { decodeImage, preprocessImage, preprocessForModels, probeImage, type DecodedImage, type ImageLimits } from './media/image.js';
export { MediaSource, classifyRef, type MediaBytes, type MediaSourceOptions } from './media/source.js';
export { VideoDecoder, frameTimes, type SampledVideo, type VideoLimits, type VideoProbe } from './media/video.js';
