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

export interface StoredDocument {
  text?: { passage?: Float32Array; query?: Float32Array };
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
        if (t.k !== keys.text) reject(`documents[${i}].text: made by another text model or settings`);
        else if (t.h !== contentId(d.text)) reject(`documents[${i}].text: made from another text`);
        else s.text = { passage: decodeVector(t.p), ...(t.q ? { query: decodeVector(t.q) } : {}) };
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
export function recordCovers(x: unknown, d: RecordDocument, keys: RecordKeys, o: { fps: number; maxFrames: number; ocr: boolean }): boolean {
  const { record } = parseRecord(x);
  if (!record) return false;
  if (d.text !== undefined && (record.text?.k !== keys.text || record.text.h !== contentId(d.text))) return false;
  if (d.image !== undefined && (!keys.image || record.image?.k !== keys.image || record.image.r !== contentId(d.image) || (o.ocr && !record.image.ocr))) return false;
  if (d.video !== undefined && (!keys.video || record.video?.k !== keys.video(d.fps ?? o.fps, d.max_frames ?? o.maxFrames) || record.video.r !== contentId(d.video))) return false;
  return true;
}
