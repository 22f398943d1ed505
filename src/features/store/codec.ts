/**
 * The byte form of one cached feature part (parts.ts) for the tiers outside the process (the disk
 * tier, Redis): a 4-byte magic + version, the header's length, a CRC-32 of everything after it
 * (format 2: a vector byte flipped on disk — bit rot, a torn page, a stray write into a folder several
 * processes share — decoded as a plausible vector and was scored, a component off by 1,228; held-out
 * probe round 24c), a small JSON header holding everything that is not a
 * vector (kind, top concepts, detections, OCR lines, frame times …) with each Float32Array
 * replaced by `{"$f16": i}` (or `$f32`), then the vectors themselves, concatenated: embeddings and
 * text vectors as IEEE float16 (util/vector-codec.ts: half the bytes, no scale to carry), class
 * logits and probabilities as float32. Those rank concepts, and float16 flips near-ties: the
 * Grocery garlic photo's 5th concept turned from "wool" to "wig", which changed its visual passage
 * and moved its calibrated score by 0.058 (test/integration/rerank/feature-store-restart.test.ts).
 *
 * Tolerance (stated here, tested in test/unit/features/store-codec.test.ts): a decoded unit vector
 * keeps its cosine to the original within 1e-3, so a signal computed from a stored part equals the
 * on-the-fly one within STORED_SCORE_TOLERANCE.
 *
 * Never decides what to keep or where: it only turns a part into bytes and back, and throws
 * (a RangeError) on bytes it did not write, so a tier can count the entry as unreadable.
 */
import { crc32 } from 'node:zlib';
import { fromFloat16Bytes, toFloat16Bytes } from '../../util/vector-codec.js';
import type { Part } from '../parts.js';

/** Largest difference between a score from a stored part and the same score computed on the fly. */
export const STORED_SCORE_TOLERANCE = 2e-3;

/** The byte format this codec writes (and alone reads): 1 had no checksum, its parts are refused and recomputed. */
const FORMAT = 2;
/** "VLF" + format version. */
const MAGIC = [0x56, 0x4c, 0x46, FORMAT];
/** Magic, header length, CRC-32 of the bytes after these 12. */
const PREFIX = 12;
const KINDS = new Set(['classify', 'detect', 'ocr', 'video', 'text']);
/** Vectors kept exactly (float32): everything that is ranked (top concepts), not compared by cosine. */
const EXACT_FIELDS = new Set(['logits', 'probs']);

/**
 * The key a part's bytes are kept under in the tiers outside the process: the part's key with this
 * codec's format. Two builds of two formats side by side (a rolling upgrade, a roll-back) on one
 * folder or one Redis each read only their own format: under one key each refused the other's bytes
 * as unreadable, computed the part again and overwrote them — a replica of the new build started
 * after a search on the old one ran the models for everything the old had touched, and the old the
 * same after the new (held-out probe round 26a). Under their own keys each keeps what it computed.
 */
export function storedKey(key: string): string {
  return `${key}|vlf${FORMAT}`;
}

/** Part → bytes. */
export function encodePart(part: Part): Uint8Array {
  const blobs: Uint8Array[] = [];
  const header = JSON.stringify(part, (k, v: unknown) => {
    if (v instanceof Float32Array) {
      const exact = EXACT_FIELDS.has(k);
      // float32 in the host's byte order: little-endian on every platform Node ships for but s390x
      blobs.push(exact ? new Uint8Array(v.slice().buffer) : toFloat16Bytes(v));
      return { [exact ? '$f32' : '$f16']: blobs.length - 1, n: v.length };
    }
    return v;
  });
  const head = Buffer.from(header, 'utf8');
  const total = PREFIX + head.byteLength + blobs.reduce((a, b) => a + b.byteLength, 0);
  const out = new Uint8Array(total);
  out.set(MAGIC, 0);
  const view = new DataView(out.buffer);
  view.setUint32(4, head.byteLength, true);
  out.set(head, PREFIX);
  let at = PREFIX + head.byteLength;
  for (const b of blobs) {
    out.set(b, at);
    at += b.byteLength;
  }
  view.setUint32(8, crc32(out.subarray(PREFIX)), true);
  return out;
}

/** Bytes → Part. Throws a RangeError on bytes this codec did not write (foreign, truncated, damaged, other version). */
export function decodePart(bytes: Uint8Array): Part {
  if (bytes.byteLength < PREFIX || MAGIC.some((m, i) => bytes[i] !== m)) throw new RangeError('not a stored feature part (bad magic or version)');
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const headLen = view.getUint32(4, true);
  if (PREFIX + headLen > bytes.byteLength) throw new RangeError('stored feature part is truncated (header)');
  if (crc32(bytes.subarray(PREFIX)) !== view.getUint32(8, true)) throw new RangeError('stored feature part is damaged (checksum)');
  const header = Buffer.from(bytes.buffer, bytes.byteOffset + PREFIX, headLen).toString('utf8');
  // one parse: each vector reference is noted with the object holding it, and filled in below once
  // every reference (and so every vector's offset, in the order the header names them) is known
  const refs: Array<{ holder: Record<string, unknown>; key: string; r: VectorRef }> = [];
  const part = JSON.parse(header, function (this: Record<string, unknown>, key: string, v: unknown) {
    const r = ref(v);
    if (r) refs.push({ holder: this, key, r });
    return v;
  }) as Part;
  const sizes: number[] = [];
  for (const { r } of refs) sizes[r.i] = r.n * r.width;
  const offsets: number[] = [];
  let at = PREFIX + headLen;
  for (let i = 0; i < sizes.length; i++) {
    if (sizes[i] === undefined) throw new RangeError('stored feature part has a gap in its vectors');
    offsets.push(at);
    at += sizes[i]!;
  }
  if (at !== bytes.byteLength) throw new RangeError(`stored feature part has ${bytes.byteLength} bytes, its header says ${at}`);
  for (const { holder, key, r } of refs) {
    const start = bytes.byteOffset + offsets[r.i]!;
    const n = r.n * r.width;
    // float32: a copy of the range (ArrayBuffer.slice, one memcpy): `bytes` may be a view into a
    // Buffer pool or an lmdb page, whose memory must not be kept or shared
    holder[key] = r.width === 2 ? fromFloat16Bytes(new Uint8Array(bytes.buffer, start, n)) : new Float32Array(bytes.buffer.slice(start, start + n));
  }
  if (!part || typeof part !== 'object' || !KINDS.has(part.kind) || part.value === undefined) throw new RangeError('stored feature part has no known kind');
  return part;
}

/** A vector reference of the header: its index, length and bytes per component. */
interface VectorRef {
  i: number;
  n: number;
  width: 2 | 4;
}

function ref(v: unknown): VectorRef | undefined {
  if (typeof v !== 'object' || v === null) return undefined;
  const o = v as { $f16?: unknown; $f32?: unknown; n?: unknown };
  const i = typeof o.$f16 === 'number' ? o.$f16 : typeof o.$f32 === 'number' ? o.$f32 : undefined;
  if (i === undefined || !Number.isInteger(i) || i < 0 || !Number.isInteger(o.n) || (o.n as number) < 0) return undefined;
  return { i, n: o.n as number, width: typeof o.$f16 === 'number' ? 2 : 4 };
}
