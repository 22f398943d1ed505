/**
 * OCR step 2: cut each detected text box (a possibly rotated quad) out of the full-resolution
 * image as an upright crop by bilinear sampling; crops much taller than wide are turned 90°
 * (vertical text), and the angle classifier's upside-down crops are turned 180°.
 * Pure pixel work over 8-bit RGB; no model.
 */
import { clamp, dist, type Point } from './ocr-boxes.js';

/** 8-bit RGB, row-major HWC (features/media/image.ts DecodedImage fits). */
export interface RgbImage {
  data: Uint8Array;
  width: number;
  height: number;
}

/** Rows [top, bottom) of an image: the band of a tall page OCR reads (features/ocr-bands.ts). */
export type Rows = readonly [top: number, bottom: number];

/** The band `rows` of `img`, or `img` itself without them: a view of its rows (they are contiguous), nothing copied. */
export function rowBand(img: RgbImage, rows: Rows | undefined): RgbImage {
  if (!rows) return img;
  const row = img.width * 3;
  return { data: img.data.subarray(rows[0] * row, rows[1] * row), width: img.width, height: rows[1] - rows[0] };
}

/** Sample a quad (tl, tr, br, bl) into an upright crop by bilinear interpolation; tall crops are turned 90°. */
export function cropQuad(img: RgbImage, q: [Point, Point, Point, Point]): RgbImage {
  const [tl, tr, , bl] = q;
  const W = Math.max(1, Math.round(Math.max(dist(q[0], q[1]), dist(q[3], q[2]))));
  const H = Math.max(1, Math.round(Math.max(dist(q[0], q[3]), dist(q[1], q[2]))));
  const out = new Uint8Array(W * H * 3);
  const ex = [(tr[0] - tl[0]) / W, (tr[1] - tl[1]) / W];
  const ey = [(bl[0] - tl[0]) / H, (bl[1] - tl[1]) / H];
  for (let v = 0; v < H; v++) {
    for (let u = 0; u < W; u++) {
      const sx = tl[0] + (u + 0.5) * ex[0]! + (v + 0.5) * ey[0]! - 0.5;
      const sy = tl[1] + (u + 0.5) * ex[1]! + (v + 0.5) * ey[1]! - 0.5;
      bilinear(img, sx, sy, out, (v * W + u) * 3);
    }
  }
  const crop = { data: out, width: W, height: H };
  return H / W >= 1.5 ? rotate90ccw(crop) : crop;
}

function bilinear(img: RgbImage, x: number, y: number, out: Uint8Array, o: number): void {
  const x0 = clamp(Math.floor(x), 0, img.width - 1), y0 = clamp(Math.floor(y), 0, img.height - 1);
  const x1 = Math.min(x0 + 1, img.width - 1), y1 = Math.min(y0 + 1, img.height - 1);
  const fx = clamp(x - x0, 0, 1), fy = clamp(y - y0, 0, 1);
  const d = img.data;
  for (let c = 0; c < 3; c++) {
    const a = d[(y0 * img.width + x0) * 3 + c]!, b = d[(y0 * img.width + x1) * 3 + c]!;
    const e = d[(y1 * img.width + x0) * 3 + c]!, f = d[(y1 * img.width + x1) * 3 + c]!;
    out[o + c] = Math.round((a * (1 - fx) + b * fx) * (1 - fy) + (e * (1 - fx) + f * fx) * fy);
  }
}

function rotate90ccw(img: RgbImage): RgbImage {
  const { width: w, height: h, data } = img;
  const out = new Uint8Array(w * h * 3);
  // np.rot90: new[y'][x'] = old[x'][w-1-y'], new size h×w → width h, height w
  for (let y = 0; y < w; y++) {
    for (let x = 0; x < h; x++) {
      const s = (x * w + (w - 1 - y)) * 3;
      const t = (y * h + x) * 3;
      out[t] = data[s]!;
      out[t + 1] = data[s + 1]!;
      out[t + 2] = data[s + 2]!;
    }
  }
  return { data: out, width: h, height: w };
}

export function rotate180(img: RgbImage): RgbImage {
  const n = img.width * img.height;
  const out = new Uint8Array(n * 3);
  for (let i = 0; i < n; i++) {
    const s = i * 3, t = (n - 1 - i) * 3;
    out[t] = img.data[s]!;
    out[t + 1] = img.data[s + 1]!;
    out[t + 2] = img.data[s + 2]!;
  }
  return { data: out, width: img.width, height: img.height };
}
