/**
 * The reranker's public input and output types (issue 5 §1) and their validation.
 *
 * Input is validated once with zod; any problem becomes a VLR_BAD_REQUEST (ES-shaped 400) whose
 * reason names the offending field as a path (`documents[3].fps`). Nothing below this module
 * re-validates. Never reads HTTP or config: the limits it needs are passed in.
 */
import { z } from 'zod';
import { vlrError, type VlrerankError } from '../errors.js';
import { unknownSignalReason, unknownSignals } from './fusion.js';
import { hasVisibleText } from '../util/visible-text.js';

/** A media reference: URL, `data:` URI, base64 or a local path under the allowed roots. */
const mediaRef = z.string().min(1, 'must be a non-empty string');
const fps = z.number().positive().max(60);
const maxFrames = z.number().int().positive().max(512);

const queryObjectSchema = z
  .strictObject({
    text: z.string().optional(),
    image: mediaRef.optional(),
    video: mediaRef.optional(),
  })
  // /\S/ stops at the first non-space; trim() copied a 31 MiB query text whole (issue 13, profiled)
  .refine((q) => (q.text !== undefined && hasVisibleText(q.text)) || q.image !== undefined || q.video !== undefined, {
    message: 'needs at least one of text, image, video',
  });

const documentObjectSchema = z
  .strictObject({
    text: z.string().optional(),
    image: mediaRef.optional(),
    video: mediaRef.optional(),
    fps: fps.optional(),
    max_frames: maxFrames.optional(),
  })
  .refine((d) => d.text !== undefined || d.image !== undefined || d.video !== undefined, {
    message: 'needs at least one of text, image, video',
  });

const rerankInputSchema = z.strictObject({
  /** Task instruction: passed to backends that take one (remote VLM rerankers), reported as unused otherwise. */
  instruction: z.string().max(4096).optional(),
  // a query of spaces alone is as empty as the object form's (it scored every document 0 with a 200)
  query: z.union([z.string().refine(hasVisibleText, 'must be a non-empty string (not only whitespace or invisible characters)'), queryObjectSchema]),
  documents: z.array(z.union([z.string(), documentObjectSchema])).min(1, 'must hold at least one document'),
  /** Default video sampling for the request; per-document values override. */
  fps: fps.optional(),
  max_frames: maxFrames.optional(),
  /** Include a per-document explanation. */
  explain: z.boolean().optional(),
  /** Fail the whole request (4xx) when one document's media cannot be read, instead of scoring it 0. */
  strict: z.boolean().optional(),
  /** Return only the best N results (the input-order `scores` always cover every document). */
  top_n: z.number().int().positive().optional(),
  /** Scorer backend: the local ONNX models (default) or the configured remote `/v1/rerank` workers, or both. */
  backend: z.enum(['local', 'remote', 'both']).optional(),
  /** Per-request fusion weights by signal name (missing names keep their configured weight). */
  weights: z
    .record(z.string(), z.number().nonnegative())
    .superRefine((w, ctx) => {
      for (const n of unknownSignals(w)) ctx.addIssue({ code: 'custom', path: [n], message: unknownSignalReason(n) });
    })
    .optional(),
  /** Turn OCR text of images into a text↔text signal (slow: ~150 ms per image). */
  ocr: z.boolean().optional(),
});

export type RerankInput = z.input<typeof rerankInputSchema>;
export type DocumentInput = z.infer<typeof documentObjectSchema>;

/** A query or document after normalisation: strings became `{text}`. */
export interface NormalizedQuery {
  text?: string;
  image?: string;
  video?: string;
}
export interface NormalizedDocument extends NormalizedQuery {
  fps?: number;
  max_frames?: number;
}

export interface NormalizedInput {
  instruction?: string;
  query: NormalizedQuery;
  /** As given (strings stay strings), returned in results. */
  original: Array<string | DocumentInput>;
  documents: NormalizedDocument[];
  fps?: number;
  maxFrames?: number;
  explain: boolean;
  strict: boolean;
  topN?: number;
  backend: 'local' | 'remote' | 'both';
  weights?: Record<string, number>;
  ocr?: boolean;
}

export type Modality = 'text' | 'image' | 'video';

/** One signal's contribution to a document's score. */
export interface SignalExplanation {
  /** Signal name, e.g. `text_text`, `text_image`, `image_image`, `ocr_text`, `clip`, `remote`. */
  name: string;
  /** Which modalities were compared, e.g. `query.text↔document.image`. */
  compared: string;
  raw: number;
  calibrated: number;
  weight: number;
  /** Signal-specific detail: components of a fused raw value, top concepts, best frame… */
  detail?: Record<string, unknown>;
}

export interface Explanation {
  modalities: { query: Modality[]; document: Modality[] };
  signals: SignalExplanation[];
  /** Feature-cache hits and misses while scoring this document. */
  cache: { hits: number; misses: number };
  /** Where each of the document's features came from: `index` / `record` (a stored feature record), `l1` (the in-process cache), `computed`. */
  features: { text?: string; image?: string; video?: string };
  timings_ms: { features: number };
  /** Best-matching video frame (index into the sampled frames, time in seconds), for video documents. */
  best_frame?: { index: number; time_s?: number; raw: number };
  /** The document's image or video could not be read: it is scored on its text alone (0 without text). */
  error?: { type: string; reason: string; code: string };
  /** Texts cut to the model's maximum length. */
  truncated?: string[];
  /** The instruction and whether any signal used it. */
  instruction?: { used: boolean; by?: string[]; note?: string };
  /** Parts of this document's feature record that were refused (each `reason: what`) and computed again. */
  records?: { rejected: string[] };
}

export interface RerankResult {
  /** Position of the document in the input. */
  index: number;
  /** Calibrated, fused relevance in [0, 1]; the same pair always gets the same score. */
  score: number;
  document: string | DocumentInput;
  explanation?: Explanation;
}

export interface RerankTimings {
  queue_ms: number;
  features_ms: number;
  inference_ms: number;
  fusion_ms: number;
  total_ms: number;
}

export interface RerankUsage {
  documents: number;
  images: number;
  video_frames: number;
  texts: number;
  /**
   * Tokens the text model read for this request (special tokens included, after truncation): only
   * texts it computed — a vector found in a feature tier, or computed for another request at the
   * same time, costs none — plus what remote workers report (their `usage.total_tokens`).
   * `usage.total_tokens` in the rerank APIs.
   */
  tokens: number;
  /**
   * Model runs (batches) that held this request's own inputs, by model (util/work-meter.ts): a
   * feature another request computed (or is computing) costs none; a batch shared with another
   * request counts on both. The server's own runs (concept bank, warm-up) count on none.
   */
  model_calls: Record<string, number>;
  cache_hits: number;
  cache_misses: number;
  /** Documents' features by where they came from: a stored record (`index`, `record`), a cache tier (`l1`), or a model run (`computed`). */
  feature_sources: Record<string, number>;
  /** Feature-record parts handed in: used, and rejected (stale key, other content or sampling) and so recomputed. */
  records?: { used: number; rejected: number; first_rejection?: string };
}

/**
 * What `process()` returns: the results sorted by score (best first, cut to top_n), with the
 * input-order scores and the request's usage and timings attached.
 */
export type RerankOutput = RerankResult[] & {
  /** Every document's score in input order (not cut by top_n). */
  scores: number[];
  /**
   * Documents whose image or video could not be read (not strict): each is scored on what is left
   * (its text), or 0 when nothing is; the same error is in its explanation.
   */
  errors: Array<{ index: number; type: string; reason: string; code: string }>;
  usage: RerankUsage;
  timings: RerankTimings;
  instruction: { given: boolean; used: boolean; by: string[]; note?: string };
  /**
   * `backend: both` and the remote workers failed: the scores are the local signals' alone, and why
   * (`/_vlrerank/rerank` answers it as `remote_error`; only that API and `process()` take `both`:
   * a pipeline's `scorer.backend` is `local` or `remote`, the compatible APIs' bodies name none).
   */
  remoteError?: { code: string; reason: string };
  /** What the caller is told of its request though it was scored (a query photo under 64 px a side: its size and the models' input). */
  warnings?: string[];
};

/** Path of a zod issue in the API's own notation: `documents[3].image`. */
function issuePath(path: ReadonlyArray<PropertyKey>): string {
  let out = '';
  for (const p of path) {
    if (typeof p === 'number') out += `[${p}]`;
    else out += out === '' ? String(p) : `.${String(p)}`;
  }
  return out || '(root)';
}

/**
 * Which rule of the request a VLR_BAD_REQUEST from `validateRerankInput` broke. An API that answers
 * with statuses of its own (TEI's `/rerank`: 413 for too many texts, 400 for none, 422 for the rest)
 * maps these, never the words of the message, which may be reworded.
 */
export type RerankInputRule = 'not_an_object' | 'too_many_documents' | 'no_documents' | 'empty_query' | 'invalid_field';

/** A VLR_BAD_REQUEST carrying the rule it reports (a property of the error object only: no answer's body shows it). */
export function rerankInputError(rule: RerankInputRule, field: string, message: string): VlrerankError {
  const e = vlrError('VLR_BAD_REQUEST', `[${field}] ${message}`, { details: { field } });
  Object.defineProperty(e, 'rule', { value: rule, enumerable: false });
  return e;
}

/** The rule of a rerank input error, also when another error wraps it as its `cause`; undefined for any other error. */
export function rerankInputRuleOf(e: unknown): RerankInputRule | undefined {
  for (let x = e, depth = 0; x instanceof Error && depth < 8; x = x.cause, depth++) {
    const rule = (x as { rule?: RerankInputRule }).rule;
    if (rule !== undefined) return rule;
  }
  return undefined;
}

/** The rule a zod issue broke: the documents list empty, the query with nothing to rank by, or a field's own rule. */
function ruleOf(issue: z.core.$ZodIssue): RerankInputRule {
  const [first, ...rest] = issue.path;
  if (first === 'documents' && rest.length === 0 && issue.code === 'too_small') return 'no_documents';
  if (first === 'query' && rest.length === 0 && issue.code === 'custom') return 'empty_query';
  return 'invalid_field';
}

/** The first zod issue as a 400 naming the field. */
function badRequestFromZod(err: z.ZodError, prefix = ''): never {
  const issue = err.issues[0]!;
  let path = issue.path as PropertyKey[];
  let message = issue.message;
  if (issue.code === 'unrecognized_keys') {
    const keys = (issue as { keys: string[] }).keys;
    path = [...path, keys[0]!];
    message = `unknown field${keys.length > 1 ? 's' : ''} [${keys.join(', ')}]`;
  } else if (issue.code === 'invalid_union') {
    // Report the union member that got furthest (the object form), not "invalid input".
    const errs = (issue as unknown as { errors: z.core.$ZodIssue[][] }).errors;
    const best = errs.map((e) => e[0]).filter(Boolean).sort((a, b) => b!.path.length - a!.path.length)[0];
    if (best && best.path.length > 0) {
      const sub = new z.ZodError([{ ...best, path: [...issue.path, ...best.path] } as z.core.$ZodIssue]);
      return badRequestFromZod(sub, prefix);
    }
    message = 'must be a string or an object with text / image / video';
  }
  throw rerankInputError(ruleOf(issue), prefix + issuePath(path), message);
}

export interface ValidateLimits {
  maxDocuments: number;
  /** `recordStandIns` (options.ts): such a document's `text: ""` says its text is in its record, and is kept. */
  standIns?: ReadonlyArray<boolean | undefined>;
}

/**
 * A document of `Reranker.records()`: text, image, video — or none of them (its record is `{v}`
 * alone, as ingest asks for a document without those fields) — and its own video sampling; other
 * keys are left alone. Unchecked, `records(null)` threw a TypeError with no code, `{text: 7}` Node's
 * ERR_INVALID_ARG_TYPE, `{image: 7}` came back as an "internal error" in `errors`, and a string
 * document made an empty record silently (held-out probe round 24b).
 */
const recordDocumentsSchema = z.strictObject({
  documents: z.array(
    z.looseObject({
      text: z.string().optional(),
      image: mediaRef.optional(),
      video: mediaRef.optional(),
      // a pipeline's sampling is any positive number (pipelines/schema.ts), not the request's 60 / 512 caps
      fps: z.number().positive().optional(),
      max_frames: z.number().int().positive().optional(),
    }),
    'must be an array of documents ({text, image, video})',
  ),
});

/** `records()`'s documents; throws VLR_BAD_REQUEST naming the field (`documents[2].image`). */
export function validateRecordDocuments(documents: unknown): void {
  const parsed = recordDocumentsSchema.safeParse({ documents });
  if (!parsed.success) badRequestFromZod(parsed.error);
}

/** Validate and normalise a rerank request; throws VLR_BAD_REQUEST naming the field. */
export function validateRerankInput(input: unknown, limits: ValidateLimits): NormalizedInput {
  if (input === null || typeof input !== 'object' || Array.isArray(input)) {
    throw rerankInputError('not_an_object', '(root)', 'the rerank request must be a JSON object');
  }
  const docs = (input as { documents?: unknown }).documents;
  if (Array.isArray(docs) && docs.length > limits.maxDocuments) {
    throw rerankInputError('too_many_documents', 'documents', `too many documents: ${docs.length} > ${limits.maxDocuments} (rerank.maxDocuments)`);
  }
  const parsed = rerankInputSchema.safeParse(input);
  if (!parsed.success) badRequestFromZod(parsed.error);
  const v = parsed.data;
  const query: NormalizedQuery = typeof v.query === 'string' ? { text: v.query } : { ...v.query };
  if (query.text !== undefined && !hasVisibleText(query.text)) delete query.text;
  const documents = v.documents.map((d, i): NormalizedDocument => (typeof d === 'string' ? { text: d } : limits.standIns?.[i] === true ? { ...d } : withoutInvisibleText(d)));
  return {
    instruction: v.instruction,
    query,
    original: v.documents,
    documents,
    fps: v.fps,
    maxFrames: v.max_frames,
    explain: v.explain ?? false,
    strict: v.strict ?? false,
    topN: v.top_n,
    backend: v.backend ?? 'local',
    weights: v.weights,
    ocr: v.ocr,
  };
}

/**
 * A document object as the reranker reads it: a text with nothing visible beside a photo or a clip
 * is no text, as the query's is — `{text: "", image}` scored 0.147 against 0.993 for the photo alone,
 * the empty text's cosine pulling it down (held-out probe round 28b; a search's hits already skipped
 * such texts). A document of such a text alone keeps it: it has nothing else to be scored on.
 */
function withoutInvisibleText<D extends NormalizedDocument>(d: D): D {
  if (d.text === undefined || hasVisibleText(d.text) || (d.image === undefined && d.video === undefined)) return { ...d };
  const { text: _text, ...rest } = d;
  return rest as D;
}

export function modalitiesOf(x: NormalizedQuery): Modality[] {
  const m: Modality[] = [];
  if (x.text !== undefined && x.text !== '') m.push('text');
  if (x.image !== undefined) m.push('image');
  if (x.video !== undefined) m.push('video');
  return m;
}
