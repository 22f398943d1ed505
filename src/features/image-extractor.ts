/**
 * Image reference → features, cache first. Each part (classification, detections, OCR lines) is
 * cached on its own key, so asking for detections later does not recompute the embedding, and an
 * image is decoded once per miss, whatever parts are missing. An unchanged local file whose parts
 * are cached costs one stat(); a URL with validators costs a conditional request (304: no body).
 * Concurrent requests for one part share one computation; a request's AbortSignal ends its own
 * wait, and a part leaves the model queue only when every request waiting for it has aborted.
 * Never knows about HTTP or engines.
 */
import type { Semaphore } from '../util/semaphore.js';
import type { MediaSlots } from './media-slots.js';
import { fanOutSignal, SharedAbort } from '../util/abort.js';
import type { KnownMedia } from './known-media.js';
import { decodeImage, dropDecoded, preprocessBytes, type DecodedImage, type ImageLimits } from './media/image.js';
import { classifyRef, sha256Hex, type MediaSource } from './media/source.js';
import type { Part, PartKeys } from './parts.js';
import { costlierSource, type PartSource, type PartStore } from './store/tiered.js';
import type { FeatureRequest, ImageResult } from './records.js';
import type { OneModelInput, VisualModels } from './visual-models.js';

export interface ImageExtractorDeps {
  /** The feature store (L1, and the persistent tiers under it when configured). */
  cache: PartStore;
  keys: PartKeys;
  models: VisualModels;
  source: MediaSource;
  known: KnownMedia;
  limits: ImageLimits;
  /** Media read or fetched, and decoded, at once (memory bound); URLs wait on the network apart. */
  slots: MediaSlots;
  /** Decodes / resizes at once (CPU bound). */
  cpu: Semaphore;
}

export class ImageExtractor {
  readonly #d: ImageExtractorDeps;

  constructor(deps: ImageExtractorDeps) {
    this.#d = deps;
  }

  /** Features of one image reference (URL, data: URI, base64, path under roots). */
  async image(ref: string, request: FeatureRequest = {}): Promise<ImageResult> {
    request.signal?.throwIfAborted();
    const revalidated = (await this.#unchangedPath(ref, request)) ?? (await this.#revalidate(ref, request));
    if (revalidated) return revalidated;
    const { source, known, limits, cpu } = this.#d;
    const asked = { maxBytes: limits.maxBytes, signal: request.signal };
    const { value: m, release } = await this.#d.slots.read(classifyRef(ref) === 'url', () => source.resolve(ref, asked), request.signal, () => source.joinFetch(ref, asked));
    const { bytes, contentHash } = m;
    known.remember(ref, m);
    // the decode (when a part is missing) happens under the same media permit; model waits do not hold it
    let wanted = false;
    // the pixels decoded and kept in the image worker (perf21: off this thread's heap; OCR reads them there too, perf22)
    const held = heldDecodes(limits);
    const once = decodeOnce(cpu, () => held.decode(bytes));
    const decode = (signal: AbortSignal) => {
      wanted = true;
      return once(signal).finally(release);
    };
    // an image only the classifier reads: decoded and resized in one call, nothing held (image.ts preprocessBytes)
    const alone: OneModelInput = {
      prepare: (spec, into) => {
        wanted = true;
        return preprocessBytes(bytes, spec, limits, into).finally(release);
      },
    };
    const result = await this.#features(contentHash, decode, request, alone).finally(() => {
      if (!wanted) release();
    });
    // every part answered, so no computation reads the pixels any more; a request that failed or was
    // aborted leaves them to the handle's collection (a part another request joined may still need them)
    held.drop();
    return result;
  }

  /**
   * The features of a local file this process has seen, unchanged (one stat()) and with every part
   * in the store (L1, or the disk tier's synchronous read), answered without a turn of the event
   * loop; undefined otherwise (the caller takes `image()`). A warm request of 50 documents spent
   * ~0.35 ms of main-thread CPU in `image()`'s promises, signal fan-outs and single-flight entries
   * for parts that were all in L1 — CPU taken from the query's forward pass on a 2-core host.
   */
  seen(ref: string, request: FeatureRequest = {}): ImageResult | undefined {
    if (request.signal?.aborted) return undefined;
    const { cache, keys, models } = this.#d;
    const contentHash = this.#d.known.seenPathHash(ref);
    if (!contentHash) return undefined;
    const want = keys.image(contentHash, request);
    // has() first, so that a part missing here is counted once, as a miss of the path that computes it
    if (!want.every((k) => cache.has(k))) return undefined;
    const found = want.map((k) => cache.find(k));
    if (found.some((f) => !f)) return undefined; // a stored value that did not decode: image() recomputes it
    const [cls, ...rest] = found as Array<{ value: Part; source: PartSource }>;
    const detect = request.detect ?? true;
    const ocr = (request.ocr ?? false) && models.ocrEngine !== undefined;
    const det = detect ? rest.shift() : undefined;
    const text = ocr ? rest.shift() : undefined;
    return assemble(contentHash, { ...cls!, hit: true }, det && { ...det, hit: true }, text && { ...text, hit: true });
  }

  /** The content hash of a local file this process has read, if its size and mtime are unchanged (one stat()). */
  seenHash(ref: string): string | undefined {
    return this.#d.known.seenPathHash(ref);
  }

  /** The content hash of a local file as it is now: the memo's when its size, mtime and ctime are unchanged, else read (ports.ts `fileContentHash`). */
  async fileHash(ref: string, signal?: AbortSignal): Promise<string | undefined> {
    if (classifyRef(ref) !== 'path') return undefined;
    const known = await this.#d.known.pathHash(ref);
    if (known) return known;
    // hashed a MiB at a time from the open file, its bytes never held (a window of large photos after a restart)
    const m = await this.#d.source.openLocal(ref, this.#d.limits.maxBytes).catch(() => undefined);
    await m?.fh.close();
    signal?.throwIfAborted();
    if (!m) return undefined;
    this.#d.known.remember(ref, m);
    return m.contentHash;
  }

  /** Features of raw bytes already in hand (e.g. an uploaded query image). */
  async imageBytes(bytes: Buffer, request: FeatureRequest = {}): Promise<ImageResult> {
    const alone: OneModelInput = { prepare: (spec, into) => preprocessBytes(bytes, spec, this.#d.limits, into) };
    return this.#featuresHeld(sha256Hex(bytes), (held) => decodeOnce(this.#d.cpu, () => held.decode(bytes)), request, alone);
  }

  #allCached(contentHash: string, request: FeatureRequest): boolean {
    return this.#d.keys.image(contentHash, request).every((k) => this.#d.cache.has(k));
  }

  /** Read and decode `ref` after all (a part was evicted between the check and its lookup), into `held`. */
  #readAgain(ref: string, request: FeatureRequest, held: HeldDecodes): Decode {
    const { source, limits, cpu } = this.#d;
    return (s) => source.resolve(ref, { maxBytes: limits.maxBytes, signal: request.signal }).then((m) => cpu.use(() => held.decode(m.bytes), false, s));
  }

  /** `#features` whose decodes (if a part turns out to be missing after all) are held by the image worker and let go once every part has answered. */
  async #featuresHeld(contentHash: string, decode: (held: HeldDecodes) => Decode, request: FeatureRequest, alone?: OneModelInput): Promise<ImageResult> {
    const held = heldDecodes(this.#d.limits);
    const result = await this.#features(contentHash, decode(held), request, alone);
    held.drop();
    return result;
  }

  /** An unchanged local file whose parts are all cached costs one stat(), not a read and a sha256. */
  async #unchangedPath(ref: string, request: FeatureRequest): Promise<ImageResult | undefined> {
    const hash = await this.#d.known.pathHash(ref);
    if (!hash || !this.#allCached(hash, request)) return undefined;
    return this.#featuresHeld(hash, (held) => this.#readAgain(ref, request, held), request);
  }

  /**
   * A URL seen before with an ETag / Last-Modified, whose features are all cached: ask the server
   * whether it changed (If-None-Match / If-Modified-Since). 304 → the cached features, no body
   * downloaded. Anything else → undefined, and the normal path fetches it.
   */
  async #revalidate(ref: string, request: FeatureRequest): Promise<ImageResult | undefined> {
    const { source, known, limits, cpu, cache, keys } = this.#d;
    if (classifyRef(ref) !== 'url') return undefined;
    // after a restart the validators and the features may be in the persistent tiers only (disk: at
    // once; Redis: one round trip each), fix15
    const memo = await known.urlAnywhere(ref);
    if (!memo || !(await cache.holdsAll(keys.image(memo.contentHash, request)))) return undefined;
    const r = await source.fetchUrl(ref, { maxBytes: limits.maxBytes, signal: request.signal, validators: memo });
    if (!('notModified' in r)) {
      known.rememberUrl(ref, r);
      return this.#featuresHeld(r.contentHash, (held) => (s) => cpu.use(() => held.decode(r.bytes), false, s), request);
    }
    return this.#featuresHeld(memo.contentHash, (held) => this.#readAgain(ref, request, held), request);
  }

  /** `alone`: the classifier's input from the bytes in one go, taken when the request asks for no other part. */
  async #features(contentHash: string, decode: Decode, request: FeatureRequest, alone?: OneModelInput): Promise<ImageResult> {
    // each part below listens to the signal: one listener on the caller's (a bulk shares one for many images)
    const fan = fanOutSignal(request.signal);
    try {
      return await this.#parts(contentHash, decode, { ...request, signal: fan.signal }, alone);
    } finally {
      fan.dispose();
    }
  }

  async #parts(contentHash: string, decode: Decode, request: FeatureRequest, alone?: OneModelInput): Promise<ImageResult> {
    const { cache, keys, models } = this.#d;
    const detect = request.detect ?? true;
    const ocr = (request.ocr ?? false) && models.ocrEngine !== undefined;
    // each part's computation gets the cache's shared signal: aborted only when no request waits for it
    const decoded = async (signal: AbortSignal) => {
      signal.throwIfAborted();
      const img = await decode(signal);
      signal.throwIfAborted();
      return img;
    };
    const classifyFrom = !detect && !ocr && alone ? () => alone : (s: AbortSignal) => () => decoded(s);
    const [cls, det, text] = await Promise.all([
      cache.getOrCompute(keys.classify(contentHash), async (s) => ({ kind: 'classify', value: await models.classify(classifyFrom(s), s) }), request.signal),
      detect ? cache.getOrCompute(keys.detect(contentHash), async (s) => ({ kind: 'detect', value: await models.detect(await decoded(s), s) }), request.signal) : undefined,
      ocr ? cache.getOrCompute(keys.ocr(contentHash), async (s) => ({ kind: 'ocr', value: await models.ocr(await decoded(s), s) }), request.signal) : undefined,
    ]);
    return assemble(contentHash, cls, det, text);
  }
}

type Found = { value: Part; hit: boolean; source: PartSource };

/** Decodes into the image worker (perf21/22: the pixels never reach this thread), remembered so that `drop` lets it forget them all. */
interface HeldDecodes {
  decode(bytes: Buffer): Promise<DecodedImage>;
  drop(): void;
}

function heldDecodes(limits: ImageLimits): HeldDecodes {
  const made: DecodedImage[] = [];
  return {
    decode: async (bytes) => {
      const img = await decodeImage(bytes, limits, { held: true });
      made.push(img);
      return img;
    },
    drop: () => made.forEach(dropDecoded),
  };
}

/** An image's decode for a part's computation: its wait for a decode slot is in `signal`'s lane and ends when it aborts. */
type Decode = (signal: AbortSignal) => Promise<DecodedImage>;

/**
 * One decode under a `cpu` permit, shared by the parts that ask for it (classification, detections,
 * OCR): its wait is in the best lane of their signals and leaves the line only when every one of
 * them has aborted (a part another request still waits for keeps it); a decode that nobody waited
 * for any more is started again by the next part that asks.
 */
function decodeOnce(cpu: Semaphore, run: () => Promise<DecodedImage>): Decode {
  let current: { shared: SharedAbort; p: Promise<DecodedImage> } | undefined;
  return (signal) => {
    if (current?.shared.join(signal)) return current.p;
    const shared = new SharedAbort();
    shared.join(signal);
    const p = cpu.use(run, false, shared.signal).finally(() => shared.done());
    current = { shared, p };
    return p;
  };
}

/** One image's result from its parts (classification; detections and OCR lines when asked). */
function assemble(contentHash: string, cls: Found, det: Found | undefined, text: Found | undefined): ImageResult {
  const c = (cls.value as Extract<Part, { kind: 'classify' }>).value;
  const lines = text ? (text.value as Extract<Part, { kind: 'ocr' }>).value : undefined;
  return {
    features: {
      ...c,
      detections: det ? (det.value as Extract<Part, { kind: 'detect' }>).value : [],
      ...(lines ? { ocr: lines.map((l) => l.text), ocrLines: lines } : {}),
    },
    cacheHit: cls.hit && (det?.hit ?? true) && (text?.hit ?? true),
    source: [det, text].reduce((s, r) => (r ? costlierSource(s, r.source) : s), cls.source),
    contentHash,
  };
}
