/**
 * Compact, exact-length encodings of feature vectors for everything that keeps them outside the
 * process (the index, the disk tier, Redis): IEEE float16, little-endian, as bytes or base64.
 * float16 keeps 11 significant bits: a unit vector's cosine against a float32 query moves by
 * < 1e-3 (measured in test/unit/util/vector-codec.test.ts), half the bytes of float32 and no scale
 * to carry (int8 would need one per vector). The rounding is @petamoriken/float16's
 * (round-to-nearest-even, the same rounding numpy's float16 uses): decoding takes its values, and
 * encoding, written out below for speed, is checked against it bit for bit. Decoding reads a table of the 65,536 float16 values (float32 holds each exactly), filled once by
 * the library: its per-element paths (a Proxy behind `Float16Array`, argument spreading in
 * `getFloat16`) took 140–600 ms to decode the 100 records of one SciFact rerank window on a busy
 * 2-core machine. The table is filled by one bulk conversion (`Float32Array.from` over a
 * `Float16Array` of every bit pattern: ~10× faster than 65,536 `getFloat16` calls, which cost the
 * first search of a fresh process up to 0.8 s on a loaded machine), and `prepareFloat16()` lets the
 * warm-up fill it before any search. Encoding rounds each component from its float32 bits
 * (round-to-nearest-even, `halfBits`): the same bytes as the library's `setFloat16` for every
 * float32 value (checked against it over every sign, exponent and low-mantissa pattern in
 * test/unit/util/vector-codec.test.ts), ~100× faster than its `new Float16Array(float32)` path
 * (165 µs for one 384-dimensional vector on these machines: a new query's vector is rounded so,
 * between its model run and its request's scores).
 * Never imports anything but that library.
 */
import { Float16Array } from '@petamoriken/float16';

/** Whether this host stores a Uint16Array little-endian (every platform Node ships for but s390x). */
const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

let table: Float32Array | undefined;
/** Every float16 bit pattern's value, as the library converts it (built on first use, or by `prepareFloat16`). */
function float16Table(): Float32Array {
  if (table) return table;
  const bits = new Uint16Array(65536);
  for (let b = 0; b < 65536; b++) bits[b] = b;
  // a Float16Array reads its elements in host order, as the Uint16Array wrote them: element b is pattern b
  return (table = Float32Array.from(new Float16Array(bits.buffer)));
}

/** Build the decode table now (the warm-up calls this, so no search pays for it). Idempotent. */
export function prepareFloat16(): void {
  float16Table();
}

/** The float16 bit pattern of a float32 given by its bits, rounded to nearest, ties to even (as `setFloat16`). */
function halfBits(b: number): number {
  const sign = (b >>> 16) & 0x8000;
  const e = (b >>> 23) & 0xff;
  const m = b & 0x7fffff;
  // NaN keeps its top mantissa bits with the quiet bit set; infinities stay infinities
  if (e === 0xff) return sign | 0x7c00 | (m !== 0 ? 0x200 | (m >>> 13) : 0);
  if (e >= 143) return sign | 0x7c00; // ≥ 65536: beyond float16
  if (e >= 113) {
    // a normal float16: the top 10 mantissa bits, rounded on the 13 dropped (a carry into the exponent is right, up to infinity)
    const h = ((e - 112) << 10) | (m >>> 13);
    const rest = m & 0x1fff;
    return sign | (rest > 0x1000 || (rest === 0x1000 && (h & 1) !== 0) ? h + 1 : h);
  }
  if (e >= 102) {
    // a float16 subnormal (units of 2^-24), rounded on the bits shifted out
    const mm = m | 0x800000;
    const shift = 126 - e;
    const h = mm >>> shift;
    const rest = mm & ((1 << shift) - 1);
    const half = 1 << (shift - 1);
    return sign | (rest > half || (rest === half && (h & 1) !== 0) ? h + 1 : h);
  }
  return sign; // below half the smallest subnormal: ±0
}

/** float32 → float16 bytes (little-endian, 2 bytes per component). */
export function toFloat16Bytes(v: Float32Array): Uint8Array {
  const n = v.length;
  const bits = new Uint32Array(v.buffer, v.byteOffset, n); // the float32 bits as they lie (host order, as the floats)
  if (LITTLE_ENDIAN) {
    const halves = new Uint16Array(n);
    for (let i = 0; i < n; i++) halves[i] = halfBits(bits[i]!);
    return new Uint8Array(halves.buffer, 0, n * 2);
  }
  const out = new Uint8Array(n * 2);
  const view = new DataView(out.buffer);
  for (let i = 0; i < n; i++) view.setUint16(i * 2, halfBits(bits[i]!), true);
  return out;
}

/** float16 bytes (little-endian) → float32. Throws on an odd byte length. */
export function fromFloat16Bytes(bytes: Uint8Array): Float32Array {
  if (bytes.byteLength % 2 !== 0) throw new RangeError(`float16 bytes must be even in length, got ${bytes.byteLength}`);
  const n = bytes.byteLength / 2;
  const t = float16Table();
  const out = new Float32Array(n);
  if (LITTLE_ENDIAN && bytes.byteOffset % 2 === 0) {
    // the bytes as they lie (a view, no copy): one table read per component
    const halves = new Uint16Array(bytes.buffer, bytes.byteOffset, n);
    for (let i = 0; i < n; i++) out[i] = t[halves[i]!]!;
    return out;
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  for (let i = 0; i < n; i++) out[i] = t[view.getUint16(i * 2, true)]!;
  return out;
}

/** `v` as a float16 store keeps it (each component rounded to float16), as float32 again. */
export function asFloat16(v: Float32Array): Float32Array {
  return fromFloat16Bytes(toFloat16Bytes(v));
}

/** float32 → base64 of its float16 bytes (what a JSON document or a `binary` field holds). */
export function toFloat16Base64(v: Float32Array): string {
  return Buffer.from(toFloat16Bytes(v)).toString('base64');
}

/** base64 of float16 bytes → float32. Throws on malformed input or an unexpected dimension. */
/** A stored vector of another length than the one asked (a RangeError: callers that distrust any malformed vector still catch it). */
export class DimensionMismatch extends RangeError {
  constructor(readonly expected: number, readonly got: number) {
    super(`expected a ${expected}-dimensional vector, got ${got}`);
    this.name = 'DimensionMismatch';
  }
}

export function fromFloat16Base64(s: string, expectDim?: number): Float32Array {
  const bytes = Buffer.from(s, 'base64');
  const v = fromFloat16Bytes(new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength));
  if (expectDim !== undefined && v.length !== expectDim) {
    throw new DimensionMismatch(expectDim, v.length);
  }
  return v;
}
