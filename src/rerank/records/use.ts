/**
 * Which parts of the feature records handed to `process()` this request may use: a part is used
 * only when its key matches the running configuration (keys.ts), its content identity matches
 * the document (the hash of its text, of its image or video reference) and, for a video, the
 * sampling asked; and when OCR is asked, only an image part holding its OCR. Everything else is
 * counted as rejected (with the first reason) and recomputed as if there were no record.
 * Pure: decodes vectors, runs no model and reads no media.
 */
import { vlrError } from '../../errors.js';
import { checkUnitVector, contentId, decodeUnitVector, decodeVector, decodeVisual, isNewerRecord, parseRecord, UnreadableRecord, type VisualVectors } from '../../features/record/index.js';
import { DimensionMismatch } from '../../util/vector-codec.js';
import type { RequestPlan } from '../stages/request.js';
import type { RecordDocument } from './build.js';
import type { RecordKeys } from './keys.js';
import type { ChunkSpan, ResolvedChunking } from '../chunking.js';
import { documentText } from '../read-text.js';

/** A text's stored chunks: spans (empty: the text fits in one chunk) and the vectors `c.v` held (chunks after the first, or all). */
export interface StoredChunks {
  spans: ChunkSpan[];
  vectors: Float32Array[];
}

export interface StoredDocument {
  text?: { passage?: Float32Array; query?: Float32Array; chunks?: StoredChunks };
  image?: VisualVectors & { ocrText?: string; ocrVector?: Float32Array };
  video?: { frames: VisualVectors[]; times: number[] };
}

export interface StoredFeatures {
  /** Per document, input order (undefined: no usable part). */
  docs: Array<StoredDocument | undefined>;
  /** Parts used. */
  used: number;
  /** Parts (or whole records) present but not usable, and the first reason. */
  rejected: number;
  firstRejection?: string;
  /** Per document, input order: why its record's parts were rejected (undefined: none was). */
  rejections: Array<string[] | undefined>;
  /** Rejected parts by reason class (bounded: the metric's label). */
  byReason: Partial<Record<RejectReason, number>>;
}

/**
 * Why a part was rejected, as a bounded class: made under another configuration (keys), from
 * another content, without the OCR asked, a record a newer build wrote, one of an older feature
 * schema, stored bytes that cannot be unpacked, vectors of another dimension than the text model's,
 * or otherwise corrupt (a vector cut short, not finite, not unit length; a schema violation).
 */
export type RejectReason = 'other_config' | 'other_content' | 'no_ocr' | 'newer' | 'older' | 'unreadable' | 'other_dimension' | 'corrupt';

/** The class of a record `parseRecord` calls invalid. */
function invalidReason(x: unknown): RejectReason {
  if (x instanceof UnreadableRecord) return 'unreadable';
  if (isNewerRecord(x)) return 'newer';
  const v = x && typeof x === 'object' ? (x as { v?: unknown }).v : undefined;
  return typeof v === 'number' && v < 1 ? 'older' : 'corrupt';
}

/** A vector of another length than the one asked: fromFloat16Base64's RangeError. */
const dimensionReason = (e: unknown): RejectReason => (e instanceof DimensionMismatch ? 'other_dimension' : 'corrupt');

/**
 * `standIns[i]`: document i is a stand-in for content the index keeps out of `_source`
 * (standInDocument below): its record's parts are taken as its own, without the content check.
 */
export function storedFeatures(p: RequestPlan, records: ReadonlyArray<unknown> | undefined, keys: RecordKeys, standIns: ReadonlyArray<boolean> = [], fileHashes: ReadonlyArray<string | undefined> = []): StoredFeatures {
  const out = readRecords(p, records, keys, standIns, fileHashes);
  // a stand-in has no content to compute from: a part its record cannot give is the caller's mistake
  p.req.documents.forEach((d, i) => {
    const s = out.docs[i];
    if (standIns[i] === true && ((d.text !== undefined && !s?.text) || (d.image !== undefined && !s?.image) || (d.video !== undefined && !s?.video))) {
      throw vlrError('VLR_BAD_REQUEST', `[options.recordStandIns] documents[${i}] stands in for a feature record that cannot give every part it names${out.firstRejection ? ` (first rejection: ${out.firstRejection})` : ''}`);
    }
  });
  return out;
}

/** `fileHashes[i]`: the content hash of document i's local photo as it is now (undefined: not known, the part's `b` is not checked). */
function readRecords(p: RequestPlan, records: ReadonlyArray<unknown> | undefined, keys: RecordKeys, standIns: ReadonlyArray<boolean>, fileHashes: ReadonlyArray<string | undefined>): StoredFeatures {
  const out: StoredFeatures = { docs: [], used: 0, rejected: 0, rejections: [], byReason: {} };
  if (!records || !p.useLocal) return out;
  // the text model's dimension: a part of unit vectors of another length scored ~0 (probe round 13e)
  const dim = keys.textDim;
  p.req.documents.forEach((d, i) => {
    const reject = (why: string, reason: RejectReason) => {
      out.rejected++;
      out.firstRejection ??= `documents[${i}]${why}`;
      (out.rejections[i] ??= []).push(`${reason}: documents[${i}]${why}`);
      out.byReason[reason] = (out.byReason[reason] ?? 0) + 1;
    };
    const { record, invalid } = parseRecord(records[i]);
    if (invalid) return reject(`: ${invalid}`, invalidReason(records[i]));
    if (!record) return;
    const s: StoredDocument = {};
    const trusted = standIns[i] === true;
    try {
      const t = record.text;
      if (t && d.text !== undefined) {
        // a part made with this call's chunking carries its chunks; one made without still serves its vectors
        const chunkedKey = p.recordChunking ? keys.textFor(p.recordChunking) : undefined;
        if (t.k !== keys.text && t.k !== chunkedKey) reject('.text: made by another text model or settings', 'other_config');
        else if (!trusted && t.h !== contentId(d.text)) reject('.text: made from another text', 'other_content');
        else {
          // vectors are checked (decodeUnitVector): one cut short, NaN or of another length was used as it was (probe round 13e)
          const passage = decodeUnitVector(t.p, dim);
          s.text = { passage, ...(t.q ? { query: decodeUnitVector(t.q, passage.length) } : {}) };
          if (t.k === chunkedKey && t.c) s.text.chunks = storedChunks(t.c, passage.length, p.recordChunking!.firstIsWhole);
        }
      }
      const im = record.image;
      if (im && d.image !== undefined) {
        if (!keys.image || im.k !== keys.image) reject('.image: made by other models or settings', 'other_config');
        else if (!trusted && im.r !== contentId(d.image)) reject('.image: made from another image', 'other_content');
        // the same path, other bytes: a photo replaced in place (held-out probe round 27a)
        else if (!trusted && im.b !== undefined && fileHashes[i] !== undefined && im.b !== contentId(fileHashes[i]!)) reject('.image: made from another copy of its file (replaced since)', 'other_content');
        else if (p.ocr && !ocrCurrent(im.ocr, keys)) reject('.image: holds no OCR read as this OCR reads, and OCR is asked', 'no_ocr');
        else s.image = { ...decodeVisual(im, dim), ...(im.ocr ? { ocrText: im.ocr.t, ...(im.ocr.v ? { ocrVector: decodeUnitVector(im.ocr.v, dim) } : {}) } : {}) };
      }
      const v = record.video;
      if (v && d.video !== undefined) {
        const fps = d.fps ?? p.fps;
        const maxFrames = d.max_frames ?? p.maxFrames;
        if (!keys.video || v.k !== keys.video(fps, maxFrames)) reject('.video: made by other models or sampling', 'other_config');
        else if (!trusted && v.r !== contentId(d.video)) reject('.video: made from another video', 'other_content');
        else if (v.t.length !== v.f.length) reject(`.video: ${v.f.length} frames but ${v.t.length} times`, 'corrupt');
        else s.video = { frames: v.f.map((f) => decodeVisual(f, dim)), times: v.t };
      }
    } catch (e) {
      // a malformed vector: the whole record is distrusted
      reject(`: ${(e as Error).message}`, dimensionReason(e));
      return;
    }
    const n = (s.text ? 1 : 0) + (s.image ? 1 : 0) + (s.video ? 1 : 0);
    if (n) {
      out.used += n;
      out.docs[i] = s;
    }
  });
  return out;
}

/**
 * Does this record (as kept, unpacked) hold every part this document needs, made under these keys
 * from this very content? What write-back and backfill ask to find the documents whose record must
 * be (re)written; `storedFeatures` above decides the same per request.
 */
export function recordCovers(x: unknown, d: RecordDocument, keys: RecordKeys, o: { fps: number; maxFrames: number; ocr: boolean; chunking?: ResolvedChunking }): boolean {
  const { record } = parseRecord(x);
  if (!record) return false;
  // a record is made from the text as read, its runs written once (repeats.ts)
  if (d.text !== undefined && (record.text?.k !== keys.textFor(o.chunking) || record.text.h !== contentId(documentText(d.text)))) return false;
  if (d.image !== undefined && (!keys.image || record.image?.k !== keys.image || record.image.r !== contentId(d.image) || (o.ocr && !ocrCurrent(record.image.ocr, keys)))) return false;
  if (d.video !== undefined && (!keys.video || record.video?.k !== keys.video(d.fps ?? o.fps, d.max_frames ?? o.maxFrames) || record.video.r !== contentId(d.video))) return false;
  // a record whose vectors a search would refuse is rewritten, not taken for current (probe round 13e)
  try {
    if (d.text !== undefined) {
      const dim = decodeUnitVector(record.text!.p, keys.textDim).length;
      if (record.text!.q) decodeUnitVector(record.text!.q, dim);
    }
    if (d.image !== undefined) {
      decodeVisual(record.image!, keys.textDim);
      if (record.image!.ocr?.v) decodeUnitVector(record.image!.ocr.v, keys.textDim);
    }
    if (d.video !== undefined) record.video!.f.forEach((f) => decodeVisual(f, keys.textDim));
  } catch {
    return false;
  }
  return true;
}

/**
 * The visual features a kept record holds for this image or video — what a kNN vector field of it
 * is computed from at ingest — when its part was made under these keys (a video's with this
 * sampling) from this very media reference; else undefined (no part, another configuration or
 * content, a malformed vector). A copy out of Elasticsearch 9.2, which leaves vectors out of
 * `_source`, carried the records but not the vectors, and ingest ran the models again for them
 * (held-out probe round 17b: 66 model runs for 24 photos). Pure.
 */
export function recordVisuals(x: unknown, source: string, kind: 'image' | 'video', keys: RecordKeys, sampling: { fps: number; maxFrames: number }): VisualVectors[] | undefined {
  const { record } = parseRecord(x);
  try {
    if (kind === 'image') {
      const im = record?.image;
      if (!im || !keys.image || im.k !== keys.image || im.r !== contentId(source)) return undefined;
      return [decodeVisual(im, keys.textDim)];
    }
    const v = record?.video;
    if (!v || !keys.video || v.k !== keys.video(sampling.fps, sampling.maxFrames) || v.r !== contentId(source)) return undefined;
    return v.f.map((f) => decodeVisual(f, keys.textDim));
  } catch {
    return undefined;
  }
}

/** What a stand-in must hold for one request: the query's kinds and the settings records are read with. */
export interface StandInContext {
  qHasText: boolean;
  qHasVisual: boolean;
  fps: number;
  maxFrames: number;
  /** OCR is a signal of this request (an image part must hold its OCR). */
  ocr: boolean;
  /** The chunking records are made and read with (keys.textFor). */
  chunking?: ResolvedChunking;
  /** A CLIP model compares the query text with each document image itself. */
  clip: boolean;
  /** Remote workers score too: they read each document itself. */
  remote: boolean;
}

/**
 * A stand-in for a document whose content the index keeps out of `_source` (`_source.excludes`
 * naming the pipeline's fields, a disabled `_source`): its kept feature record alone, when the
 * record holds usable parts made under the running configuration (keys, chunking, sampling, OCR)
 * with every vector this query compares, so that scoring it runs no model and reads no media.
 * Its content cannot be checked against the record (there is none to hash): the record is taken
 * as the document's own, as the proxy wrote it with the document's every write (ingest/records.ts).
 * The stand-in's values only name the parts it has: `storedFeatures` with `standIns` skips the
 * content check, and nothing reads them. Otherwise the reason it cannot stand in. Pure.
 */
export function standInDocument(x: unknown, keys: RecordKeys, c: StandInContext): { document: RecordDocument } | { reason: string } {
  if (c.remote) return { reason: 'the remote backend reads each document itself' };
  const { record, invalid } = parseRecord(x);
  if (invalid) return { reason: `its feature record is unusable (${invalid})` };
  if (!record) return { reason: 'it has no feature record' };
  const { text: t, image: im, video: v } = record;
  if (!t && !im && !v) return { reason: 'its feature record holds no part' };
  try {
    if (t) {
      if (t.k !== keys.textFor(c.chunking)) return { reason: 'its record\'s text part was made by another text model or chunking' };
      if (c.chunking && !t.c) return { reason: 'its record\'s text part holds no chunks' };
      if (c.qHasVisual && !t.q) return { reason: 'its record\'s text part holds no query-side vector, which an image or video query compares' };
      const dim = decodeUnitVector(t.p, keys.textDim).length;
      if (t.q) decodeUnitVector(t.q, dim);
      if (c.chunking && c.qHasText) storedChunks(t.c!, dim, c.chunking.firstIsWhole);
    }
    if (im) {
      if (!keys.image || im.k !== keys.image) return { reason: 'its record\'s image part was made by other models or settings' };
      if (c.ocr && !ocrCurrent(im.ocr, keys)) return { reason: im.ocr ? 'its record\'s OCR text was read another way (before the OCR reading changed) and OCR is asked' : 'its record\'s image part holds no OCR and OCR is asked' };
      if (c.clip && c.qHasText) return { reason: 'the CLIP model reads the image itself' };
      decodeVisual(im, keys.textDim);
    }
    if (v) {
      if (!keys.video || v.k !== keys.video(c.fps, c.maxFrames)) return { reason: 'its record\'s video part was made by other models or sampling' };
      if (v.t.length !== v.f.length) return { reason: `its record's video part has ${v.f.length} frames but ${v.t.length} times` };
      v.f.forEach((f) => decodeVisual(f, keys.textDim));
    }
  } catch (e) {
    return { reason: `its feature record is unusable (${(e as Error).message})` };
  }
  return { document: { ...(t ? { text: '' } : {}), ...(im ? { image: `record:${im.r}` } : {}), ...(v ? { video: `record:${v.r}` } : {}) } };
}

/** An image part's OCR, read as the running OCR reads lines (a record's OCR text read otherwise is recomputed: ocr25). */
function ocrCurrent(ocr: { g?: string } | undefined, keys: RecordKeys): boolean {
  return ocr !== undefined && (keys.ocrReading === undefined || ocr.g === keys.ocrReading);
}

/** Throws (RangeError) when the offsets and the vectors do not agree. */
function storedChunks(c: { o: number[]; v?: string }, dim: number, firstIsWhole: boolean): StoredChunks {
  if (c.o.length % 2) throw new RangeError('chunk offsets come in pairs');
  const spans: ChunkSpan[] = [];
  for (let k = 0; k < c.o.length; k += 2) spans.push({ start: c.o[k]!, end: c.o[k + 1]! });
  const want = spans.length === 0 ? 0 : spans.length - (firstIsWhole ? 1 : 0);
  const flat = c.v ? decodeVector(c.v) : new Float32Array(0);
  if (flat.length !== want * dim) throw new RangeError(`${spans.length} chunks need ${want} vectors of ${dim}, the record holds ${flat.length / dim}`);
  const vectors: Float32Array[] = [];
  for (let k = 0; k < want; k++) vectors.push(checkUnitVector(flat.slice(k * dim, (k + 1) * dim)));
  return { spans, vectors };
}
