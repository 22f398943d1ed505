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
import { vlrError } from '../errors.js';

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
  // the query photo's OCR text against a document's text: fitted on the photo-query pools (models/CALIBRATION.md,
  // "The query photo's OCR text, fitted"); it borrowed ocr_text's curve before, which pulled every text down
  image_ocr_text: { a: 4.3631, b: -2.046 },
  clip: { a: 1, b: -25 },
  remote: { a: 1, b: 0, input: 'logit' },
});

export function sigmoid(x: number): number {
  if (x >= 0) return 1 / (1 + Math.exp(-x));
  const e = Math.exp(x);
  return e / (1 + e);
}

const IDENTITY: LogisticParams = Object.freeze({ a: 1, b: 0 });

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
    const own = this.#own(signal);
    return own ? { ...own, fitted: true } : { ...this.#fallback(signal), fitted: false };
  }

  #own(signal: string): LogisticParams | undefined {
    return this.table[signal] ?? (ALIASES[signal] ? this.table[ALIASES[signal]!] : undefined);
  }

  #fallback(signal: string): LogisticParams {
    return DEFAULT_CALIBRATION[signal] ?? DEFAULT_CALIBRATION[ALIASES[signal] ?? ''] ?? IDENTITY;
  }

  /** Every signal's constants in effect, marked fitted (from a file/manifest) or default. */
  describe(): Record<string, LogisticParams & { fitted: boolean }> {
    const names = new Set([...Object.keys(DEFAULT_CALIBRATION), ...Object.keys(this.table), ...Object.keys(ALIASES)]);
    return Object.fromEntries([...names].sort().map((n) => [n, this.params(n)]));
  }

  calibrate(signal: string, raw: number): number {
    if (!Number.isFinite(raw)) return 0;
    // the constants themselves, not params()'s copy: this runs for every signal of every pair
    const { a, b, input } = this.#own(signal) ?? this.#fallback(signal);
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

/**
 * Read a calibration file; the shipped one missing → empty table (defaults apply). A file the caller
 * named (`calibrationFile`) that is missing or malformed is a VLR_BAD_REQUEST naming the option and
 * the file; the shipped one malformed, VLR_CONFIG_INVALID. A named file that did not exist was
 * skipped silently (defaults scored), one that was not JSON threw a bare SyntaxError from
 * `new Reranker()` (held-out probe round 24b).
 */
function readCalibrationFile(file: string, named: boolean): CalibrationTable {
  const bad = (why: string, cause?: unknown): never => {
    throw vlrError(named ? 'VLR_BAD_REQUEST' : 'VLR_CONFIG_INVALID', `${named ? '[options.calibrationFile] ' : ''}calibration file ${file}: ${why}`, { cause, ...(named ? { details: { field: 'options.calibrationFile' } } : {}) });
  };
  if (!existsSync(file)) return named ? bad('does not exist') : {};
  let raw: CalibrationFile;
  try {
    raw = JSON.parse(readFileSync(file, 'utf8')) as CalibrationFile;
  } catch (e) {
    return bad(`cannot be read as JSON (${(e as Error).message.split('\n')[0]})`, e);
  }
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) return bad('must be a JSON object {"version": 1, "signals": {…}}');
  const out: CalibrationTable = {};
  for (const [k, v] of Object.entries(raw.signals ?? {})) {
    if (typeof v?.a !== 'number' || typeof v?.b !== 'number' || !Number.isFinite(v.a) || !Number.isFinite(v.b)) {
      bad(`signals.${k} needs finite numbers a and b`);
    }
    out[k] = { a: v.a, b: v.b, ...(v.input === 'logit' ? { input: 'logit' as const } : {}) };
  }
  return out;
}

/** File table ← manifest tables ← explicit overrides. */
export function buildCalibrator(options: { file?: string; manifests?: CalibrationTable[]; overrides?: CalibrationTable } = {}): Calibrator {
  const file = options.file ?? defaultCalibrationFile();
  const table: CalibrationTable = { ...readCalibrationFile(file, options.file !== undefined) };
  for (const m of options.manifests ?? []) Object.assign(table, m);
  Object.assign(table, options.overrides ?? {});
  return new Calibrator(table, existsSync(file) ? file : 'defaults');
}

export interface LogisticFitOptions {
  /**
   * Class-balanced (default): positives and negatives carry equal (weighted) totals, so p = 0.5 is
   * where a positive and a negative are equally likely whatever their ratio in the sample — what a
   * calibration wants. Off: p is the rate of positives (eval's first-stage map and raw logistic).
   * Balanced needs both classes; unbalanced, an empty sample gives the identity a = 1, b = 0.
   */
  balance?: boolean;
  /** Fit on (x − mean) / sd and map the constants back, so that the ridge does not depend on the scale of x (default off). */
  standardise?: boolean;
  /** L2 penalty on `a` (on the standardised slope when `standardise`); separable data would push `a` to infinity (default 1e-4). */
  l2?: number;
  /** Per-pair weights ≥ 0 (e.g. so that each data set counts the same within a class); class balance is taken over the weighted totals. */
  weights?: number[];
  /** Newton steps at most (default 50). */
  iterations?: number;
  /**
   * Added to the intercept's curvature at each step, so the step stays finite when every p has
   * saturated (default 1e-9). Eval's fits never had it and pass 0, which keeps their floats: with no
   * positive at all, where b runs off to −∞, the stopping point depends on it.
   */
  interceptCurvature?: number;
}

/**
 * Fit p = σ(a·x + b) by Newton's method (IRLS) with an L2 penalty on `a` — the one logistic fitter:
 * the calibration constants (scripts/fit-calibration.ts, class-balanced) and `vlrerank eval --fit`'s
 * first-stage map and raw-fusion logistic (src/eval/fit.ts, unbalanced and standardised). Pure and
 * deterministic; test/unit/rerank/logistic-fit-pinned.test.ts pins its floats.
 */
export function fitLogistic(xs: number[], ys: number[], options: LogisticFitOptions = {}): LogisticParams {
  const n = xs.length;
  const l2 = options.l2 ?? 1e-4;
  const sw = options.weights;
  if (sw && (sw.length !== n || sw.some((w) => !(w >= 0) || !Number.isFinite(w)))) throw new Error('fitLogistic: weights must be one finite number ≥ 0 per pair');
  const weightOf = (i: number) => (sw ? sw[i]! : 1);
  let wPos = 1;
  let wNeg = 1;
  if (options.balance ?? true) {
    // class balance over the pairs' own weights: positives and negatives carry equal totals
    let nPos = 0;
    let nNeg = 0;
    for (let i = 0; i < ys.length; i++) {
      if (ys[i] === 1) nPos += weightOf(i);
      else nNeg += weightOf(i);
    }
    if (!(nPos > 0) || !(nNeg > 0)) throw new Error('fitLogistic needs positives and negatives');
    wPos = (nPos + nNeg) / (2 * nPos);
    wNeg = (nPos + nNeg) / (2 * nNeg);
  } else if (!n) return { a: 1, b: 0 };
  let mu = 0;
  let sd = 1;
  if (options.standardise) {
    mu = xs.reduce((s, x) => s + x, 0) / n;
    sd = Math.sqrt(xs.reduce((s, x) => s + (x - mu) ** 2, 0) / n) || 1;
  }
  const z = options.standardise ? xs.map((x) => (x - mu) / sd) : xs;
  let a = 0;
  let b = 0;
  for (let it = 0; it < (options.iterations ?? 50); it++) {
    // gradient and Hessian of the weighted negative log-likelihood
    let ga = l2 * a;
    let gb = 0;
    let haa = l2;
    let hab = 0;
    let hbb = options.interceptCurvature ?? 1e-9;
    for (let i = 0; i < n; i++) {
      const x = z[i]!;
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
  return options.standardise ? { a: a / sd, b: b - (a * mu) / sd } : { a, b };
}
