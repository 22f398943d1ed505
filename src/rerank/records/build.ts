/**
 * Make the feature records of documents (issue 12 §1): the features `process()` would compute for
 * them — text passage (and query-side) vectors; each image's or sampled frame's EfficientNet
 * embedding, visual passage (text and vector), ConSE bridge vector and top concepts; OCR text and
 * vector when asked — through the same media port, text-vector cache and visual-text memo, so a
 * record scores as the on-the-fly path does (which uses its vectors as stored, float16). Each part is stamped with its
 * key (keys.ts) and the identity of the content it came from. Deterministic: the same document
 * under the same configuration gives the same record.
 * Never knows where a record will be kept.
 */
import { toVlrerankError } from '../../errors.js';
import { contentId, encodeVector, encodeVisual, RECORD_SCHEMA_VERSION, type FeatureRecord, type VisualRecordFrame } from '../../features/record/index.js';
import type { VisualFeatures } from '../../features/records.js';
import { Semaphore } from '../../util/semaphore.js';
import type { MediaPort, TextVectorsPort } from '../ports.js';
import type { ConceptBank } from '../signals/concept-bank.js';
import type { VisualText, VisualTextMemo } from '../visual-text.js';
import type { RecordKeys } from './keys.js';
import { documentText } from '../read-text.js';
import { chunkSpans, chunkTexts, type ChunkingSettings, type ResolvedChunking, type TokenCounter } from '../chunking.js';

/** A document as the reranker takes it. */
export interface RecordDocument {
  text?: string;
  image?: string;
  video?: string;
  fps?: number;
  max_frames?: number;
}

export interface RecordOptions {
  /** Video sampling (documents' own fps / max_frames win); default the reranker's. */
  fps?: number;
  maxFrames?: number;
  /** Keep images' OCR text and vector (default the reranker's `ocr`). */
  ocr?: boolean;
  /** Keep the text's query-side vector too, for image and video queries against text (default true). */
  queryVectors?: boolean;
  /** Chunk long texts (a pipeline's setting), over the reranker's `chunking`. */
  chunking?: ChunkingSettings | false;
  signal?: AbortSignal;
}

export interface RecordsOutput {
  /** Input order; a document with nothing to keep gets `{v}` alone. */
  records: FeatureRecord[];
  /** Documents whose image or video could not be read (their record lacks that part). */
  errors: Array<{ index: number; code: string; reason: string }>;
  /**
   * Input order: did any of the document's features need a model run (`false`: every one was read
   * from a feature-store tier, or came from another document's run)? Backfill compares only the
   * computed ones with its model-alone ceiling. Absent: not told (take them as computed).
   */
  computed?: boolean[];
}

export interface BuildDeps {
  media: MediaPort;
  texts: TextVectorsPort;
  bank: () => Promise<ConceptBank>;
  visual: VisualTextMemo;
  keys: RecordKeys;
  defaults: { fps: number; maxFrames: number; ocr: boolean };
  /** The chunking records are made with (resolved against the text model's window), and the token counter it needs. */
  chunking?: ResolvedChunking;
  counter?: TokenCounter;
}

interface Visuals {
  /** A model ran for this document's media or their visual passages. */
  computed?: boolean;
  image?: VisualFeatures;
  /** The content hash of the image's bytes read (the record's `b`), when the port tells it. */
  imageHash?: string;
  video?: { frames: VisualFeatures[]; times: number[]; fps: number; maxFrames: number };
  /** The image's and frames' visual texts, in that order, and the passage vectors of those and of the OCR text (last). */
  texts?: { visual: VisualText[]; ocrText?: string; vectors: Float32Array[] };
}

export async function buildRecords(given: RecordDocument[], o: RecordOptions, d: BuildDeps): Promise<RecordsOutput> {
  // each text as a search reads it: emoji by name, its runs of a repeated word or phrase written once (read-text.ts)
  const documents = given.map((doc) => (doc.text === undefined ? doc : { ...doc, text: documentText(doc.text) }));
  const errors: RecordsOutput['errors'] = [];
  const ocr = (o.ocr ?? d.defaults.ocr) && d.media.ocrAvailable;
  const visualKeys = d.keys.image !== undefined && d.keys.video !== undefined;
  const chunking = d.counter ? d.chunking : undefined;
  // 1. the documents' own texts need no media: they go to the text model first, one batched call per
  // side, so their forward passes overlap the image models' instead of waiting for every photo of
  // the page (idle text model, then idle image models: backfill's gap to its model-alone ceiling)
  const passages: string[] = [];
  const queries: string[] = [];
  const at = (list: string[], t: string) => list.push(t) - 1;
  const plans = documents.map((doc) => {
    const spans = chunking && doc.text !== undefined ? chunkSpans(doc.text, chunking, d.counter!) : undefined;
    return {
      spans,
      chunkIdx: spans ? chunkTexts(doc.text!, spans, chunking!).slice(chunking!.firstIsWhole ? 1 : 0).map((t) => at(passages, t)) : [],
      textP: doc.text !== undefined ? at(passages, doc.text) : -1,
      textQ: doc.text !== undefined && (o.queryVectors ?? true) ? at(queries, doc.text) : -1,
    };
  });
  const ownTexts = Promise.all([
    passages.length ? d.texts.vectors(passages, 'passage', o.signal) : undefined,
    queries.length ? d.texts.vectors(queries, 'query', o.signal) : undefined,
  ]);
  ownTexts.catch(() => undefined); // awaited below; not unhandled while the media run
  // 2. media features, every document at once (the model queues batch them); each document's
  // visual passages and OCR text go to the text model as soon as its own media are read
  const limit = new Semaphore(16);
  let bank: Promise<ConceptBank> | undefined;
  const visuals: Visuals[] = await Promise.all(
    documents.map(async (doc, index) => {
      const v: Visuals = {};
      if (!visualKeys || (doc.image === undefined && doc.video === undefined)) return v;
      const release = await limit.acquire(o.signal);
      try {
        if (doc.image !== undefined) {
          const r = await d.media.image(doc.image, { detect: true, ocr, signal: o.signal });
          v.image = r.features;
          v.imageHash = r.contentHash;
          v.computed ||= !r.cacheHit;
        }
        if (doc.video !== undefined) {
          const fps = doc.fps ?? o.fps ?? d.defaults.fps;
          const maxFrames = doc.max_frames ?? o.maxFrames ?? d.defaults.maxFrames;
          const r = await d.media.video(doc.video, { detect: true, ocr: false, fps, maxFrames, signal: o.signal });
          v.video = { frames: r.frames, times: r.times, fps, maxFrames };
          v.computed ||= !r.cacheHit;
        }
      } catch (e) {
        o.signal?.throwIfAborted();
        const err = toVlrerankError(e);
        errors.push({ index, code: err.code, reason: err.message });
      } finally {
        release();
      }
      const frames = [...(v.image ? [v.image] : []), ...(v.video?.frames ?? [])];
      if (!frames.length) return v;
      const b = await (bank ??= d.bank());
      const visual = frames.map((f) => d.visual.of(f, b, d.media.classNames));
      const ocrText = ocr && v.image?.ocr && v.image.ocr.length > 0 ? v.image.ocr.join('\n') : undefined;
      const texts = [...visual.map((x) => x.passage), ...(ocrText !== undefined ? [ocrText] : [])];
      const tv = await d.texts.vectors(texts, 'passage', o.signal);
      v.texts = { visual, ocrText, vectors: tv.vectors };
      v.computed ||= tv.hit.some((h) => !h);
      return v;
    }),
  );
  const [pv, qv] = await ownTexts;
  const frame = (f: VisualFeatures, vt: VisualText, vector: Float32Array): VisualRecordFrame =>
    encodeVisual({ embedding: f.embedding, passage: vector, passageText: vt.passage, bridge: vt.bridge, concepts: vt.concepts });
  // 3. the records
  const records = documents.map((doc, i): FeatureRecord => {
    const pl = plans[i]!;
    const v = visuals[i]!;
    const r: FeatureRecord = { v: RECORD_SCHEMA_VERSION };
    if (doc.text !== undefined) {
      r.text = { k: d.keys.textFor(chunking), h: contentId(doc.text), p: encodeVector(pv!.vectors[pl.textP]!), ...(pl.textQ >= 0 ? { q: encodeVector(qv!.vectors[pl.textQ]!) } : {}) };
      if (chunking) r.text.c = packChunks(pl.spans, pl.chunkIdx.map((k) => pv!.vectors[k]!));
    }
    const t = v.texts;
    const first = v.image ? 1 : 0;
    if (v.image && t && doc.image !== undefined) {
      const ocrVector = t.ocrText !== undefined ? t.vectors[t.visual.length] : undefined;
      r.image = { k: d.keys.image!, r: contentId(doc.image), ...(v.imageHash ? { b: contentId(v.imageHash) } : {}), ...frame(v.image, t.visual[0]!, t.vectors[0]!), ...(ocr ? { ocr: { t: t.ocrText ?? '', ...(ocrVector ? { v: encodeVector(ocrVector) } : {}), ...(d.keys.ocrReading ? { g: d.keys.ocrReading } : {}) } } : {}) };
    }
    if (v.video && t && doc.video !== undefined) {
      r.video = { k: d.keys.video!(v.video.fps, v.video.maxFrames), r: contentId(doc.video), fps: v.video.fps, mf: v.video.maxFrames, t: v.video.times, f: v.video.frames.map((f, j) => frame(f, t.visual[first + j]!, t.vectors[first + j]!)) };
    }
    return r;
  });
  const computed = plans.map((pl, i) => !!visuals[i]!.computed || [pl.textP, ...pl.chunkIdx].some((k) => k >= 0 && !pv!.hit[k]) || (pl.textQ >= 0 && !qv!.hit[pl.textQ]));
  return { records, errors: errors.sort((a, b) => a.index - b.index), computed };
}

/** A text's chunks as a record keeps them: flat offsets, and the vectors one after another in one float16 string. */
function packChunks(spans: Array<{ start: number; end: number }> | undefined, vectors: Float32Array[]): { o: number[]; v?: string } {
  if (!spans) return { o: [] };
  const flat = new Float32Array(vectors.reduce((n, v) => n + v.length, 0));
  let at = 0;
  for (const v of vectors) {
    flat.set(v, at);
    at += v.length;
  }
  return { o: spans.flatMap((s) => [s.start, s.end]), ...(vectors.length ? { v: encodeVector(flat) } : {}) };
}
