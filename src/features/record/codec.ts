/**
 * Feature records between their stored form and the form the signals use: `decodeVisual` /
 * `encodeVisual` turn a frame's float16 base64 vectors into Float32Arrays and back, and
 * `packRecord` / `unpackRecord` are the compact form kept in an index's `binary` field: the
 * record's JSON, deflated, base64 (the float16 base64 inside compresses to ~¾, which pays the
 * outer base64 back). Never computes a feature and never decides whether a record is usable.
 */
import { deflateRawSync, inflateRawSync } from 'node:zlib';
import { fromFloat16Base64, toFloat16Base64 } from '../../util/vector-codec.js';
import { UnreadableRecord, type FeatureRecord, type VisualRecordFrame } from './format.js';

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

/**
 * How far a stored vector's length may be from 1: every vector a record keeps is a model's unit
 * vector (the text model's, the image model's, their unit means), and float16 moves a norm by ~1e-3.
 */
const UNIT_TOLERANCE = 0.01;

/**
 * A stored unit vector, decoded and checked: non-empty, every value finite, of unit length (and of
 * `expectDim` values when given). A record carrying this configuration's keys but a vector cut
 * short, NaN or of another length was used as it was (held-out probe round 13e: the document scored
 * 0.000001 or 0.999999 where a fresh process gives 0.97); now it throws (RangeError), and the part
 * is rejected and computed again.
 */
export function decodeUnitVector(s: string, expectDim?: number): Float32Array {
  return checkUnitVector(fromFloat16Base64(s, expectDim));
}

/** `v` itself when it is non-empty, finite and of unit length; else a RangeError saying which. */
export function checkUnitVector(v: Float32Array): Float32Array {
  if (v.length === 0) throw new RangeError('an empty vector');
  let n = 0;
  for (let i = 0; i < v.length; i++) n += v[i]! * v[i]!;
  if (!Number.isFinite(n)) throw new RangeError('a vector holding values that are not finite');
  const norm = Math.sqrt(n);
  if (Math.abs(norm - 1) > UNIT_TOLERANCE) throw new RangeError(`a vector of length ${norm.toPrecision(4)} where a model's is 1`);
  return v;
}

export function encodeVisual(v: VisualVectors): VisualRecordFrame {
  return { e: toFloat16Base64(v.embedding), vp: toFloat16Base64(v.passage), pt: v.passageText, br: toFloat16Base64(v.bridge), c: v.concepts };
}

/**
 * Throws (RangeError) on a malformed vector (decodeUnitVector) or a passage/bridge dimension
 * mismatch; `textDim`: the text model's dimension, which the passage and bridge vectors (text space) must have.
 */
export function decodeVisual(f: VisualRecordFrame, textDim?: number): VisualVectors {
  const passage = decodeUnitVector(f.vp, textDim);
  return { embedding: decodeUnitVector(f.e), passage, passageText: f.pt, bridge: decodeUnitVector(f.br, passage.length), concepts: f.c };
}

/** Largest packed record accepted back (a video's 512 frames fit with room to spare). */
const MAX_UNPACKED_BYTES = 16 * 1024 * 1024;

/** The record as stored in an index's `binary` field: base64(deflate-raw(JSON)). */
export function packRecord(r: FeatureRecord): string {
  return deflateRawSync(Buffer.from(JSON.stringify(r))).toString('base64');
}

/**
 * The JSON value of a packed record; undefined when there is none; an `UnreadableRecord` when the
 * stored value cannot be read (then it is recomputed, never trusted).
 */
export function unpackRecord(packed: unknown): unknown {
  const s = Array.isArray(packed) ? packed[0] : packed;
  if (s === undefined || s === null || s === '') return undefined;
  if (typeof s !== 'string') return new UnreadableRecord(`the stored record is a ${typeof s}, not base64`);
  try {
    return JSON.parse(inflateRawSync(Buffer.from(s, 'base64'), { maxOutputLength: MAX_UNPACKED_BYTES }).toString('utf8')) as unknown;
  } catch (e) {
    return new UnreadableRecord(`the stored record cannot be unpacked (${(e as Error).message.split('\n')[0]})`);
  }
}
