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
 * 3. cls (optional): 0°/180° classifier on 48×192; a crop the model says is upside down is read
 *    both ways and the read with the higher confidence kept (the classifier errs on long lines).
 * 4. rec: height 48, width by aspect ratio (padded to the batch's widest crop, not to PaddleOCR's
 *    320 minimum: see recMinWidth), (px/255 − 0.5)/0.5, BGR, → CTC
 *    greedy decode (blank 0, 1..6623 = ppocr_keys_v1.txt lines, 6624 = space); confidence =
 *    mean max-probability of the kept steps; lines under `minConfidence` are dropped; spaces put
 *    back at the crop's word gaps (ocr-words.ts: the model drops them between Latin words).
 *
 * Takes decoded RGB (any `{data, width, height}`) or `OcrPixels` (pixels held elsewhere: the image
 * worker, perf22), never bytes: decoding and limits are the image pipeline's job. Step 1's box geometry is ocr-boxes.ts, step 2's cropping ocr-crop.ts. Sessions come from the registry (lazy, unloadable like any model).
 */
import sharp from 'sharp';
import { variantTag, type Manifest } from '../manifest.js';
import type { ModelSession } from '../session.js';
import { ort } from '../session.js';
import { manifestFor, type EncoderContext } from './context.js';
import { clamp, dbPostprocess, dist, quadArea, sortReadingOrder, type Point } from './ocr-boxes.js';
import { cropQuad, rotate180, type RgbImage } from './ocr-crop.js';
import { spaceAtGaps, wordGaps } from './ocr-words.js';
import { countRun, currentMeter } from '../../util/work-meter.js';
import { planeTable, writePlanes } from '../pixels.js';

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
/** The detector's planes, BGR; PaddleOCR applies mean[0]/std[0] to the B channel (cv2 order), and so do we. */
const DET_SRC = [2, 1, 0];
const DET_TABLE = planeTable((v, c) => (v / 255 - DET_MEAN[c]!) / DET_STD[c]!);

/**
 * The two steps of OCR that read the whole image, asked of whoever holds its pixels: this thread
 * (`pixelsHere`) or the image worker (features/media/image.ts `ocrPixels`, perf22: a photo's pixels
 * and the detector's planes never reach the main heap). Both give the same bytes.
 */
export interface OcrPixels {
  readonly width: number;
  readonly height: number;
  /** Resized to w×h (bilinear, aspect not kept), as float planes: out[c·w·h + i] = table[c·256 + px_i[src[c]]] (models/pixels.ts). */
  planes(w: number, h: number, src: readonly number[], table: Float32Array): Promise<Float32Array>;
  /** Each quad cut out upright (ocr-crop.ts cropQuad). */
  crops(quads: Array<[Point, Point, Point, Point]>): Promise<RgbImage[]>;
}

/** `OcrPixels` over pixels on this thread. */
export function pixelsHere(image: RgbImage): OcrPixels {
  return {
    width: image.width,
    height: image.height,
    planes: async (w, h, src, table) => writePlanes(await resizeRgb(image, w, h), w * h, src, table, new Float32Array(3 * w * h)),
    crops: async (quads) => quads.map((q) => cropQuad(image, q)),
  };
}

const isPixels = (x: RgbImage | OcrPixels): x is OcrPixels => typeof (x as OcrPixels).planes === 'function';

export class OcrEngine {
  readonly id: string;
  readonly manifest: Manifest;
  /** The precision variant in this model's identity (manifest.ts `variantTag`): empty for the default one. */
  readonly variant: string;
  readonly det: ModelSession;
  readonly rec: ModelSession;
  readonly cls: ModelSession | undefined;
  /** Index i → character; 0 = CTC blank. */
  readonly charset: readonly string[];
  /** Counts each run of its detector, orientation classifier and recognizer (vlrerank_model_runs_total, the batch size). */
  readonly #onBatch: ((size: number) => void) | undefined;

  private constructor(ctx: EncoderContext, manifest: Manifest, dictionary: string) {
    this.id = manifest.id;
    this.#onBatch = ctx.onBatch ? (n) => ctx.onBatch!(manifest.id, n) : undefined;
    this.manifest = manifest;
    this.variant = variantTag(manifest, ctx.precision);
    this.det = ctx.registry.session(manifest.id, 'det', ctx.precision);
    this.rec = ctx.registry.session(manifest.id, 'rec', ctx.precision);
    this.cls = manifest.io.cls ? ctx.registry.session(manifest.id, 'cls', ctx.precision) : undefined;
    const lines = dictionary.split(/\r?\n/);
    if (lines[lines.length - 1] === '') lines.pop();
    this.charset = Object.freeze(['', ...lines, ' ']);
  }

  /** One run of `size` inputs: in the metrics, and on the meter of the request it ran for (usage.model_calls). */
  #ran(size: number): void {
    this.#onBatch?.(size);
    countRun(this.id, [currentMeter()]);
  }

  /** Create the sessions now (warm-up) instead of on first use: a text-free image would load the detector alone. */
  async load(): Promise<void> {
    for (const s of [this.det, this.rec, this.cls]) await s?.load();
  }

  static async create(ctx: EncoderContext, id: string): Promise<OcrEngine> {
    const m = manifestFor(ctx, id, 'ocr', 'an ocr model');
    return new OcrEngine(ctx, m, await ctx.registry.readText(id, 'dictionary'));
  }

  get sessions(): ModelSession[] {
    return [this.det, this.rec, ...(this.cls ? [this.cls] : [])];
  }

  /**
   * Text lines of an image, top to bottom, left to right. `signal` is checked between the
   * detection, orientation and recognition runs (a run itself cannot be interrupted).
   */
  async recognize(input: RgbImage | OcrPixels, options: OcrOptions = {}, signal?: AbortSignal): Promise<OcrLine[]> {
    const o = { ...DEFAULTS, ...options };
    const image = isPixels(input) ? input : pixelsHere(input);
    if (image.width < 4 || image.height < 4) return [];
    signal?.throwIfAborted();
    const boxes = await this.detect(image, o);
    if (boxes.length === 0) return [];
    signal?.throwIfAborted();
    const crops = await image.crops(boxes);
    const flip = o.useAngleClassifier && this.cls ? await this.#upsideDown(crops) : crops.map(() => false);
    signal?.throwIfAborted();
    // a crop the classifier calls upside down is read both ways, the likelier read kept: on long
    // lines squeezed to its 192 columns it called 9 of 20 upright lines of a screenshot upside down,
    // and each was read as noise and dropped (task ocr25)
    const tries = crops.flatMap((c, i) => (flip[i] ? [{ i, crop: c }, { i, crop: rotate180(c) }] : [{ i, crop: c }]));
    const rec = await this.#recognizeCrops(tries.map((t) => t.crop), o.recMinWidth);
    const best = new Array<{ text: string; confidence: number } | undefined>(crops.length);
    rec.forEach((r, k) => {
      const i = tries[k]!.i;
      if (!best[i] || r.confidence > best[i].confidence) best[i] = r;
    });
    const out: OcrLine[] = [];
    best.forEach((r, i) => {
      if (r && r.text.trim() && r.confidence >= o.minConfidence) out.push({ text: r.text, confidence: r.confidence, box: boxes[i]! });
    });
    return out;
  }

  /** Text boxes (quads in image pixels), sorted in reading order. */
  async detect(input: RgbImage | OcrPixels, options: OcrOptions = {}): Promise<Array<[Point, Point, Point, Point]>> {
    const o = { ...DEFAULTS, ...options };
    const image = isPixels(input) ? input : pixelsHere(input);
    const scale = Math.min(1, o.detMaxSide / Math.max(image.width, image.height));
    const dw = Math.max(32, Math.round((image.width * scale) / 32) * 32);
    const dh = Math.max(32, Math.round((image.height * scale) / 32) * 32);
    const x = await image.planes(dw, dh, DET_SRC, DET_TABLE);
    const out = await this.det.run({ [this.manifest.io.det!.inputs[0]!]: new ort.Tensor('float32', x, [1, 3, dh, dw]) });
    this.#ran(1);
    const prob = out[this.manifest.io.det!.outputs[0]!]!.data as Float32Array;
    const boxes = dbPostprocess(prob, dw, dh, o)
      .map((q) => q.map(([bx, by]) => [clamp((bx * image.width) / dw, 0, image.width - 1), clamp((by * image.height) / dh, 0, image.height - 1)] as Point) as [Point, Point, Point, Point])
      .filter((q) => dist(q[0], q[1]) > 3 && dist(q[0], q[3]) > 3);
    // the largest boxes first when there are too many, then reading order
    const kept = boxes.length > o.maxLines ? boxes.sort((a, b) => quadArea(b) - quadArea(a)).slice(0, o.maxLines) : boxes;
    return sortReadingOrder(kept);
  }

  /** Which crops the 0°/180° classifier calls upside down (P(180°) > 0.9). */
  async #upsideDown(crops: RgbImage[]): Promise<boolean[]> {
    const out = crops.map(() => false);
    for (let s = 0; s < crops.length; s += REC_BATCH) {
      const batch = crops.slice(s, s + REC_BATCH);
      const tensors = await Promise.all(batch.map((c) => recInput(c, CLS_WIDTH, CLS_WIDTH)));
      const data = new Float32Array(batch.length * 3 * REC_HEIGHT * CLS_WIDTH);
      tensors.forEach((t, i) => data.set(t, i * t.length));
      const res = await this.cls!.run({ [this.manifest.io.cls!.inputs[0]!]: new ort.Tensor('float32', data, [batch.length, 3, REC_HEIGHT, CLS_WIDTH]) });
      this.#ran(batch.length);
      const p = res[this.manifest.io.cls!.outputs[0]!]!.data as Float32Array;
      batch.forEach((_, i) => {
        out[s + i] = p[i * 2 + 1]! > 0.9 && p[i * 2 + 1]! > p[i * 2]!;
      });
    }
    return out;
  }

  /** Each crop's text, spaces put back at its word gaps (ocr-words.ts), and confidence. */
  async #recognizeCrops(crops: RgbImage[], minWidth: number): Promise<Array<{ text: string; confidence: number }>> {
    const read = await this.#recognizeSteps(crops, minWidth);
    return read.map((r, i) => ({ text: spaceAtGaps(r.chars, r.steps, wordGaps(crops[i]!), r.stepWidth), confidence: r.confidence }));
  }

  async #recognizeSteps(crops: RgbImage[], minWidth: number): Promise<Array<DecodedSteps & { stepWidth: number }>> {
    const results = new Array<DecodedSteps & { stepWidth: number }>(crops.length);
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
      this.#ran(group.length);
      const t = res[this.manifest.io.rec!.outputs[0]!]!;
      const [, steps, classes] = t.dims as [number, number, number];
      const probs = t.data as Float32Array;
      group.forEach((g, k) => {
        const c = crops[g.i]!;
        // recInput's width for this crop; a CTC step covers width / steps of its columns (8)
        const w = Math.max(1, Math.min(width, Math.ceil((REC_HEIGHT * c.width) / c.height)));
        results[g.i] = { ...ctcSteps(probs.subarray(k * steps * classes, (k + 1) * steps * classes), steps, classes, this.charset), stepWidth: (c.width / w) * (width / steps) };
      });
    }
    return results;
  }

  close(): void {
    // sessions belong to the registry (unloaded by Models.unload / registry.close)
  }
}

export interface DecodedSteps {
  /** The characters kept, each with the step that emitted it. */
  chars: string[];
  steps: number[];
  /** Mean max-probability of the kept steps (0: none kept). */
  confidence: number;
}

/** Greedy CTC: argmax per step, collapse repeats, drop blanks; each kept character with its step. */
export function ctcSteps(probs: Float32Array, steps: number, classes: number, charset: readonly string[]): DecodedSteps {
  const chars: string[] = [];
  const at: number[] = [];
  let sum = 0;
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
      chars.push(charset[best] ?? '');
      at.push(t);
      sum += bp;
    }
    prev = best;
  }
  return { chars, steps: at, confidence: chars.length ? sum / chars.length : 0 };
}

/** Greedy CTC: argmax per step, collapse repeats, drop blanks; confidence = mean max-prob kept. */
export function ctcDecode(probs: Float32Array, steps: number, classes: number, charset: readonly string[]): { text: string; confidence: number } {
  const d = ctcSteps(probs, steps, classes, charset);
  return { text: d.chars.join(''), confidence: d.confidence };
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
