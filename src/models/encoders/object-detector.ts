/**
 * Object detector (NanoDet-g, COCO 80): PreprocessedImage → detections in original image
 * pixels. Box decoding follows the model's config.json (GFL distributions: softmax over
 * regMax+1 bins per side, expectation × stride, centres at (x+0.5)·stride), then score
 * threshold, per-class greedy NMS, top maxDetections by score — as scripts/nanodet.py does.
 * `detect()` asks the run for only the anchor rows whose best class score passes its threshold
 * (row-select.ts, selected in the inference worker): 1.8 MB of head outputs per photo no longer
 * cross to the main thread for the few dozen rows decoding reads; `raw()` still gets them whole.
 */
import { vlrError } from '../../errors.js';
import type { Batcher } from '../batcher.js';
import { variantTag, type DetectorSpec, type Manifest } from '../manifest.js';
import type { ImagePreprocess, PreprocessedImage } from '../preprocess.js';
import { ROWS_SUFFIX, type RowSelect } from '../row-select.js';
import type { ModelSession, Outputs } from '../session.js';
import { InputPool } from '../input-pool.js';
import { assertImage, runImages } from './common.js';
import { makeBatcher, manifestFor, classNames, type EncoderContext } from './context.js';

export interface Detection {
  label: string;
  classId: number;
  score: number;
  /** [x1, y1, x2, y2] in original image pixels. */
  box: [number, number, number, number];
}

export interface DetectOptions {
  scoreThreshold?: number;
  iouThreshold?: number;
  maxDetections?: number;
}

interface Raw {
  box: [number, number, number, number];
  score: number;
  cls: number;
}

function iou(a: Raw['box'], b: Raw['box']): number {
  const ix = Math.max(0, Math.min(a[2], b[2]) - Math.max(a[0], b[0]));
  const iy = Math.max(0, Math.min(a[3], b[3]) - Math.max(a[1], b[1]));
  const inter = ix * iy;
  const ua = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter;
  return inter / (ua + 1e-9);
}

/** Greedy NMS over one class's candidates (sorted by score desc inside). */
function nms(cands: Raw[], threshold: number): Raw[] {
  const order = [...cands].sort((a, b) => b.score - a.score);
  const keep: Raw[] = [];
  for (const c of order) if (keep.every((k) => iou(k.box, c.box) <= threshold)) keep.push(c);
  return keep;
}

/** One image for the detector's queue; with a threshold, only the rows above it come back. */
interface DetectItem {
  image: PreprocessedImage;
  threshold?: number;
}

/**
 * Decode the head outputs of one image into detections: whole, or (with a `<cls>#rows` output per
 * stride) only the anchor rows the run kept, in the same order, which give the same detections.
 */
export function decodeDetections(outputs: Outputs, spec: DetectorSpec, input: { width: number; height: number }, original: { width: number; height: number }, classNames: readonly string[], opts: DetectOptions = {}): Detection[] {
  const thr = opts.scoreThreshold ?? spec.scoreThreshold;
  const bins = spec.regMax + 1;
  const cands: Raw[] = [];
  const nc = spec.numClasses;
  const dist = new Float64Array(4);
  for (const s of spec.strides) {
    const gw = Math.ceil(input.width / s);
    const cls = outputs[spec.clsOutput.replace('{s}', String(s))]?.data as Float32Array | undefined;
    const reg = outputs[spec.regOutput.replace('{s}', String(s))]?.data as Float32Array | undefined;
    if (!cls || !reg) throw vlrError('VLR_MODEL_RUNTIME', `detector output for stride ${s} missing`);
    const kept = outputs[spec.clsOutput.replace('{s}', String(s)) + ROWS_SUFFIX]?.data as Int32Array | undefined;
    const rows = kept ? kept.length : cls.length / nc;
    for (let r = 0; r < rows; r++) {
      // r: the row in these outputs; p: its anchor point (the same unless the run kept only some rows)
      const p = kept ? kept[r]! : r;
      let best = 0;
      let score = -Infinity;
      for (let k = 0; k < nc; k++) {
        const v = cls[r * nc + k]!;
        if (v > score) {
          score = v;
          best = k;
        }
      }
      if (!(score > thr)) continue;
      for (let side = 0; side < 4; side++) {
        const o = (r * 4 + side) * bins;
        let m = -Infinity;
        for (let i = 0; i < bins; i++) m = Math.max(m, reg[o + i]!);
        let z = 0;
        let e = 0;
        for (let i = 0; i < bins; i++) {
          const w = Math.exp(reg[o + i]! - m);
          z += w;
          e += w * i;
        }
        dist[side] = (e / z) * s;
      }
      const x = p % gw;
      const y = Math.floor(p / gw);
      const cx = (x + spec.centerOffset) * s;
      const cy = (y + spec.centerOffset) * s;
      cands.push({ box: [cx - dist[0]!, cy - dist[1]!, cx + dist[2]!, cy + dist[3]!], score, cls: best });
    }
  }
  const byClass = new Map<number, Raw[]>();
  for (const c of cands) {
    const l = byClass.get(c.cls);
    if (l) l.push(c);
    else byClass.set(c.cls, [c]);
  }
  const sx = original.width / input.width;
  const sy = original.height / input.height;
  const clip = (v: number, hi: number) => Math.min(Math.max(v, 0), hi);
  const out: Detection[] = [];
  for (const [k, list] of byClass) {
    for (const r of nms(list, opts.iouThreshold ?? spec.nmsIouThreshold)) {
      const b = r.box;
      out.push({
        label: classNames[k] ?? String(k),
        classId: k,
        score: r.score,
        box: [clip(b[0], input.width) * sx, clip(b[1], input.height) * sy, clip(b[2], input.width) * sx, clip(b[3], input.height) * sy],
      });
    }
  }
  out.sort((a, b) => b.score - a.score);
  return out.slice(0, opts.maxDetections ?? spec.maxDetections);
}

export class ObjectDetector {
  readonly id: string;
  readonly manifest: Manifest;
  /** The precision variant in this model's identity (manifest.ts `variantTag`): empty for the default one. */
  readonly variant: string;
  readonly preprocess: ImagePreprocess;
  readonly spec: DetectorSpec;
  readonly classNames: readonly string[];
  readonly session: ModelSession;
  readonly #batcher: Batcher<DetectItem, Outputs>;

  /** Where this model's stacked inputs (and the features' preprocessed photos for it) are written: the Models' pool. */
  readonly inputs: InputPool;

  private constructor(ctx: EncoderContext, m: Manifest, classNames: string[]) {
    this.inputs = ctx.inputs ?? new InputPool();
    this.id = m.id;
    this.manifest = m;
    this.variant = variantTag(m, ctx.precision);
    this.preprocess = m.image!;
    this.spec = m.detector!;
    this.classNames = Object.freeze(classNames);
    this.session = ctx.registry.session(m.id, 'model', ctx.precision);
    this.#batcher = makeBatcher(ctx, m.id, m.maxBatchSize, (items) => this.#run(items), this.session.parallelRuns);
  }

  static async create(ctx: EncoderContext, id: string): Promise<ObjectDetector> {
    const m = manifestFor(ctx, id, 'object-detector', 'an object-detector');
    const names = await classNames(ctx, m);
    return new ObjectDetector(ctx, m, names);
  }

  /** The rows decoding reads: each stride's anchors whose best class score exceeds `threshold`, with their box distributions. */
  #select(threshold: number): RowSelect {
    const name = (pattern: string, s: number) => pattern.replace('{s}', String(s));
    return { threshold, groups: this.spec.strides.map((s) => ({ by: name(this.spec.clsOutput, s), width: this.spec.numClasses, with: [name(this.spec.regOutput, s)] })) };
  }

  async #run(items: DetectItem[]): Promise<Outputs[]> {
    const io = this.manifest.io.model!;
    const images = items.map((it) => it.image);
    // a batch of one image for detect(): only its rows above the threshold cross (a batch of
    // several, or raw(), gets the whole outputs, split per image below)
    const threshold = items.length === 1 ? items[0]!.threshold : undefined;
    const select = threshold === undefined ? undefined : this.#select(threshold);
    const out = await runImages(this.session, this.inputs, io.inputs[0]!, images, this.preprocess, this.id, io.outputs, select);
    if (images.length === 1) return [out];
    // split a batch of n into per-image outputs
    return images.map((_, i) => {
      const o: Outputs = {};
      for (const [k, t] of Object.entries(out)) {
        const per = t.data.length / images.length;
        o[k] = { data: (t.data as Float32Array).subarray(i * per, (i + 1) * per), dims: [1, ...t.dims.slice(1)] } as unknown as Outputs[string];
      }
      return o;
    });
  }

  /** Raw head outputs for one image (for golden tests). */
  async raw(image: PreprocessedImage, signal?: AbortSignal): Promise<Outputs> {
    return this.#batcher.submit({ image: assertImage(image, this.preprocess, this.id) }, signal);
  }

  /** Detections in the original image's pixels (default: the size the image was decoded at). `signal` aborting before the batch runs drops the image. */
  async detect(image: PreprocessedImage, original: { width: number; height: number } = image.original, opts: DetectOptions = {}, signal?: AbortSignal): Promise<Detection[]> {
    const threshold = opts.scoreThreshold ?? this.spec.scoreThreshold;
    const out = await this.#batcher.submit({ image: assertImage(image, this.preprocess, this.id), threshold }, signal);
    return decodeDetections(out, this.spec, this.preprocess, original, this.classNames, { ...opts, scoreThreshold: threshold });
  }

  /** Items waiting in this model's batching queue, whether a batch runs, and items dropped on abort. */
  queue(): { pending: number; running: boolean; dropped: number } {
    return { pending: this.#batcher.pending, running: this.#batcher.running, dropped: this.#batcher.dropped };
  }

  close(): void {
    this.#batcher.close();
  }
}
