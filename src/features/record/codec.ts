/**
 * Feature records between their stored form and the form the signals use: `decodeVisual` /
 * `encodeVisual` turn a frame's float16 base64 vectors into Float32Arrays and back, and
 * `packRecord` / `unpackRecord` are the compact form kept in an index's `binary` field: the
 * record's JSON, deflated, base64 (the float16 base64 inside compresses to ~¾, which pays the
 * outer base64 back). Never computes a feature and never decides whether a record is usable.
 */
import { deflateRawSync, inflateRawSync } from 'node:zlib';
import { fromFloat16Base64, toFloat16Base64 } from '../../util/vector-codec.js';
import type { FeatureRecord, VisualRecordFrame } from './format.js';

/** One image's or frame's stored features, decoded. */
export interface VisualVectors {
  embedding: Float32Array;
  passage: Float32Array;
  passageText: string;
  bridge: Float32Array;
  concepts: string[];
}

export const encodeVector = toFloat16Base64;
export const decodeVector = fromFloat16Base64;

export function encodeVisual(v: VisualVectors): VisualRecordFrame {
  return { e: toFloat16Base64(v.embedding), vp: toFloat16Base64(v.passage), pt: v.passageText, br: toFloat16Base64(v.bridge), c: v.concepts };
}

/** Throws (RangeError) on a malformed vector or a passage/bridge dimension mismatch. */
export function decodeVisual(f: VisualRecordFrame): VisualVectors {
  const passage = fromFloat16Base64(f.vp);
  return { embedding: fromFloat16Base64(f.e), passage, passageText: f.pt, bridge: fromFloat16Base64(f.br, passage.length), concepts: f.c };
}

/** Largest packed record accepted back (a video's 512 frames fit with room to spare). */
const MAX_UNPACKED_BYTES = 16 * 1024 * 1024;

/** The record as stored in an index's `binary` field: base64(deflate-raw(JSON)). */
export function packRecord(r: FeatureRecord): string {
  return deflateRawSync(Buffer.from(JSON.stringify(r))).toString('base64');
}

/** The JSON value of a packed record, or undefined when it cannot be read (then it is recomputed, never trusted). */
export function unpackRecord(packed: unknown): unknown {
  const s = Array.isArray(packed) ? packed[0] : packed;
  if (typeof s !== 'string' || s.length === 0) return undefined;
  try {
    return JSON.parse(inflateRawSync(Buffer.from(s, 'base64'), { maxOutputLength: MAX_UNPACKED_BYTES }).toString('utf8')) as unknown;
  } catch {
    return undefined;
  }
}
