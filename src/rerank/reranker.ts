/**
 * The Reranker: `process({query, documents, …})` → documents ordered by a calibrated, fused score in
 * [0, 1], with the input-order scores, usage, timings and (optionally) an explanation per document.
 *
 * `process()` checks the request and its options (types.ts, options-check.ts), waits for a warm-up
 * under way and for admission (admission.ts), then runs the stages of ./stages in order
 * (stages/run-request.ts: media → text plan → sides → calibrate and fuse → report).
 * A document reranked before (same text, same unchanged local photo) skips the media, text-plan
 * and sides stages: its side is kept across requests (prepared.ts, stages/kept.ts).
 * A document whose media cannot be read scores on what is left, with an `error` in its
 * explanation, unless the request is `strict`. Knows nothing about HTTP or Elasticsearch.
 */
import { usableCores } from '../config/cgroup.js';
import type { Calibrator } from './calibration.js';
import { buildCalibrator } from './calibration.js';
import { isVlrerankError, vlrError } from '../errors.js';
import { cutStages, LIBRARY_QUEUE, videoSamplingOf, type ProcessOptions, type RerankerOptions, type RerankOutcome, type RerankStage } from './options.js';
import { checkProcessOptions, checkRecordOptions, checkRerankerOptions } from './options-check.js';
import type { RerankerPorts, TextVectorsPort } from './ports.js';
import { loadConceptBank, type ConceptBank } from './signals/concept-bank.js';
import { visualVector } from './signals/text-image.js';
import { validateRecordDocuments, validateRerankInput, type NormalizedInput, type RerankInput, type RerankOutput } from './types.js';
import { VisualTextMemo } from './visual-text.js';
import { REHEARSAL_DOCS, Warmup, warmModels, warmupRoles, type WarmupOptions, type WarmupStatus } from './warmup.js';
import { runRequest, type RequestContext } from './stages/run-request.js';
import type { VisualFeatures } from '../features/records.js';
import { TextVectorCache } from '../features/text-vectors.js';
import { fanOutSignal } from '../util/abort.js';
import { runBudget } from './budget.js';
import { Admission, defaultAdmissionLimits } from './admission.js';
import { costCorrector, knownVideoFrames, pastBudget, requestWork } from './admission-cost.js';
import { buildRecords, type RecordDocument, type RecordOptions, type RecordsOutput } from './records/build.js';
import { recordKeys, recordSignature, type RecordKeys, type RecordShape } from './records/keys.js';
import { recordCovers, recordVisuals, standInDocument } from './records/use.js';
import { hasVisibleText } from '../util/visible-text.js';
import { counterOf, resolveChunking, type ChunkingSettings } from './chunking.js';
import { PreparedSides } from './prepared.js';
import { resolveWeights } from './fusion.js';
import { unmetered } from '../util/work-meter.js';

const now = () => performance.now();

export { IMAGE_COST, OCR_COST, requestCost } from './admission-cost.js';

export class Reranker {
  readonly options: RerankerOptions;
  readonly calibrator: Calibrator;
  #ports: Promise<RerankerPorts> | undefined;
  /** The built ports' `retry` (stand-in ports only). */
  #retry: (() => boolean) | undefined;
  #textVectors: TextVectorsPort | undefined;
  #bank: ConceptBank | undefined;
  #keys: RecordKeys | undefined;
  readonly #visual: VisualTextMemo;
  /** Document sides kept across requests (prepared.ts); none with `preparedSides: false`. */
  readonly #prepared: PreparedSides | undefined;
  /** Bounds the requests running and queued (admission.ts); shared by every caller of process(). */
  readonly admission: Admission;
  /** The background warm-up (startWarmup); process() waits for it before its own work. */
  readonly warm = new Warmup();
  /** The process() and records() calls under way (#track). */
  readonly #running = new Set<Promise<unknown>>();
  /** What one request's stages use of this reranker (stages/run-request.ts). */
  readonly #request: RequestContext;

  constructor(options: RerankerOptions = {}) {
    if (options === null || typeof options !== 'object' || Array.isArray(options)) throw vlrError('VLR_BAD_REQUEST', '[options] new Reranker(options): options must be an object (or left out)', { details: { field: 'options' } });
    checkRerankerOptions(options);
    this.options = options;
    this.calibrator = buildCalibrator({ file: options.calibrationFile, overrides: options.calibration });
    this.#visual = new VisualTextMemo({ bridge: options.bridge, visualPassage: options.visualPassage });
    this.#prepared = options.preparedSides === false ? undefined : (options.preparedSides ?? new PreparedSides());
    this.admission =
      options.admissionControl ??
      new Admission(defaultAdmissionLimits(usableCores().cores, { ...(options.admission ?? LIBRARY_QUEUE), maxInFlight: options.maxConcurrentRequests ?? 4 }), { onShed: options.observe?.shed });
    this.#request = {
      options,
      calibrator: this.calibrator,
      visual: this.#visual,
      prepared: this.#prepared,
      ports: () => this.ports(),
      texts: () => this.#texts(),
      conceptBank: () => this.conceptBank(),
      recordKeys: () => this.recordKeys(),
    };
  }

  /**
   * Build (once) the model ports; models themselves load lazily on first use. Stand-in ports (some
   * models could not be set up: `retry`) are built again once they say it is time, so image models
   * pulled after the start serve without a restart; what was derived from them goes with them.
   */
  ports(): Promise<RerankerPorts> {
    if (this.#ports && this.#retry?.()) {
      this.#ports = this.#retry = this.#keys = this.#bank = this.#textVectors = undefined;
      this.#prepared?.clear(); // sides made without the image models
    }
    if (!this.#ports) {
      const p = this.options.ports;
      const built = (this.#ports = (async () => {
        if (typeof p === 'function') return p();
        if (p) return p;
        // imported on first use: a reranker given its ports never loads the ONNX runtime, sharp or ffmpeg plumbing
        const { createLocalPorts } = await import('./backends/local.js');
        return createLocalPorts(this.options);
      })());
      built.then(
        (ports) => this.#ports === built && (this.#retry = ports.retry),
        () => this.#ports === built && (this.#ports = undefined),
      );
    }
    return this.#ports;
  }

  /** The ports' text-vector cache, or one of the reranker's own over the text port. */
  async #texts(): Promise<TextVectorsPort> {
    const ports = await this.ports();
    this.#textVectors ??= ports.textVectors ?? new TextVectorCache(ports.text);
    return this.#textVectors;
  }

  /** The ImageNet concept embeddings (computed once, cached on disk). */
  async conceptBank(): Promise<ConceptBank> {
    if (this.#bank) return this.#bank;
    const ports = await this.ports();
    const text = ports.text;
    // computed once for the server, not for the request that first needs it: no request's usage counts its runs
    this.#bank = await unmetered(() =>
      loadConceptBank(
        ports.media.classNames,
        { id: `${ports.media.classifierId}+${text.id}`, embedPassages: (t) => text.embed(t, 'passage') },
        { cacheDir: this.options.cacheDir ?? '.cache/vlrerank' },
      ),
    );
    return this.#bank;
  }

  /**
   * Load the models now instead of on first use (server warm-up, benchmarks): the text embedder,
   * the concept bank (read from the cache dir, or computed once), and with `media` the image
   * models, by running one small image through the real path (decode, classify, detect).
   */
  async warmup(options: WarmupOptions = {}): Promise<Record<string, string> | undefined> {
    // the rehearsal scores without admission or waiting for the warm-up (it is the warm-up), and unobserved
    const score = (input: unknown, records: unknown[]) => runRequest(this.#request, validateRerankInput(input, { maxDocuments: REHEARSAL_DOCS }), now(), now(), options.signal, { records, recordOrigin: 'index' }, false);
    return warmModels(await this.ports(), () => this.conceptBank(), options, { records: (d) => this.records(d, { signal: options.signal }), score });
  }

  /**
   * Start warmup() in the background (once); requests arriving meanwhile wait for it. The outcome
   * (never thrown) goes to `onDone` and `warm.status()`.
   */
  startWarmup(options: WarmupOptions = {}, onDone?: (s: WarmupStatus) => void): Promise<void> {
    return this.warm.start(() => this.warmup(options), warmupRoles(options), onDone);
  }

  /**
   * Wait for a warm-up under way (at once when none is), holding a place in the admission queue:
   * beyond its bounds VLR_OVERLOADED. True when it had to wait.
   */
  async waitWarm(req: { cost: number; client?: string; signal?: AbortSignal }): Promise<boolean> {
    if (this.warm.state !== 'warming') return false;
    await this.admission.holdUntil(this.warm.wait(), req);
    return true;
  }

  /**
   * The text-space vector of one image's visual features (visual passage ⊕ ConSE): what the
   * search engineer stores as the "bridge" vector at ingest, so kNN over it matches this scorer.
   */
  async visualTextVector(features: VisualFeatures): Promise<{ vector: Float32Array; passage: string; concepts: string[] }> {
    const ports = await this.ports();
    const bank = await this.conceptBank();
    const texts = await this.#texts();
    const v = this.#visual.compute(features, bank, ports.media.classNames);
    const [pv] = (await texts.vectors([v.passage], 'passage')).vectors;
    return { vector: this.#visualText(pv!, v.bridge), passage: v.passage, concepts: v.concepts };
  }

  /** The visual passage's text vector mixed with the ConSE bridge vector, as the scorer mixes them. */
  #visualText(passage: Float32Array, bridge: Float32Array): Float32Array {
    return visualVector(passage, bridge, { passage: this.options.passageMix ?? 0.5 });
  }

  /**
   * How videos are sampled when neither the document nor the pipeline says (media.fps,
   * media.maxFrames): what records are made with, and so what ingest's and a query's video vectors
   * are sampled at too, so that one feature pass serves all three (fix19b).
   */
  videoSampling(): { fps: number; maxFrames: number } {
    return videoSamplingOf({}, this.options);
  }

  /**
   * An image's (or each of a video's sampled frames') visual embedding and `visualTextVector`, taken
   * from a feature record the document carries when the record's part was made under the running
   * configuration (a video's with this sampling) from this very media reference (records/use.ts
   * `recordVisuals`): no model runs, no media read. Undefined when the record does not hold them.
   */
  async recordVisualVectors(record: unknown, source: string, kind: 'image' | 'video', sampling: { fps: number; maxFrames: number }): Promise<Array<{ embedding: Float32Array; text: Float32Array }> | undefined> {
    const frames = recordVisuals(record, source, kind, await this.recordKeys(), sampling);
    return frames?.map((f) => ({ embedding: f.embedding, text: this.#visualText(f.passage, f.bridge) }));
  }

  /**
   * Does a photo or clip load — read, and its features made (kept in the feature store for the
   * scoring or the record that follows)? How a document's several are chosen (pipelines/document.ts
   * `chooseMedia`). An abort is thrown, not answered false.
   */
  async mediaLoads(ref: string, kind: 'image' | 'video', sampling: { fps?: number; maxFrames?: number } = {}, signal?: AbortSignal): Promise<boolean> {
    const { media } = await this.ports();
    const d = this.videoSampling();
    try {
      if (kind === 'image') await media.image(ref, { detect: false, ocr: false, signal });
      else await media.video(ref, { detect: false, ocr: false, signal, fps: sampling.fps ?? d.fps, maxFrames: sampling.maxFrames ?? d.maxFrames });
      return true;
    } catch {
      signal?.throwIfAborted();
      return false;
    }
  }

  /** `input` is typed for callers who can (a typo is a compile error); anything else is checked at run time, each mistake a VLR_BAD_REQUEST. */
  async process(input: RerankInput, given?: ProcessOptions): Promise<RerankOutput> {
    return this.#track(this.#call(input, given));
  }

  /**
   * A call under way, until it settles: close() waits for it before freeing the models. Closed under
   * running calls, the models went away beneath them and each failed as a model fault (VLR_MODEL_RUNTIME
   * "model bge-small-en-v1.5 is closed", a 500) seconds after close() had returned (held-out probe round 23c).
   */
  #track<T>(call: Promise<T>): Promise<T> {
    this.#running.add(call);
    const forget = () => this.#running.delete(call);
    call.then(forget, forget);
    return call;
  }

  async #call(input: RerankInput, given?: ProcessOptions): Promise<RerankOutput> {
    const start = now();
    const checked = checkProcessOptions(given);
    const req = validateRerankInput(input, { maxDocuments: this.options.maxDocuments ?? 1000, standIns: checked.recordStandIns });
    const observe = this.options.observe?.stage;
    if (!observe) return this.#process(req, checked, start);
    // the stages a request finished, for the metrics of one that does not finish (a finished one is observed by report())
    const done: Partial<Record<RerankStage, number>> = {};
    const options: ProcessOptions = { ...checked, onStage: (stage, ms) => ((done[stage] = ms), checked.onStage?.(stage, ms)) };
    try {
      return await this.#process(req, options, start);
    } catch (e) {
      const totalMs = now() - start;
      const err = isVlrerankError(e) ? e : undefined;
      const cut = checked.signal?.aborted || err?.code === 'VLR_TIMEOUT' || err?.code === 'VLR_OVERLOADED' || (e as Error)?.name === 'AbortError';
      const outcome: RerankOutcome = cut ? 'cut' : 'failed';
      for (const [stage, ms] of Object.entries(cutStages(done, totalMs))) observe(stage, ms / 1000, outcome);
      observe('total', totalMs / 1000, outcome);
      throw e;
    }
  }

  async #process(req: NormalizedInput, options: ProcessOptions, start: number): Promise<RerankOutput> {
    // every wait, queued item and cache waiter of this request listens to this one signal, and the
    // caller's signal has one listener however many calls it is given to at once (util/abort.ts)
    const fan = fanOutSignal(options.signal);
    try {
      return await this.#admitted(req, options, start, fan.signal);
    } finally {
      fan.dispose();
    }
  }

  async #admitted(req: NormalizedInput, options: ProcessOptions, start: number, signal: AbortSignal | undefined): Promise<RerankOutput> {
    // a local video is costed at the frames it will give (its header, read before admission), not maxFrames
    const known = await knownVideoFrames(req, this.options, () => this.ports(), signal);
    // videos alone that cannot be decoded within the call's budget: refused now, not a 200 of zeros after it (admission-cost.ts)
    const past = options.budgetMs !== undefined && options.records === undefined ? await pastBudget(req, this.options, known, () => this.ports(), options.budgetMs) : undefined;
    if (past) throw past;
    const work = requestWork(req, this.options, known);
    const cost = work.cost;
    // a warm-up under way loads the very models this request needs: wait for it holding a bounded
    // queue place (refused with 429 beyond admission's bounds), counted as queue time
    await this.waitWarm({ cost, client: options.client, signal });
    // a request's own budget (budget.ts) starts after the warm-up, as a search's does; queueing counts
    const deadline = options.budgetMs !== undefined ? Math.min(options.deadline ?? Infinity, now() + options.budgetMs) : options.deadline;
    const permit = await this.admission.acquire({ cost, work, client: options.client, kind: options.kind ?? 'library', deadline, signal });
    const dequeued = now();
    options.onStage?.('queue', dequeued - start);
    const budget = options.budgetMs !== undefined ? runBudget(signal, options.budgetMs, deadline!) : undefined;
    // a video's frames known only once read (a URL) shrink the permit then (admission-cost.ts)
    const onFrames = known ? costCorrector(req, this.options, known, permit, cost) : undefined;
    try {
      return await runRequest(this.#request, req, start, dequeued, budget?.signal ?? signal, options, true, { budget, onFrames });
    } catch (e) {
      // Aborted by the caller: its reason, as before the start — whichever stage noticed. A media read
      // ended by the abort came out as VLR_INTERNAL "internal error" (held-out probe round 8b).
      if (options.signal?.aborted) throw options.signal.reason;
      throw budget?.expired() ?? e;
    } finally {
      budget?.dispose();
      permit.release();
    }
  }

  /** The keys a feature record's parts must carry to be used by this reranker (records/keys.ts). */
  async recordKeys(): Promise<RecordKeys> {
    if (this.#keys) return this.#keys;
    const ports = await this.ports();
    return (this.#keys = recordKeys(ports.text, ports.media, this.options));
  }

  /**
   * The signature of the records `records()` makes for documents of this shape (records/keys.ts):
   * sampling defaults to the reranker's, OCR is what `records()` would do.
   */
  async recordSignature(shape: Omit<RecordShape, 'fps' | 'maxFrames' | 'ocr' | 'chunking'> & { fps?: number; maxFrames?: number; chunking?: ChunkingSettings | false; weights?: Record<string, number> }): Promise<string> {
    const ports = await this.ports();
    const ocr = this.#recordsOcr(ports, shape.weights);
    const video = this.videoSampling();
    return recordSignature(await this.recordKeys(), { ...shape, fps: shape.fps ?? video.fps, maxFrames: shape.maxFrames ?? video.maxFrames, ocr, chunking: this.#recordChunking(ports, shape.chunking) });
  }

  /**
   * Do records made under these signal weights (a pipeline's `scorer.weights`) hold OCR: the server's
   * `rerank.ocr`, where `ocr_text` counts — as a search plans it (stages/request.ts; round 22a).
   */
  #recordsOcr(ports: RerankerPorts, weights?: Record<string, number>): boolean {
    return Boolean(this.options.ocr && ports.media.ocrAvailable && (resolveWeights(this.options.weights, weights).ocr_text ?? 0) > 0);
  }

  /** Records' OCR under these weights (#recordsOcr), for `records()`'s `ocr` option. */
  async recordsOcr(weights?: Record<string, number>): Promise<boolean> {
    return this.#recordsOcr(await this.ports(), weights);
  }

  /** The chunking records are made with for this setting (none without a token counter), as #buildRecords resolves it. */
  #recordChunking(ports: RerankerPorts, chunking: ChunkingSettings | false | undefined) {
    return counterOf(ports.text) ? resolveChunking(chunking ?? this.options.chunking, ports.text.maxTokens) : undefined;
  }

  /** A stand-in document for a record whose content the index keeps out of `_source`, or why it cannot stand in (records/use.ts). */
  async recordStandIn(record: unknown, o: { query: { text?: string; image?: string; video?: string }; chunking?: ChunkingSettings | false; fps?: number; maxFrames?: number; backend?: string; weights?: Record<string, number> }): Promise<{ document: RecordDocument } | { reason: string }> {
    const ports = await this.ports();
    const qHasText = o.query.text !== undefined && hasVisibleText(o.query.text);
    const video = this.videoSampling();
    const c = { qHasText, qHasVisual: o.query.image !== undefined || o.query.video !== undefined, fps: o.fps ?? video.fps, maxFrames: o.maxFrames ?? video.maxFrames };
    return standInDocument(record, await this.recordKeys(), { ...c, ocr: this.#recordsOcr(ports, o.weights) && qHasText, chunking: this.#recordChunking(ports, o.chunking), clip: ports.clip !== undefined, remote: (o.backend ?? 'local') !== 'local' });
  }

  /** Does this kept record (unpacked) cover this document under the running configuration (records/use.ts)? */
  async recordCovers(record: unknown, doc: RecordDocument, chunking?: ChunkingSettings | false, weights?: Record<string, number>): Promise<boolean> {
    const ports = await this.ports();
    const ocr = this.#recordsOcr(ports, weights);
    return recordCovers(record, doc, await this.recordKeys(), { ...this.videoSampling(), ocr, chunking: this.#recordChunking(ports, chunking) });
  }

  /**
   * Feature records of these documents (input order), computed as `process()` would compute their
   * features and kept in the feature cache: what ingest stores in the index and what `process()`
   * takes back through `options.records`. A document whose image or video cannot be read gets a
   * record without that part, and its error in `errors`.
   */
  records(documents: RecordDocument[], options: RecordOptions = {}): Promise<RecordsOutput> {
    return this.#track(this.#records(documents, options));
  }

  async #records(documents: RecordDocument[], given: RecordOptions): Promise<RecordsOutput> {
    // typed for callers who can; anything else is a VLR_BAD_REQUEST naming the field, as process()'s
    const options = checkRecordOptions(given);
    validateRecordDocuments(documents);
    const ports = await this.ports();
    // every media item and text below listens to one child signal: one listener on the caller's
    const fan = fanOutSignal(options.signal);
    try {
      return await this.#buildRecords(ports, documents, { ...options, signal: fan.signal });
    } finally {
      fan.dispose();
    }
  }

  async #buildRecords(ports: RerankerPorts, documents: RecordDocument[], options: RecordOptions): Promise<RecordsOutput> {
    return buildRecords(documents, options, {
      media: ports.media,
      texts: await this.#texts(),
      bank: () => this.conceptBank(),
      visual: this.#visual,
      keys: await this.recordKeys(),
      defaults: { ...this.videoSampling(), ocr: this.options.ocr ?? false },
      counter: counterOf(ports.text),
      chunking: resolveChunking(options.chunking ?? this.options.chunking, ports.text.maxTokens),
    });
  }

  /**
   * Free the models and their worker thread (a script then ends by itself), once the `process()` and
   * `records()` calls under way have settled — an app's graceful shutdown lets them finish, or stops
   * them sooner through their signals. A call made afterwards loads the models again.
   */
  async close(): Promise<void> {
    while (this.#running.size > 0) await Promise.allSettled([...this.#running]);
    this.#keys = undefined;
    this.#prepared?.clear(); // the next ports read every photo again

    if (!this.#ports) return;
    const p = await this.#ports.catch(() => undefined);
    await p?.close?.();
    this.#ports = this.#retry = undefined;
    this.#textVectors = undefined; // it may live in the ports just closed
  }
}
