/**
 * OCR with PaddleOCR PP-OCRv4 (../shared/models/ppocr-v4-ch, facts in its PROVENANCE.md):
 * RGB image → text lines with confidences and boxes, for screenshots, scanned pages and packaging.
 *
 * 1. det (DBNet): longest side limited to 960, both sides rounded to multiples of 32, BGR,
 *    (px/255 − mean)/std with ImageNet mean/std in B,G,R order (PaddleOCR's cv2 quirk), → text
 *    probability map. DB post-processing as PaddleOCR's DBPostProcess: binarise at 0.3, connected
 *    regions, minimum-area rectangle, mean probability inside it ≥ 0.6, "unclip" by
 *    area·1.5/perimeter (a rectangle offset by d is a rectangle 2d larger), drop tiny boxes.
 * 2. crop each (possibly rotated) box from the full-resolution image, upright; turn it 90° when
 *    it is much taller than wide (vertical text).
 * 3. cls (optional): 0°/180° classifier on 48×192; turn crops the model says are upside down.
 * 4. rec: height 48, width by aspect ratio (padded to the batch's widest crop, not to PaddleOCR's
 *    320 minimum: see recMinWidth), (px/255 − 0.5)/0.5, BGR, → CTC
 *    greedy decode (blank 0, 1..6623 = ppocr_keys_v1.txt lines, 6624 = space); confidence =
 *    mean max-probability of the kept steps; lines under `minConfidence` are dropped.
 *
 * Takes decoded RGB (any `{data, width, height}`), never bytes: decoding and limits are the
 * image pipeline's job. Sessions come from the registry (lazy, unloadable like any model).
 */
import sharp from 'sharp';
import { vlrError } from '../../errors.js';
import type { Manifest } from '../manifest.js';
import type { ModelSession } from '../session.js';
import { ort } from '../session.js';
import type { EncoderContext } from './context.js';

/** 8-bit RGB, row-major HWC (features/media/image.ts DecodedImage fits). */
export interface RgbImage {
  data: Uint8Array;
  width: number;
  height: number;
}

export type Point = [number, number];

export interface OcrLine {
  text: string;
  /** Mean per-character probability, 0..1. */
  confidence: number;
  /** Corners in image pixels: top-left, top-right, bottom-right, bottom-left. */
  box: [Point, Point, Point, Point];
}

export interface OcrOptions {
  /** Longest side fed to the detector (PaddleOCR default 960). */
  detMaxSide?: number;
  /** Binarisation threshold of the probability map (0.3). */
  binThreshold?: number;
  /** Minimum mean probability inside a box (0.6). */
  boxThreshold?: number;
  unclipRatio?: number;
  /** Run the 0°/180° classifier (default true). */
  useAngleClassifier?: boolean;
  /** Drop lines whose confidence is below this (PaddleOCR drop_score 0.5). */
  minConfidence?: number;
  /** At most this many boxes are recognised (largest first). */
  maxLines?: number;
  /**
   * Narrowest recogniser input. PaddleOCR pads every batch to at least 320 (rec_image_shape
   * 3,48,320); we pad only to the widest crop of the batch (0): on 62 grocery packaging photos
   * (scripts/bench/ocr-grocery.ts) that read as well (title word 36 vs 35 photos) in 455 instead of 829 ms.
   */
  recMinWidth?: number;
}

const DEFAULTS: Required<OcrOptions> = {
  detMaxSide: 960,
  binThreshold: 0.3,
  boxThreshold: 0.6,
  unclipRatio: 1.5,
  useAngleClassifier: true,
  minConfidence: 0.5,
  maxLines: 200,
  recMinWidth: 0,
};

const DET_MEAN = [0.485, 0.456, 0.406];
const DET_STD = [0.229, 0.224, 0.225];
const REC_HEIGHT = 48;
const REC_MAX_WIDTH = 3200;
const CLS_WIDTH = 192;
const REC_BATCH = 8;

export class OcrEngine {
  readonly id: string;
  readonly manifest: Manifest;
  readonly det: ModelSession;
  readonly rec: ModelSession;
  readonly cls: ModelSession | undefined;
  /** Index i → character; 0 = CTC blank. */
  readonly charset: readonly string[];

  private constructor(ctx: EncoderContext, manifest: Manifest, dictionary: string) {
    this.id = manifest.id;
    this.manifest = manifest;
    this.det = ctx.registry.session(manifest.id, 'det', ctx.precision);
    this.rec = ctx.registry.session(manifest.id, 'rec', ctx.precision);
    this.cls = manifest.io.cls ? ctx.registry.session(manifest.id, 'cls', ctx.precision) : undefined;
    const lines = dictionary.split(/\r?\n/);
    if (lines[lines.length - 1] === '') lines.pop();
    this.charset = Object.freeze(['', ...lines, ' ']);
  }

  static async create(ctx: EncoderContext, id: string): Promise<OcrEngine> {
    const m = ctx.registry.manifest(id);
    if (m.task !== 'ocr') throw vlrError('VLR_BAD_REQUEST', `model ${id} is a ${m.task}, not an ocr model`);
    return new OcrEngine(ctx, m, await ctx.registry.readText(id, 'dictionary'));
  }

  get sessions(): ModelSession[] {
    return [this.det, this.rec, ...(this.cls ? [this.cls] : [])];
  }

  /**
   * Text lines of an image, top to bottom, left to right. `signal` is checked between the
   * detection, orientation and recognition runs (a run itself cannot be interrupted).
   */
  async recognize(image: RgbImage, options: OcrOptions = {}, signal?: AbortSignal): Promise<OcrLine[]> {
    const o = { ...DEFAULTS, ...options };
    if (image.width < 4 || image.height < 4) return [];
    signal?.throwIfAborted();
    const boxes = await this.detect(image, o);
    if (boxes.length === 0) return [];
    signal?.throwIfAborted();
    let crops = boxes.map((b) => cropQuad(image, b));
    if (o.useAngleClassifier && this.cls) crops = await this.#orient(crops);
    signal?.throwIfAborted();
    const rec = await this.#recognizeCrops(crops, o.recMinWidth);
    const out: OcrLine[] = [];
    rec.forEach((r, i) => {
      if (r.text.trim() && r.confidence >= o.minConfidence) out.push({ text: r.text, confidence: r.confidence, box: boxes[i]! });
    });
    return out;
  }

  /** Text boxes (quads in image pixels), sorted in reading order. */
  async detect(image: RgbImage, options: OcrOptions = {}): Promise<Array<[Point, Point, Point, Point]>> {
    const o = { ...DEFAULTS, ...options };
    const scale = Math.min(1, o.detMaxSide / Math.max(image.width, image.height));
    const dw = Math.max(32, Math.round((image.width * scale) / 32) * 32);
    const dh = Math.max(32, Math.round((image.height * scale) / 32) * 32);
    const px = await resizeRgb(image, dw, dh);
    const plane = dw * dh;
    const x = new Float32Array(3 * plane);
    // BGR planes; PaddleOCR applies mean[0]/std[0] to the B channel (cv2 order), and so do we.
    for (let i = 0, j = 0; i < plane; i++, j += 3) {
      x[i] = (px[j + 2]! / 255 - DET_MEAN[0]!) / DET_STD[0]!;
      x[plane + i] = (px[j + 1]! / 255 - DET_MEAN[1]!) / DET_STD[1]!;
      x[2 * plane + i] = (px[j]! / 255 - DET_MEAN[2]!) / DET_STD[2]!;
    }
    const out = await this.det.run({ [this.manifest.io.det!.inputs[0]!]: new ort.Tensor('float32', x, [1, 3, dh, dw]) });
    const prob = out[this.manifest.io.det!.outputs[0]!]!.data as Float32Array;
    const boxes = dbPostprocess(prob, dw, dh, o)
      .map((q) => q.map(([bx, by]) => [clamp((bx * image.width) / dw, 0, image.width - 1), clamp((by * image.height) / dh, 0, image.height - 1)] as Point) as [Point, Point, Point, Point])
      .filter((q) => dist(q[0], q[1]) > 3 && dist(q[0], q[3]) > 3);
    // the largest boxes first when there are too many, then reading order
    const kept = boxes.length > o.maxLines ? boxes.sort((a, b) => quadArea(b) - quadArea(a)).slice(0, o.maxLines) : boxes;
    return sortReadingOrder(kept);
  }

  async #orient(crops: RgbImage[]): Promise<RgbImage[]> {
    const out = [...crops];
    for (let s = 0; s < crops.length; s += REC_BATCH) {
      const batch = crops.slice(s, s + REC_BATCH);
      const tensors = await Promise.all(batch.map((c) => recInput(c, CLS_WIDTH, CLS_WIDTH)));
      const data = new Float32Array(batch.length * 3 * REC_HEIGHT * CLS_WIDTH);
      tensors.forEach((t, i) => data.set(t, i * t.length));
      const res = await this.cls!.run({ [this.manifest.io.cls!.inputs[0]!]: new ort.Tensor('float32', data, [batch.length, 3, REC_HEIGHT, CLS_WIDTH]) });
      const p = res[this.manifest.io.cls!.outputs[0]!]!.data as Float32Array;
      batch.forEach((c, i) => {
        if (p[i * 2 + 1]! > 0.9 && p[i * 2 + 1]! > p[i * 2]!) out[s + i] = rotate180(c);
      });
    }
    return out;
  }

  async #recognizeCrops(crops: RgbImage[], minWidth: number): Promise<Array<{ text: string; confidence: number }>> {
    const results = new Array<{ text: string; confidence: number }>(crops.length);
    // Similar aspect ratios together, as PaddleOCR does, so a batch pads little.
    const order = crops.map((c, i) => ({ i, r: c.width / c.height })).sort((a, b) => a.r - b.r);
    for (let s = 0; s < order.length; s += REC_BATCH) {
      const group = order.slice(s, s + REC_BATCH);
      const maxRatio = Math.max(minWidth / REC_HEIGHT, ...group.map((g) => g.r));
      const width = Math.min(REC_MAX_WIDTH, Math.max(16, Math.ceil((REC_HEIGHT * maxRatio) / 8) * 8));
      const inputs = await Promise.all(group.map((g) => recInput(crops[g.i]!, width, width)));
      const per = 3 * REC_HEIGHT * width;
      const data = new Float32Array(group.length * per);
      inputs.forEach((t, k) => data.set(t, k * per));
      const res = await this.rec.run({ [this.manifest.io.rec!.inputs[0]!]: new ort.Tensor('float32', data, [group.length, 3, REC_HEIGHT, width]) });
      const t = res[this.manifest.io.rec!.outputs[0]!]!;
      const [, steps, classes] = t.dims as [number, number, number];
      const probs = t.data as Float32Array;
      group.forEach((g, k) => {
        results[g.i] = ctcDecode(probs.subarray(k * steps * classes, (k + 1) * steps * classes), steps, classes, this.charset);
      });
    }
    return results;
  }

  close(): void {
    // sessions belong to the registry (unloaded by Models.unload / registry.close)
  }
}

// ---------------------------------------------------------------------------------------------
// Pure pieces (exported for tests)

/** Greedy CTC: argmax per step, collapse repeats, drop blanks; confidence = mean max-prob kept. */
export function ctcDecode(probs: Float32Array, steps: number, classes: number, charset: readonly string[]): { text: string; confidence: number } {
  let text = '';
  let sum = 0;
  let n = 0;
  let prev = -1;
  for (let t = 0; t < steps; t++) {
    let best = 0;
    let bp = -Infinity;
    const o = t * classes;
    for (let c = 0; c < classes; c++) {
      const v = probs[o + c]!;
      if (v > bp) {
        bp = v;
        best = c;
      }
    }
    if (best !== 0 && best !== prev) {
      text += charset[best] ?? '';
      sum += bp;
      n++;
    }
    prev = best;
  }
  return { text, confidence: n ? sum / n : 0 };
}

/** DB post-processing of a probability map (w×h) → quads in map pixels. */
export function dbPostprocess(prob: Float32Array, w: number, h: number, o: Pick<Required<OcrOptions>, 'binThreshold' | 'boxThreshold' | 'unclipRatio'>): Array<[Point, Point, Point, Point]> {
  const label = new Int32Array(w * h);
  const stack = new Int32Array(w * h);
  const boxes: Array<[Point, Point, Point, Point]> = [];
  let next = 0;
  for (let start = 0; start < w * h; start++) {
    if (label[start] !== 0 || !(prob[start]! > o.binThreshold)) continue;
    next++;
    if (next > 1000) break; // PaddleOCR max_candidates
    // 8-connected flood fill; keep per-row x extremes (every convex-hull vertex is one of them)
    const rowMin = new Map<number, number>();
    const rowMax = new Map<number, number>();
    let sp = 0;
    stack[sp++] = start;
    label[start] = next;
    let count = 0;
    while (sp > 0) {
      const p = stack[--sp]!;
      count++;
      const y = (p / w) | 0;
      const x = p - y * w;
      if (!(rowMin.get(y)! <= x)) rowMin.set(y, x);
      if (!(rowMax.get(y)! >= x)) rowMax.set(y, x);
      for (let dy = -1; dy <= 1; dy++) {
        const yy = y + dy;
        if (yy < 0 || yy >= h) continue;
        for (let dx = -1; dx <= 1; dx++) {
          const xx = x + dx;
          if (xx < 0 || xx >= w || (dx === 0 && dy === 0)) continue;
          const q = yy * w + xx;
          if (label[q] === 0 && prob[q]! > o.binThreshold) {
            label[q] = next;
            stack[sp++] = q;
          }
        }
      }
    }
    if (count < 4) continue;
    const pts: Point[] = [];
    for (const [y, x0] of rowMin) {
      pts.push([x0, y]);
      const x1 = rowMax.get(y)!;
      if (x1 !== x0) pts.push([x1, y]);
    }
    const rect = minAreaRect(convexHull(pts));
    if (Math.min(rect.w, rect.h) < 3) continue; // PaddleOCR min_size
    const quad = rectCorners(rect);
    if (meanInQuad(prob, w, h, quad) < o.boxThreshold) continue;
    // unclip: offsetting a w×h rectangle by d grows it to (w+2d)×(h+2d), d = area·ratio/perimeter
    const d = (rect.w * rect.h * o.unclipRatio) / (2 * (rect.w + rect.h));
    const grown = { ...rect, w: rect.w + 2 * d, h: rect.h + 2 * d };
    if (Math.min(grown.w, grown.h) < 5) continue; // min_size + 2
    boxes.push(orderCorners(rectCorners(grown)));
  }
  return boxes;
}

interface Rect {
  cx: number;
  cy: number;
  w: number;
  h: number;
  /** Unit vector along w. */
  ux: number;
  uy: number;
}

/** Andrew's monotone chain. */
export function convexHull(points: Point[]): Point[] {
  const p = [...points].sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  if (p.length < 3) return p;
  const cross = (o: Point, a: Point, b: Point) => (a[0] - o[0]) * (b[1] - o[1]) - (a[1] - o[1]) * (b[0] - o[0]);
  const lower: Point[] = [];
  for (const q of p) {
    while (lower.length >= 2 && cross(lower[lower.length - 2]!, lower[lower.length - 1]!, q) <= 0) lower.pop();
    lower.push(q);
  }
  const upper: Point[] = [];
  for (let i = p.length - 1; i >= 0; i--) {
    const q = p[i]!;
    while (upper.length >= 2 && cross(upper[upper.length - 2]!, upper[upper.length - 1]!, q) <= 0) upper.pop();
    upper.push(q);
  }
  return lower.slice(0, -1).concat(upper.slice(0, -1));
}

/** Minimum-area enclosing rectangle of a convex polygon (one side lies on a hull edge). */
export function minAreaRect(hull: Point[]): Rect {
  if (hull.length === 1) return { cx: hull[0]![0], cy: hull[0]![1], w: 0, h: 0, ux: 1, uy: 0 };
  let best: Rect | undefined;
  let bestArea = Infinity;
  for (let i = 0; i < hull.length; i++) {
    const a = hull[i]!;
    const b = hull[(i + 1) % hull.length]!;
    const len = Math.hypot(b[0] - a[0], b[1] - a[1]);
    if (len === 0) continue;
    const ux = (b[0] - a[0]) / len;
    const uy = (b[1] - a[1]) / len;
    let minU = Infinity, maxU = -Infinity, minV = Infinity, maxV = -Infinity;
    for (const p of hull) {
      const u = p[0] * ux + p[1] * uy;
      const v = -p[0] * uy + p[1] * ux;
      if (u < minU) minU = u;
      if (u > maxU) maxU = u;
      if (v < minV) minV = v;
      if (v > maxV) maxV = v;
    }
    const area = (maxU - minU) * (maxV - minV);
    if (area < bestArea) {
      bestArea = area;
      const cu = (minU + maxU) / 2;
      const cv = (minV + maxV) / 2;
      best = { cx: cu * ux - cv * uy, cy: cu * uy + cv * ux, w: maxU - minU, h: maxV - minV, ux, uy };
    }
  }
  return best!;
}

function rectCorners(r: Rect): [Point, Point, Point, Point] {
  const hw = r.w / 2, hh = r.h / 2;
  const vx = -r.uy, vy = r.ux;
  const c = (su: number, sv: number): Point => [r.cx + su * hw * r.ux + sv * hh * vx, r.cy + su * hw * r.uy + sv * hh * vy];
  return [c(-1, -1), c(1, -1), c(1, 1), c(-1, 1)];
}

/** PaddleOCR get_mini_boxes order: of the two leftmost points the upper is top-left, of the two rightmost the upper is top-right. */
export function orderCorners(q: [Point, Point, Point, Point]): [Point, Point, Point, Point] {
  const s = [...q].sort((a, b) => a[0] - b[0]);
  const [l1, l2, r1, r2] = s as [Point, Point, Point, Point];
  const [tl, bl] = l1[1] <= l2[1] ? [l1, l2] : [l2, l1];
  const [tr, br] = r1[1] <= r2[1] ? [r1, r2] : [r2, r1];
  return [tl, tr, br, bl];
}

function meanInQuad(prob: Float32Array, w: number, h: number, q: [Point, Point, Point, Point]): number {
  const xs = q.map((p) => p[0]);
  const ys = q.map((p) => p[1]);
  const x0 = clamp(Math.floor(Math.min(...xs)), 0, w - 1), x1 = clamp(Math.ceil(Math.max(...xs)), 0, w - 1);
  const y0 = clamp(Math.floor(Math.min(...ys)), 0, h - 1), y1 = clamp(Math.ceil(Math.max(...ys)), 0, h - 1);
  let sum = 0;
  let n = 0;
  for (let y = y0; y <= y1; y++) {
    for (let x = x0; x <= x1; x++) {
      if (inConvexQuad(q, x, y)) {
        sum += prob[y * w + x]!;
        n++;
      }
    }
  }
  return n ? sum / n : 0;
}

function inConvexQuad(q: Point[], x: number, y: number): boolean {
  let sign = 0;
  for (let i = 0; i < 4; i++) {
    const a = q[i]!, b = q[(i + 1) % 4]!;
    const c = (b[0] - a[0]) * (y - a[1]) - (b[1] - a[1]) * (x - a[0]);
    if (Math.abs(c) < 1e-9) continue;
    const s = c > 0 ? 1 : -1;
    if (sign === 0) sign = s;
    else if (s !== sign) return false;
  }
  return true;
}

/** Top to bottom, then left to right within ~10 px (PaddleOCR sorted_boxes). */
export function sortReadingOrder<T extends [Point, Point, Point, Point]>(boxes: T[]): T[] {
  const b = [...boxes].sort((p, q) => p[0][1] - q[0][1] || p[0][0] - q[0][0]);
  for (let i = 0; i < b.length - 1; i++) {
    for (let j = i; j >= 0; j--) {
      if (Math.abs(b[j + 1]![0][1] - b[j]![0][1]) < 10 && b[j + 1]![0][0] < b[j]![0][0]) [b[j], b[j + 1]] = [b[j + 1]!, b[j]!];
      else break;
    }
  }
  return b;
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

/** Crop → [3, 48, padWidth] BGR, (px/255 − 0.5)/0.5, resized to height 48 keeping aspect (width ≤ maxWidth), zero-padded right. */
async function recInput(crop: RgbImage, maxWidth: number, padWidth: number): Promise<Float32Array> {
  const w = Math.max(1, Math.min(maxWidth, Math.ceil((REC_HEIGHT * crop.width) / crop.height)));
  const px = await resizeRgb(crop, w, REC_HEIGHT);
  const plane = REC_HEIGHT * padWidth;
  const out = new Float32Array(3 * plane); // zeros = padding
  for (let y = 0; y < REC_HEIGHT; y++) {
    for (let x = 0; x < w; x++) {
      const s = (y * w + x) * 3;
      const t = y * padWidth + x;
      out[t] = px[s + 2]! / 127.5 - 1;
      out[plane + t] = px[s + 1]! / 127.5 - 1;
      out[2 * plane + t] = px[s]! / 127.5 - 1;
    }
  }
  return out;
}

async function resizeRgb(img: RgbImage, w: number, h: number): Promise<Uint8Array> {
  if (img.width === w && img.height === h) return img.data;
  return sharp(img.data, { raw: { width: img.width, height: img.height, channels: 3 }, limitInputPixels: false })
    .resize(w, h, { fit: 'fill', kernel: 'linear' })
    .raw()
    .toBuffer();
}

function dist(a: Point, b: Point): number {
  return Math.hypot(a[0] - b[0], a[1] - b[1]);
}

function quadArea(q: Point[]): number {
  let s = 0;
  for (let i = 0; i < q.length; i++) {
    const a = q[i]!, b = q[(i + 1) % q.length]!;
    s += a[0] * b[1] - b[0] * a[1];
  }
  return Math.abs(s) / 2;
}

function clamp(v: number, lo: number, hi: number): number {
  return v < lo ? lo : v > hi ? hi : v;
}
