/**
 * 8-bit HWC pixels → a model's CHW float planes through a per-channel lookup table: 256 values a
 * channel, each the float32 the model's own formula gives for that byte — `(px·rescale − mean)/std`
 * (image.ts), OCR's `(px/255 − mean)/std` (ocr.ts) — so the planes are the formula's values bit for
 * bit (a table entry is rounded to float32 once, as the formula's result was when stored), and one
 * loop serves every model on either thread: the main one and the image worker
 * (features/media/prep-thread.ts) both import this file. Pure: no sharp, no I/O.
 */

/** The table of `f(v, c)` for every byte v of output channel c (c·256 + v). */
export function planeTable(f: (v: number, c: number) => number): Float32Array {
  const t = new Float32Array(3 * 256);
  for (let c = 0; c < 3; c++) for (let v = 0; v < 256; v++) t[c * 256 + v] = f(v, c);
  return t;
}

/**
 * `out[c·plane + i] = table[c·256 + rgb[3i + src[c]]]` for the `plane` pixels of `rgb` (3 channels,
 * interleaved); `src[c]` is the RGB channel feeding output channel c ([2, 1, 0] for BGR).
 */
export function writePlanes(rgb: Uint8Array, plane: number, src: readonly number[], table: Float32Array, out: Float32Array): Float32Array {
  const s0 = src[0]!, s1 = src[1]!, s2 = src[2]!;
  const p1 = plane, p2 = 2 * plane;
  for (let i = 0, j = 0; i < plane; i++, j += 3) {
    out[i] = table[rgb[j + s0]!]!;
    out[p1 + i] = table[256 + rgb[j + s1]!]!;
    out[p2 + i] = table[512 + rgb[j + s2]!]!;
  }
  return out;
}
