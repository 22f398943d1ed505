/**
 * OCR step 1's post-processing, as PaddleOCR's DBPostProcess: the text-probability map of the
 * DBNet detector → text boxes (quads), in reading order. Binarise, connected regions, minimum-area
 * rectangle of each region's convex hull, mean probability inside it, "unclip" (grow by
 * area·ratio/perimeter), and PaddleOCR's corner order and line sorting. Pure geometry over typed
 * arrays: no model, no image decoding.
 */

export type Point = [number, number];

/** The DB thresholds (see OcrOptions in ocr.ts for their meaning and defaults). */
export interface DbSettings {
  binThreshold: number;
  boxThreshold: number;
  unclipRatio: number;
}

/** DB post-processing of a probability map (w×h) → quads in map pixels. */
export function dbPostprocess(prob: Float32Array, w: number, h: number, o: DbSettings): Array<[Point, Point, Point, Point]> {
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

export function dist(a: Point, b: Point): number {
  return Math.hypot(a[0] - b[0], a[1] - b[1]);
}

export function quadArea(q: Point[]): number {
  let s = 0;
  for (let i = 0; i < q.length; i++) {
    const a = q[i]!, b = q[(i + 1) % q.length]!;
    s += a[0] * b[1] - b[0] * a[1];
  }
  return Math.abs(s) / 2;
}

export function clamp(v: number, lo: number, hi: number): number {
  return v < lo ? lo : v > hi ? hi : v;
}
