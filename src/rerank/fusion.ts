/**
 * Fusion: one score in [0, 1] per (query, document) from the signals present for that pair, in one
 * of three modes (issue 14 §2):
 *   logodds (default)     the weighted mean of the signals' calibrated probabilities taken in
 *                         log-odds: logistic(Σ w·logit(p) / Σ w). One signal: its probability. For
 *                         several, a signal that is all but sure (an identical photo: image_image
 *                         0.99997) is not flattened by the probability scale's ceiling to the level
 *                         of one that is merely likely (0.985), so certainty in one signal outweighs
 *                         doubt in another (models/CALIBRATION.md: the default since 2026-12-04);
 *   calibrated            the plain weighted mean of the calibrated probabilities (the default
 *                         before; a pipeline may still ask for it);
 *   raw                   one logistic 1 / (1 + e^−(a·m + b)) of m, the weighted mean of the
 *                         signals' raw values (cosines), a and b fitted (`vlrerank eval --fit`).
 * Either depends on nothing but the pair (no per-request min-max, no rank fusion), so the same pair
 * gets the same score in any request and thresholds keep their meaning.
 */

/**
 * Default weights by signal name; configurable per Reranker and per request. A weight only matters
 * where a document has more than one signal (text + photo, text + clip): one signal's score is its
 * calibrated probability whatever its weight. The zero-shot bridge (text_image, and text_video, a
 * clip being scored as its frames are) weighs 0.4 against the document's own text: fitted with
 * 5-fold cross-validation on the public text + photo sets, COCO-mini captions → photo + alt text and
 * Grocery descriptions / titles / product names → text + catalog photo, each set alone choosing 0.4
 * in every fold; at 1 the calibrated mean fell 0.01–0.04 nDCG@10 below the reference's raw-cosine
 * 0.5/0.5 fusion on every set (models/CALIBRATION.md, "Quality anchors").
 */
export const DEFAULT_WEIGHTS: Readonly<Record<string, number>> = Object.freeze({
  text_text: 1,
  text_image: 0.4,
  text_video: 0.4,
  image_image: 1,
  video_image: 1,
  video_video: 1,
  image_text: 1,
  video_text: 1,
  ocr_text: 0.3,
  // the query photo's OCR text against document texts: off unless weighted (OCR of the query photo costs 0.1–0.4 s)
  image_ocr_text: 0,
  clip: 1,
  remote: 2,
});

/** The names a weight can give: one per signal the scorer computes (the keys of DEFAULT_WEIGHTS). */
export const SIGNAL_NAMES: readonly string[] = Object.freeze(Object.keys(DEFAULT_WEIGHTS));

/**
 * The names in `weights` that are no signal. A misspelt name (`text_txt`) was kept and never read:
 * the weight meant for a signal silently did nothing (held-out probe round 7). Empty when all are known.
 */
export function unknownSignals(weights: Readonly<Record<string, number>> | undefined): string[] {
  return Object.keys(weights ?? {}).filter((n) => !Object.hasOwn(DEFAULT_WEIGHTS, n));
}

/** What a configuration or a request is told about a weight naming no signal: the name, and the names there are. */
export const unknownSignalReason = (name: string): string => `unknown signal "${name}"; one of ${SIGNAL_NAMES.join(', ')}`;

export interface FusedSignal {
  name: string;
  /** The signal's raw value (a cosine; CLIP's scaled logit), used by the `raw` mode. */
  raw?: number;
  calibrated: number;
  weight: number;
}

/** How the signals become one score: see the module header. */
export type ScoreFusion = { kind: 'calibrated' } | { kind: 'logodds' } | { kind: 'raw'; a: number; b: number };

export const LOGODDS: ScoreFusion = Object.freeze({ kind: 'logodds' });

export const logistic = (x: number) => 1 / (1 + Math.exp(-x));

/** The log-odds of a probability kept within [LOGIT_EPS, 1 − LOGIT_EPS] (a 0 or 1 would be ±∞). */
const LOGIT_EPS = 1e-6;
export const logit = (p: number): number => {
  const q = Math.min(1 - LOGIT_EPS, Math.max(LOGIT_EPS, p));
  return Math.log(q / (1 - q));
};

/** Σ w·x / Σ w over the signals with weight > 0 and a finite value; undefined when none. */
export function weightedMean(signals: readonly FusedSignal[], value: (s: FusedSignal) => number | undefined): number | undefined {
  let num = 0;
  let den = 0;
  for (const s of signals) {
    const x = value(s);
    if (!(s.weight > 0) || x === undefined || !Number.isFinite(x)) continue;
    num += s.weight * x;
    den += s.weight;
  }
  return den === 0 ? undefined : num / den;
}

/**
 * calibrated: Σ w·p / Σ w of the calibrated probabilities; logodds: logistic(Σ w·logit(p) / Σ w);
 * raw: logistic(a · Σ w·raw / Σ w + b).
 * No signal → 0. Result clamped to [0, 1].
 */
export function fuse(signals: readonly FusedSignal[], mode: ScoreFusion = LOGODDS): number {
  const lift = nearDuplicateLift(signals);
  if (mode.kind === 'raw') {
    const m = weightedMean(signals, (s) => s.raw);
    return m === undefined ? 0 : Math.min(1, Math.max(0, logistic(mode.a * m + mode.b + lift)));
  }
  if (mode.kind === 'logodds') {
    const m = weightedMean(signals, (s) => logit(s.calibrated));
    return m === undefined ? 0 : logistic(m + lift);
  }
  const m = weightedMean(signals, (s) => s.calibrated);
  if (m === undefined) return 0;
  return Math.min(1, Math.max(0, lift > 0 ? logistic(logit(m) + lift) : m));
}

/** The visual↔visual signals: an EfficientNet cosine between two pictures (or frames). */
const VISUAL_MATCH: ReadonlySet<string> = new Set(['image_image', 'video_image', 'video_video']);

/**
 * An exact or near-duplicate picture (task dup25, models/CALIBRATION.md "The photo itself"): above
 * cosine `from`, a visual↔visual match adds up to `logOdds` (at cosine 1, linearly from `from`) to the
 * fused log-odds. The image_image curve was fitted on in-store photo → catalog photo pairs, where a
 * cosine above 0.9 is rare; extrapolated, it gave the product's own photo (cosine 1) log-odds 10.5
 * against 8.6 for a look-alike product (0.886), so the photo→text signal's swing decided (the own
 * photo ranked second with the default weights). A function of the pair alone; monotone in every signal.
 */
export const NEAR_DUPLICATE: Readonly<{ from: number; logOdds: number }> = Object.freeze({ from: 0.9, logOdds: 10 });

/** The log-odds a pair's best visual↔visual cosine adds (0 below NEAR_DUPLICATE.from, or without such a signal). */
export function nearDuplicateLift(signals: readonly FusedSignal[]): number {
  let best = 0;
  for (const s of signals) {
    if (!VISUAL_MATCH.has(s.name) || !(s.weight > 0) || s.raw === undefined || !Number.isFinite(s.raw)) continue;
    best = Math.max(best, (s.raw - NEAR_DUPLICATE.from) / (1 - NEAR_DUPLICATE.from));
  }
  return NEAR_DUPLICATE.logOdds * Math.min(1, best);
}

export function resolveWeights(base: Record<string, number> | undefined, override?: Record<string, number>): Record<string, number> {
  return { ...DEFAULT_WEIGHTS, ...(base ?? {}), ...(override ?? {}) };
}
