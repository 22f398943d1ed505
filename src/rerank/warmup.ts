/**
 * The reranker's warm-up: models loaded before the first request instead of during it.
 *
 * `warmModels` is the routine: the text embedder, the concept bank, the float16 decode table that
 * every stored vector is read through (index records, the disk and Redis tiers), and (for pipelines
 * with image or video fields) the image models, by running one small image through the real path.
 * Last, a rehearsal of the warm path (`rehearse`): one document's feature record made, packed as
 * an index keeps it, unpacked and scored from. Everything a first reranked search after a restart
 * did for the first time (the record schema's first validation, zlib's first inflate, the first
 * decode and scoring before V8 had compiled them) cost it 4–14× the second identical search's
 * rerank stage (bench:restart, grocery); the rehearsal pays that here instead.
 * `Warmup` is its state: idle (nothing asked: models load lazily on first use) → warming → ready |
 * failed. Requests that arrive while it runs wait for it (`wait()`), so a search's rerank budget
 * starts once the models are in memory, not while they load. A failed warm-up is reported, never
 * thrown at waiters: they proceed and load lazily as before (and fail, or fail open, on their own).
 * Must never block the caller of `start()`.
 */
import { toVlrerankError } from '../errors.js';
import { packRecord, unpackRecord, type FeatureRecord } from '../features/record/index.js';
import { prepareFloat16 } from '../util/vector-codec.js';
import type { RerankerPorts } from './ports.js';

/** A 64×64 grey PNG: the image the warm-up runs through the image models (decode, classify, detect). */
const WARMUP_IMAGE =
  'data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAEAAAABACAIAAAAlC+aJAAAACXBIWXMAAAPoAAAD6AG1e1JrAAAAS0lEQVRo3u3PMQ0AAAwDoEqv9ErYvQQckD4XAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAYHLAB8+AWkItYjrAAAAAElFTkSuQmCC';

export interface WarmupOptions {
  /** Also run the image models (the pipelines have image or video fields). Default true. */
  media?: boolean;
  /** Also run OCR (a pipeline weights `image_ocr_text`, or `rerank.ocr`): its models load here, not in a search. Default false. */
  ocr?: boolean;
  /** Stops the warm-up between its steps (server shutdown). */
  signal?: AbortSignal;
}

/** What the rehearsal needs of the reranker: records of documents, and one scoring from them that does not wait for the warm-up. */
export interface WarmPath {
  records(documents: Array<{ text?: string; image?: string }>): Promise<{ records: FeatureRecord[] }>;
  score(input: { query: { text: string }; documents: Array<{ text?: string; image?: string }> }, records: unknown[]): Promise<unknown>;
}

/** What a warm-up with these options loads, by role (reported in `Warmup.status().what`). */
export function warmupRoles(options: WarmupOptions = {}): string[] {
  return ['text-embedder', 'concept-bank', ...((options.media ?? true) ? ['image-classifier', 'object-detector'] : []), ...(options.ocr ? ['ocr'] : [])];
}

/**
 * Load the models now: one text through the text embedder, the concept bank (read from its cache
 * dir, or computed once), the float16 decode table, and with `media` one image through decode,
 * classify and detect.
 */
export async function warmModels(ports: RerankerPorts, conceptBank: () => Promise<unknown>, options: WarmupOptions = {}, warmPath?: WarmPath): Promise<Record<string, string> | undefined> {
  const signal = options.signal;
  signal?.throwIfAborted();
  await ports.text.embed(['warm-up'], 'query');
  signal?.throwIfAborted();
  await conceptBank();
  signal?.throwIfAborted();
  // the first stored vector read would otherwise build it inside a search's budget
  prepareFloat16();
  if (options.media ?? true) await ports.media.image(WARMUP_IMAGE, { detect: true, ocr: false, signal });
  // every OCR session (a grey square has no text: reading it would load the detector alone)
  if (options.ocr && ports.media.ocrAvailable) await ports.media.loadOcr?.();
  signal?.throwIfAborted();
  if (warmPath) await rehearse(warmPath, options.media ?? true);
  // OCR asked (rerank.ocr, an image_ocr_text weight) but its model missing: the rest serves, said in
  // health — before, health listed "ocr" as warmed and images were read without their text, unsaid
  if (options.ocr && !ports.media.ocrAvailable) return { ocr: ports.media.ocrUnavailable ?? 'no OCR model on this install' };
  return undefined;
}

/**
 * One reranking from a stored record, as a search after a restart does it: the record made (the
 * warm-up image's features are in the cache by now: no extra image model run), packed and unpacked
 * as the index keeps it, validated, decoded and scored.
 */
export async function rehearse(path: WarmPath, media: boolean): Promise<unknown> {
  const doc = media ? { text: 'warm-up', image: WARMUP_IMAGE } : { text: 'warm-up' };
  const [record] = (await path.records([doc])).records;
  // a window's worth of the same document, twice: enough calls for V8 to compile the decode and
  // scoring loops, as a first search of REHEARSAL_DOCS hits would otherwise do inside its budget
  const documents = Array.from({ length: REHEARSAL_DOCS }, () => doc);
  let out: unknown;
  for (let round = 0; round < 2; round++) out = await path.score({ query: { text: 'warm-up' }, documents }, documents.map(() => unpackRecord(packRecord(record!))));
  return out;
}

/** Documents of each rehearsal round. */
export const REHEARSAL_DOCS = 16;

export type WarmupState = 'idle' | 'warming' | 'ready' | 'failed';

export interface WarmupStatus {
  state: WarmupState;
  /** What is being (or was) warmed, e.g. the model roles. */
  what?: string[];
  /** Time the warm-up took (ready / failed) or has taken so far (warming). */
  ms?: number;
  /** Why it failed: the error code and message. */
  code?: string;
  reason?: string;
  /** Roles asked for that cannot load on this install (OCR without its model), each with why: the rest warmed. */
  unavailable?: Record<string, string>;
}

export class Warmup {
  #state: WarmupState = 'idle';
  #what: string[] | undefined;
  #t0 = 0;
  #ms = 0;
  #error: { code: string; reason: string } | undefined;
  #unavailable: Record<string, string> | undefined;
  #running: Promise<void> | undefined;

  get state(): WarmupState {
    return this.#state;
  }

  /**
   * Start `run` in the background (once: a second call returns the first warm-up, unless that one
   * failed: then it runs again). The returned
   * promise always resolves; the outcome is in `status()` (and given to `onDone`).
   */
  start(run: () => Promise<Record<string, string> | undefined | void>, what: string[] = [], onDone?: (s: WarmupStatus) => void): Promise<void> {
    // once — unless it failed: a warm-up tried again (models pulled after the start) may succeed
    if (this.#running && this.#state !== 'failed') return this.#running;
    this.#state = 'warming';
    this.#error = undefined;
    this.#unavailable = undefined;
    this.#what = what;
    this.#t0 = performance.now();
    this.#running = (async () => {
      try {
        const unavailable = (await run()) ?? undefined;
        this.#unavailable = unavailable;
        if (unavailable) this.#what = what.filter((w) => !(w in unavailable));
        this.#state = 'ready';
      } catch (e) {
        const err = toVlrerankError(e);
        this.#error = { code: err.code, reason: err.code === 'VLR_INTERNAL' ? String((err.cause as Error)?.message ?? err.message) : err.message };
        this.#state = 'failed';
      } finally {
        this.#ms = performance.now() - this.#t0;
      }
      onDone?.(this.status());
    })();
    return this.#running;
  }

  /**
   * Resolves when no warm-up is under way: at once when idle, ready or failed, else when it ends
   * (whatever the outcome). Returns whether it had to wait. `signal` ends the wait with its reason.
   */
  async wait(signal?: AbortSignal): Promise<boolean> {
    if (this.#state !== 'warming') return false;
    signal?.throwIfAborted();
    const running = this.#running!;
    if (!signal) {
      await running;
      return true;
    }
    await new Promise<void>((resolve, reject) => {
      const onAbort = () => reject(signal.reason);
      signal.addEventListener('abort', onAbort, { once: true });
      void running.then(() => {
        signal.removeEventListener('abort', onAbort);
        resolve();
      });
    });
    return true;
  }

  status(): WarmupStatus {
    const s: WarmupStatus = { state: this.#state };
    if (this.#what?.length) s.what = this.#what;
    if (this.#state === 'warming') s.ms = Math.round(performance.now() - this.#t0);
    else if (this.#state !== 'idle') s.ms = Math.round(this.#ms);
    if (this.#error) Object.assign(s, this.#error);
    if (this.#unavailable) s.unavailable = this.#unavailable;
    return s;
  }
}
