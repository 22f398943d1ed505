/**
 * Which parts of the feature records handed to `process()` this request may use: a part is used
 * only when its key matches the running configuration (keys.ts), its content identity matches
 * the document (the hash of its text, of its image or video reference) and, for a video, the
 * sampling asked; and when OCR is asked, only an image part holding its OCR. Everything else is
 * counted as rejected (with the first reason) and recomputed as if there were no record.
 * Pure: decodes vectors, runs no model and reads no media.
 */
import { contentId, decodeVector, decodeVisual, parseRecord, type VisualVectors } from '../../features/record/index.js';
import type { RequestPlan } from '../stages/request.js';
import type { RecordDocument } from './build.js';
import type { RecordKeys } from './keys.js';
import type { ChunkSpan, ResolvedChunking } from '../chunking.js';

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
}

export function storedFeatures(p: RequestPlan, records: ReadonlyArray<unknown> | undefined, keys: RecordKeys): StoredFeatures {
  const out: StoredFeatures = { docs: [], used: 0, rejected: 0 };
  if (!records || !p.useLocal) return out;
  const reject = (why: string) => {
    out.rejected++;
    out.firstRejection ??= why;
  };
  p.req.documents.forEach((d, i) => {
    const { record, invalid } = parseRecord(records[i]);
    if (invalid) return reject(`documents[${i}]: ${invalid}`);
    if (!record) return;
    const s: StoredDocument = {};
    try {
      const t = record.text;
      if (t && d.text !== undefined) {
        // a part made with this call's chunking carries its chunks; one made without still serves its vectors
        const chunkedKey = p.recordChunking ? keys.textFor(p.recordChunking) : undefined;
        if (t.k !== keys.text && t.k !== chunkedKey) reject(`documents[${i}].text: made by another text model or settings`);
        else if (t.h !== contentId(d.text)) reject(`documents[${i}].text: made from another text`);
        else {
          const passage = decodeVector(t.p);
          s.text = { passage, ...(t.q ? { query: decodeVector(t.q) } : {}) };
          if (t.k === chunkedKey && t.c) s.text.chunks = storedChunks(t.c, passage.length, p.recordChunking!.firstIsWhole);
        }
      }
      const im = record.image;
      if (im && d.image !== undefined) {
        if (!keys.image || im.k !== keys.image) reject(`documents[${i}].image: made by other models or settings`);
        else if (im.r !== contentId(d.image)) reject(`documents[${i}].image: made from another image`);
        else if (p.ocr && !im.ocr) reject(`documents[${i}].image: holds no OCR and OCR is asked`);
        else s.image = { ...decodeVisual(im), ...(im.ocr ? { ocrText: im.ocr.t, ...(im.ocr.v ? { ocrVector: decodeVector(im.ocr.v) } : {}) } : {}) };
      }
      const v = record.video;
      if (v && d.video !== undefined) {
        const fps = d.fps ?? p.fps;
        const maxFrames = d.max_frames ?? p.maxFrames;
        if (!keys.video || v.k !== keys.video(fps, maxFrames)) reject(`documents[${i}].video: made by other models or sampling`);
        else if (v.r !== contentId(d.video)) reject(`documents[${i}].video: made from another video`);
        else if (v.t.length !== v.f.length) reject(`documents[${i}].video: ${v.f.length} frames but ${v.t.length} times`);
        else s.video = { frames: v.f.map(decodeVisual), times: v.t };
      }
    } catch (e) {
      // a malformed vector: the whole record is distrusted
      reject(`documents[${i}]: ${(e as Error).message}`);
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
  if (d.text !== undefined && (record.text?.k !== keys.textFor(o.chunking) || record.text.h !== contentId(d.text))) return false;
  if (d.image !== undefined && (!keys.image || record.image?.k !== keys.image || record.image.r !== contentId(d.image) || (o.ocr && !record.image.ocr))) return false;
  if (d.video !== undefined && (!keys.video || record.video?.k !== keys.video(d.fps ?? o.fps, d.max_frames ?? o.maxFrames) || record.video.r !== contentId(d.video))) return false;
  return true;
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
  for (let k = 0; k < want; k++) vectors.push(flat.slice(k * dim, (k + 1) * dim));
  return { spans, vectors };
}
