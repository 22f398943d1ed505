/**
 * Per-signal calibration: raw signal values (cosines, logits, remote scores) become probabilities
 * of relevance with a logistic map p = 1 / (1 + exp(-(a·raw + b))), constants fitted by
 * scripts/fit-calibration.ts on labelled pairs from ../shared/data (see models/CALIBRATION.md).
 *
 * Where constants live: `models/calibration/signals.json` in the repo (written by the fit script), overlaid
 * by any `calibration` entry of a model manifest (the manifest schema has the field), overlaid by
 * the caller's own table. A signal without constants falls back to DEFAULT_CALIBRATION, which is
 * stated here and reported in explanations, never silently invented per request.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export interface LogisticParams {
  a: number;
  b: number;
  /**
   * What x is: the raw value itself (default), or its logit — for raw values that already are
   * probabilities (a remote vlrerank or a yes/no VLM reranker), where a=1, b=0 is the identity.
   */
  input?: 'raw' | 'logit';
}

export type CalibrationTable = Record<string, LogisticParams>;

/**
 * Fallbacks when no fitted table is found (rough fits of the same kind; the fitted file wins).
 * `remote` assumes the remote server already returns a probability-like score in [0,1].
 */
export const DEFAULT_CALIBRATION: Readonly<CalibrationTable> = Object.freeze({
  // rough own-modality fits from before issue 14 §4; the mixed-pool fit in models/calibration/signals.json wins
  text_text: { a: 33.4, b: -23.8 },
  text_image: { a: 21.7, b: -11.9 },
  image_image: { a: 16.1, b: -5.8 },
  ocr_text: { a: 33.4, b: -23.8 },
  clip: { a: 1, b: -25 },
  remote: { a: 1, b: 0, input: 'logit' },
});

export function sigmoid(x: number): number {
  if (x >= 0) return 1 / (1 + Math.exp(-x));
  const e = Math.exp(x);
  return e / (1 + e);
}

/** Which table a signal falls back to when it has no constants of its own. */
const ALIASES: Record<string, string> = { text_video: 'text_image', video_image: 'image_image', video_video: 'image_image', image_text: 'text_image', video_text: 'text_image' };

export class Calibrator {
  readonly table: CalibrationTable;
  readonly source: string;

  constructor(table: CalibrationTable, source: string) {
    this.table = table;
    this.source = source;
  }

  params(signal: string): LogisticParams & { fitted: boolean } {
    const own = this.table[signal] ?? (ALIASES[signal] ? this.table[ALIASES[signal]!] : undefined);
    if (own) return { ...own, fitted: true };
    const d = DEFAULT_CALIBRATION[signal] ?? DEFAULT_CALIBRATION[ALIASES[signal] ?? ''] ?? { a: 1, b: 0 };
    return { ...d, fitted: false };
  }

  /** Every signal's constants in effect, marked fitted (from a file/manifest) or default. */
  describe(): Record<string, LogisticParams & { fitted: boolean }> {
    const names = new Set([...Object.keys(DEFAULT_CALIBRATION), ...Object.keys(this.table), ...Object.keys(ALIASES)]);
    return Object.fromEntries([...names].sort().map((n) => [n, this.params(n)]));
  }

  calibrate(signal: string, raw: number): number {
    if (!Number.isFinite(raw)) return 0;
    const { a, b, input } = this.params(signal);
    const x = input === 'logit' ? Math.log(Math.min(Math.max(raw, 1e-6), 1 - 1e-6) / (1 - Math.min(Math.max(raw, 1e-6), 1 - 1e-6))) : raw;
    return sigmoid(a * x + b);
  }
}

/** The repo's `models/calibration/signals.json`, found from this module (src/ or dist/). */
function defaultCalibrationFile(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 6; i++) {
    const f = join(dir, 'models', 'calibration', 'signals.json');
    if (existsSync(f)) return f;
    dir = dirname(dir);
  }
  return join(process.cwd(), 'models', 'calibration', 'signals.json');
}

export interface CalibrationFile {
  version: 1;
  signals: CalibrationTable;
  [k: string]: unknown;
}

/** Read a calibration file; missing → empty table (defaults apply), malformed → error naming it. */
function readCalibrationFile(file = defaultCalibrationFile()): CalibrationTable {
  if (!existsSync(file)) return {};
  const raw = JSON.parse(readFileSync(file, 'utf8')) as CalibrationFile;
  const out: CalibrationTable = {};
  for (const [k, v] of Object.entries(raw.signals ?? {})) {
    if (typeof v?.a !== 'number' || typeof v?.b !== 'number' || !Number.isFinite(v.a) || !Number.isFinite(v.b)) {
      throw new Error(`calibration file ${file}: signals.${k} needs finite numbers a and b`);
    }
    out[k] = { a: v.a, b: v.b, ...(v.input === 'logit' ? { input: 'logit' as const } : {}) };
  }
  return out;
}

/** File table ← manifest tables ← explicit overrides. */
export function buildCalibrator(options: { file?: string; manifests?: CalibrationTable[]; overrides?: CalibrationTable } = {}): Calibrator {
  const file = options.file ?? defaultCalibrationFile();
  const table: CalibrationTable = { ...readCalibrationFile(file) };
  for (const m of options.manifests ?? []) Object.assign(table, m);
  Object.assign(table, options.overrides ?? {});
  return new Calibrator(table, existsSync(file) ? file : 'defaults');
}

/**
 * Fit p = σ(a·x + b) by Newton's method (IRLS) with a small L2 penalty on `a`, class-balanced so
 * that p = 0.5 is the point where a positive and a negative are equally likely whatever the ratio
 * of positives to negatives in the training pairs. Optional per-pair `weights` (e.g. so that each
 * data set counts the same within a class) multiply in; class balance is taken over the weighted
 * totals. Used by scripts/fit-calibration.ts.
 */
export function fitLogistic(xs: number[], ys: number[], options: { l2?: number; iterations?: number; weights?: number[] } = {}): LogisticParams {
  const l2 = options.l2 ?? 1e-4;
  const sw = options.weights;
  if (sw && (sw.length !== xs.length || sw.some((w) => !(w >= 0) || !Number.isFinite(w)))) throw new Error('fitLogistic: weights must be one finite number ≥ 0 per pair');
  const weightOf = (i: number) => (sw ? sw[i]! : 1);
  // class balance over the pairs' own weights: positives and negatives carry equal totals
  let nPos = 0;
  let nNeg = 0;
  for (let i = 0; i < ys.length; i++) {
    if (ys[i] === 1) nPos += weightOf(i);
    else nNeg += weightOf(i);
  }
  if (!(nPos > 0) || !(nNeg > 0)) throw new Error('fitLogistic needs positives and negatives');
  const wPos = (nPos + nNeg) / (2 * nPos);
  const wNeg = (nPos + nNeg) / (2 * nNeg);
  let a = 0;
  let b = 0;
  for (let it = 0; it < (options.iterations ?? 50); it++) {
    // gradient and Hessian of the weighted negative log-likelihood
    let ga = l2 * a;
    let gb = 0;
    let haa = l2;
    let hab = 0;
    let hbb = 1e-9;
    for (let i = 0; i < xs.length; i++) {
      const x = xs[i]!;
      const w = (ys[i] === 1 ? wPos : wNeg) * weightOf(i);
      const p = sigmoid(a * x + b);
      const r = w * (p - ys[i]!);
      ga += r * x;
      gb += r;
      const s = w * p * (1 - p);
      haa += s * x * x;
      hab += s * x;
      hbb += s;
    }
    const det = haa * hbb - hab * hab;
    if (!(Math.abs(det) > 1e-12)) break;
    const da = (hbb * ga - hab * gb) / det;
    const db = (haa * gb - hab * ga) / det;
    a -= da;
    b -= db;
    if (Math.abs(da) < 1e-9 && Math.abs(db) < 1e-9) break;
  }
  return { a, b };
}
