/**
 * Query and document vectors for kNN first stages and for ingest (used by search, ingest and the
 * CLI): an image's or video's visual embedding, its text-space "bridge" vector, and a query text's
 * vector. They come from the reranker's own ports and its visual-text vector, so the vectors
 * stored at ingest and asked for at query time are the very vectors the reranker's signals
 * compare. Knows nothing about HTTP or engines.
 */
import type { ChunkingSettings } from './chunking.js';
import type { VisualFeatures } from '../features/records.js';
import { inLane, type Lane } from '../util/lanes.js';
import { unitMean } from '../util/vector.js';
import type { Reranker } from './reranker.js';
import { queryText as readQueryText } from './read-text.js';
import type { RecordDocument, RecordsOutput } from './records/build.js';

/** Query/document vectors for kNN first stages and for ingest. */
export interface Embedder {
  /** Visual embedding of an image, or the mean of a video's sampled frames (L2-normalised); `sampling`: the pipeline's. */
  visual(source: string, kind: 'image' | 'video', signal?: AbortSignal, sampling?: VideoSampling): Promise<Float32Array>;
  /** Text-space (bridge) vector of an image/video, comparable with `queryText` vectors. */
  bridge(source: string, kind: 'image' | 'video', signal?: AbortSignal, sampling?: VideoSampling): Promise<Float32Array>;
  /** Both vectors of one image/video from one feature pass (ingest). */
  /**
   * `want.record`: a feature record the document carries (unpacked): when it holds
   * this media's features made under the running configuration, the vectors come from it and no
   * model runs (a copy that carried records without vectors: held-out probe round 17b).
   */
  mediaVectors(source: string, kind: 'image' | 'video', want: MediaVectorsWanted, signal?: AbortSignal): Promise<{ visual?: Float32Array; bridge?: Float32Array }>;
  /** Text embedding of a query (with the text model's query prefix). */
  queryText(text: string, signal?: AbortSignal): Promise<Float32Array>;
  /** Feature records of documents (Reranker.records), for ingest and backfill to keep in the index. */
  records(documents: RecordDocument[], signal?: AbortSignal, options?: { queryVectors?: boolean; chunking?: ChunkingSettings | false; weights?: Record<string, number> }): Promise<RecordsOutput>;
  /** Signature of the records `records()` makes for documents of this shape (Reranker.recordSignature). */
  recordSignature(shape: RecordSignatureShape): Promise<string>;
  /** Does a kept record (unpacked) cover this document under the running configuration (Reranker.recordCovers)? */
  recordCovers(record: unknown, doc: RecordDocument, chunking?: ChunkingSettings | false, weights?: Record<string, number>): Promise<boolean>;
  /** Does a photo or clip load (Reranker.mediaLoads)? Which of a document's several its vectors and record are made from (`chooseMedia`); without it, the first. */
  mediaLoads?(source: string, kind: 'image' | 'video', sampling?: VideoSampling, signal?: AbortSignal): Promise<boolean>;
}

/**
 * How a video is sampled (a pipeline's `scorer.fps`, `scorer.max_frames`); what is unset is the
 * reranker's (media.fps, media.maxFrames), as records and reranking sample it.
 */
export interface VideoSampling {
  fps?: number;
  maxFrames?: number;
}

/** Which of an image's or video's kNN vectors ingest wants, the record it may take them from, and the pipeline's video sampling. */
export interface MediaVectorsWanted {
  visual: boolean;
  bridge: boolean;
  record?: unknown;
  sampling?: VideoSampling;
}

/** Which parts a pipeline's records hold and how its videos are sampled (default: the reranker's). */
export interface RecordSignatureShape {
  image: boolean;
  video: boolean;
  fps?: number;
  maxFrames?: number;
  queryVectors: boolean;
  /** The pipeline's chunking (its records' text keys depend on it). */
  chunking?: ChunkingSettings | false;
  /** The pipeline's source fields (records/keys.ts RecordShape.sources). */
  sources?: { text: readonly string[]; image: readonly string[]; video: readonly string[] };
  /** The pipeline's signal weights: OCR is kept where `ocr_text` counts (Reranker.recordsOcr). */
  weights?: Record<string, number>;
  /** The field ingest writes the image's OCR text to (`ingest.ocr_text`; records/keys.ts RecordShape.ocrText). */
  ocrText?: string;
}

/**
 * A video's kNN vectors are the unit mean of its frames sampled as the pipeline's records and
 * reranking sample it (fix19b). They were sampled at 1 fps / 16 frames whatever the pipeline said,
 * while records took the pipeline's (1 fps / 32 frames by default) and backfill the pipeline's too:
 * a clip's carried record never served ingest (copying an index of clips through the proxy ran the
 * video models again for every clip), the same clip written by ingest and by backfill got different
 * vectors once it ran past 16 s, and a search by a clip was sampled unlike the clips it ranks.
 */
export class RerankerEmbedder implements Embedder {
  /** `video`: a sampling for every call that names none (default: the reranker's, media.fps / media.maxFrames). */
  constructor(
    private readonly reranker: Reranker,
    private readonly video: VideoSampling = {},
  ) {}

  #sampling(s: VideoSampling | undefined): { fps: number; maxFrames: number } {
    const d = this.reranker.videoSampling();
    return { fps: s?.fps ?? this.video.fps ?? d.fps, maxFrames: s?.maxFrames ?? this.video.maxFrames ?? d.maxFrames };
  }

  private async frames(source: string, kind: 'image' | 'video', detect: boolean, signal?: AbortSignal, sampling?: VideoSampling): Promise<VisualFeatures[]> {
    const ports = await this.reranker.ports();
    if (kind === 'image') return [(await ports.media.image(source, { detect, ocr: false, signal })).features];
    const r = await ports.media.video(source, { detect, ocr: false, signal, ...this.#sampling(sampling) });
    return r.frames;
  }

  async visual(source: string, kind: 'image' | 'video', signal?: AbortSignal, sampling?: VideoSampling): Promise<Float32Array> {
    return visualOf(await this.frames(source, kind, false, signal, sampling));
  }

  async bridge(source: string, kind: 'image' | 'video', signal?: AbortSignal, sampling?: VideoSampling): Promise<Float32Array> {
    return this.#bridgeOf(await this.frames(source, kind, true, signal, sampling));
  }

  async mediaVectors(source: string, kind: 'image' | 'video', want: MediaVectorsWanted, signal?: AbortSignal): Promise<{ visual?: Float32Array; bridge?: Float32Array }> {
    const kept = want.record !== undefined ? await this.reranker.recordVisualVectors(want.record, source, kind, this.#sampling(want.sampling)) : undefined;
    if (kept) {
      return { ...(want.visual ? { visual: meanOf(kept.map((k) => k.embedding)) } : {}), ...(want.bridge ? { bridge: meanOf(kept.map((k) => k.text)) } : {}) };
    }
    const f = await this.frames(source, kind, want.bridge, signal, want.sampling);
    const out: { visual?: Float32Array; bridge?: Float32Array } = {};
    if (want.visual) out.visual = visualOf(f);
    if (want.bridge) out.bridge = await this.#bridgeOf(f);
    return out;
  }

  mediaLoads(source: string, kind: 'image' | 'video', sampling?: VideoSampling, signal?: AbortSignal): Promise<boolean> {
    return this.reranker.mediaLoads(source, kind, this.#sampling(sampling), signal);
  }

  async queryText(given: string, signal?: AbortSignal): Promise<Float32Array> {
    const ports = await this.reranker.ports();
    const text = readQueryText(given); // as the rerank reads it (emoji by name): one vector for both
    // through the text-vector cache the rerank stage reads too: a search embeds its query once
    // (first stage and rerank), and a repeated query not at all
    if (ports.textVectors) return (await ports.textVectors.vectors([text], 'query', signal)).vectors[0]!;
    const [v] = ports.text.embedEach ? [await ports.text.embedEach([text], 'query', [signal])[0]!] : await ports.text.embed([text], 'query');
    return v!;
  }

  async records(documents: RecordDocument[], signal?: AbortSignal, options: { queryVectors?: boolean; chunking?: ChunkingSettings | false; weights?: Record<string, number> } = {}): Promise<RecordsOutput> {
    // sampling as a reranked search will ask for it: the documents' own (the pipeline's), else the reranker's defaults
    return this.reranker.records(documents, { signal, queryVectors: options.queryVectors, chunking: options.chunking, ocr: await this.reranker.recordsOcr(options.weights) });
  }

  recordSignature(shape: RecordSignatureShape): Promise<string> {
    return this.reranker.recordSignature(shape);
  }

  recordCovers(record: unknown, doc: RecordDocument, chunking?: ChunkingSettings | false, weights?: Record<string, number>): Promise<boolean> {
    return this.reranker.recordCovers(record, doc, chunking, weights);
  }

  /** One frame's bridge vector, or the unit mean of the frames' bridge vectors. */
  async #bridgeOf(frames: VisualFeatures[]): Promise<Float32Array> {
    const vs: Float32Array[] = [];
    for (const x of frames) vs.push((await this.reranker.visualTextVector(x)).vector);
    return meanOf(vs);
  }
}

/** One vector as it is, or the unit mean of several (a video's frames). */
const meanOf = (vs: Float32Array[]): Float32Array => (vs.length === 1 ? vs[0]! : unitMean(vs));

/**
 * The same embedder with every call's model work queued in `lane` (util/lanes.ts: its signal is
 * marked, and every queue below reads the mark): what the composition root hands ingest, record
 * write-back and backfill (`background`), so their documents never queue ahead of a search's. The
 * ingest room itself needs no change. A call without a signal gets one that never aborts (as none).
 */
export function embedderInLane(e: Embedder, lane: Lane): Embedder {
  const run = async <T>(signal: AbortSignal | undefined, f: (s: AbortSignal) => Promise<T>): Promise<T> => {
    // one child of the caller's signal in `lane` for all its calls at once (inLane shares it): a
    // `_bulk` embeds each of its documents with the request's one signal
    const marked = inLane(lane, signal);
    try {
      return await f(marked.signal);
    } finally {
      marked.dispose();
    }
  };
  return {
    visual: (source, kind, signal, sampling) => run(signal, (s) => e.visual(source, kind, s, sampling)),
    bridge: (source, kind, signal, sampling) => run(signal, (s) => e.bridge(source, kind, s, sampling)),
    mediaVectors: (source, kind, want, signal) => run(signal, (s) => e.mediaVectors(source, kind, want, s)),
    queryText: (text, signal) => run(signal, (s) => e.queryText(text, s)),
    records: (documents, signal, options) => run(signal, (s) => e.records(documents, s, options)),
    recordSignature: (shape) => e.recordSignature(shape),
    recordCovers: (record, doc, chunking, weights) => e.recordCovers(record, doc, chunking, weights),
    ...(e.mediaLoads ? { mediaLoads: (source: string, kind: 'image' | 'video', sampling?: VideoSampling, signal?: AbortSignal) => run(signal, (s) => e.mediaLoads!(source, kind, sampling, s)) } : {}),
  };
}

/** An image's embedding as it is, or the unit mean of a video's frame embeddings. */
function visualOf(frames: VisualFeatures[]): Float32Array {
  return meanOf(frames.map((x) => x.embedding));
}
