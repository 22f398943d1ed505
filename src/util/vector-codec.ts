/**
 * Compact, exact-length encodings of feature vectors for everything that keeps them outside the
 * process (the index, the disk tier, Redis): IEEE float16, little-endian, as bytes or base64.
 * float16 keeps 11 significant bits: a unit vector's cosine against a float32 query moves by
 * < 1e-3 (measured in test/unit/util/vector-codec.test.ts), half the bytes of float32 and no scale
 * to carry (int8 would need one per vector). The conversion is @petamoriken/float16's
 * (round-to-nearest-even, the same rounding numpy's float16 uses), not hand-written bit twiddling.
 * Never imports anything but that library.
 */
import { Float16Array } from '@petamoriken/float16';

/** float32 → float16 bytes (little-endian, 2 bytes per component). */
export function toFloat16Bytes(v: Float32Array): Uint8Array {
  const half = new Float16Array(v.length);
  for (let i = 0; i < v.length; i++) half[i] = v[i]!;
  const out = new Uint8Array(v.length * 2);
  const view = new DataView(out.buffer);
  const bits = new Uint16Array(half.buffer as ArrayBuffer);
  for (let i = 0; i < bits.length; i++) view.setUint16(i * 2, bits[i]!, true);
  return out;
}

/** float16 bytes (little-endian) → float32. Throws on an odd byte length. */
export function fromFloat16Bytes(bytes: Uint8Array): Float32Array {
  if (bytes.byteLength % 2 !== 0) throw new RangeError(`float16 bytes must be even in length, got ${bytes.byteLength}`);
  const n = bytes.byteLength / 2;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const bits = new Uint16Array(n);
  for (let i = 0; i < n; i++) bits[i] = view.getUint16(i * 2, true);
  const half = new Float16Array(bits.buffer);
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = half[i]!;
  return out;
}

/** float32 → base64 of its float16 bytes (what a JSON document or a `binary` field holds). */
export function toFloat16Base64(v: Float32Array): string {
  return Buffer.from(toFloat16Bytes(v)).toString('base64');
}

/** base64 of float16 bytes → float32. Throws on malformed input or an unexpected dimension. */
export function fromFloat16Base64(s: string, expectDim?: number): Float32Array {
  const bytes = Buffer.from(s, 'base64');
  const v = fromFloat16Bytes(new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength));
  if (expectDim !== undefined && v.length !== expectDim) {
    throw new RangeError(`expected a ${expectDim}-dimensional vector, got ${v.length}`);
  }
  return v;
}
