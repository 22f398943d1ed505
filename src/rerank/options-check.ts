/**
 * `new Reranker(options)` and `process()` options checked before any work, as zod strict objects:
 * each mistake a VLR_BAD_REQUEST naming the option (`[options.device] must be one of auto, cpu,
 * cuda`), an unknown key (`modelDir`) with the nearest known one. Where the server's configuration
 * checks the same setting (src/config/schema.ts: models.dir, media.roots, rerank.weights…) its piece
 * is reused, so the library and the server take the same values. Objects the composition root builds
 * (ports, admission controller, prepared sides, hooks) are taken as given.
 *
 * Checks only: the caller's object is used as given (no defaults are filled in here).
 */
import { z } from 'zod';
import { mediaSchema, modelsSchema, rerankSchema, storeSchema } from '../config/schema.js';
import { vlrError } from '../errors.js';
import { closestName } from '../util/closest-name.js';
import { SIGNAL_NAMES } from './fusion.js';
import { FRAME_POOLING_PATTERN } from './signals/frame-pooling.js';
import { MAX_BUDGET_MS, type ProcessOptions, type RerankerOptions } from './options.js';
import { isObject } from '../util/is-object.js';
import type { RecordOptions } from './records/build.js';

const nonEmpty = z.string().min(1);
const positiveInt = z.number().int().positive();
const above0 = z.number().positive();
const anyObject = z.record(z.string(), z.unknown());
/** Taken as given: built by the composition root or the caller's own code. */
const given = z.unknown().optional();

/** Per call or per reranker: chunking as a pipeline's `scorer.chunking` (src/pipelines/schema.ts), without its `true`. */
const chunking = z.union([
  z.literal(false),
  z.strictObject({ max_tokens: z.number().int().min(16).optional(), overlap: z.number().int().nonnegative().optional(), aggregate: z.enum(['max', 'mean', 'max_mean']).optional(), max_chunks: z.number().int().min(1).max(256).optional() }),
]);
const framePooling = z.string().regex(FRAME_POOLING_PATTERN);
const scoreFusion = z.discriminatedUnion('kind', [
  z.strictObject({ kind: z.literal('calibrated') }),
  z.strictObject({ kind: z.literal('logodds') }),
  z.strictObject({ kind: z.literal('raw'), a: z.number(), b: z.number() }),
]);

const rerankerOptionsSchema = z.strictObject({
  modelsDir: modelsSchema.shape.dir.optional(),
  device: modelsSchema.shape.device.optional(),
  precision: modelsSchema.shape.precision.optional(),
  cacheDir: rerankSchema.shape.cacheDir.optional(),
  mediaRoots: mediaSchema.shape.roots.optional(),
  mediaAllowHosts: mediaSchema.shape.allowHosts.optional(),
  mediaProxy: mediaSchema.shape.proxy,
  mediaNoProxy: mediaSchema.shape.noProxy,
  maxDocuments: rerankSchema.shape.maxDocuments.optional(),
  fps: mediaSchema.shape.fps.optional(),
  maxFrames: mediaSchema.shape.maxFrames.optional(),
  weights: z.partialRecord(z.enum(SIGNAL_NAMES as [string, ...string[]]), z.number().nonnegative()).optional(),
  calibration: anyObject.optional(),
  calibrationFile: nonEmpty.optional(),
  bridge: z.strictObject({ topT: positiveInt, temperature: above0 }).partial().optional(),
  visualPassage: z.strictObject({ minScore: z.number(), maxClasses: z.number().int().nonnegative(), topLabels: z.number().int().nonnegative() }).partial().optional(),
  passageMix: z.number().min(0).max(1).optional(),
  ocr: rerankSchema.shape.ocr.optional(),
  chunking: chunking.optional(),
  framePooling: framePooling.optional(),
  scoreFusion: scoreFusion.optional(),
  mediaConcurrency: positiveInt.optional(),
  // the configuration takes whole ms only; the library has always taken any number
  apiBudgetMs: z.number().min(0).max(MAX_BUDGET_MS).optional(),
  maxConcurrentRequests: rerankSchema.shape.maxConcurrentRequests.optional(),
  admission: rerankSchema.shape.admission.optional(),
  admissionControl: given,
  remoteUrls: rerankSchema.shape.remote.unwrap().shape.urls.optional(),
  remoteApiKey: nonEmpty.optional(),
  remoteTimeoutMs: above0.optional(),
  remoteModel: nonEmpty.optional(),
  clipModel: rerankSchema.shape.clipModel,
  store: storeSchema.optional(),
  featureStore: z.strictObject({ diskPath: nonEmpty, diskMaxBytes: positiveInt.optional() }).optional(),
  preparedSides: given,
  ports: z.custom((v) => typeof v === 'function' || isObject(v)).optional(),
  observe: given,
});

const processOptionsSchema = z.strictObject({
  signal: z.instanceof(AbortSignal).optional(),
  // any number but NaN: an unbounded call's deadline is Infinity
  deadline: z.custom<number>((v) => typeof v === 'number' && !Number.isNaN(v)).optional(),
  budgetMs: z.number().positive().max(MAX_BUDGET_MS).optional(),
  client: z.string().optional(),
  kind: z.string().optional(),
  records: z.array(z.unknown()).optional(),
  recordStandIns: z.array(z.boolean().optional()).optional(),
  recordOrigin: z.string().optional(),
  chunking: chunking.optional(),
  framePooling: framePooling.optional(),
  scoreFusion: scoreFusion.optional(),
  maxTokensPerDoc: positiveInt.optional(),
  onStage: z.custom<ProcessOptions['onStage']>((v) => typeof v === 'function').optional(),
});

/** `records()`'s options: a bad one was taken as it came (`fps: NaN`, `chunking: {max_tokens: 1}`) or threw a TypeError (`signal: 'x'`). */
const recordOptionsSchema = z.strictObject({
  fps: above0.optional(),
  maxFrames: positiveInt.optional(),
  ocr: z.boolean().optional(),
  queryVectors: z.boolean().optional(),
  chunking: chunking.optional(),
  signal: z.instanceof(AbortSignal).optional(),
});

// the schemas name every option of the types and no other (a compile error otherwise)
type SameKeys<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
true satisfies SameKeys<keyof RerankerOptions, keyof typeof rerankerOptionsSchema.shape>;
true satisfies SameKeys<keyof ProcessOptions, keyof typeof processOptionsSchema.shape>;
true satisfies SameKeys<keyof RecordOptions, keyof typeof recordOptionsSchema.shape>;

/**
 * The rule each option's message states, by path (`*`: any key of a record). An issue deeper than a
 * listed path (an element of a list) is reported as the listed one; a path not listed gets zod's own
 * words (a field of `admission`, `bridge`…).
 */
const RULES: Record<string, string> = {
  // new Reranker()
  ...Object.fromEntries(['modelsDir', 'cacheDir', 'calibrationFile', 'clipModel', 'remoteApiKey', 'remoteModel'].map((k) => [k, 'must be a non-empty string'])),
  device: 'must be one of auto, cpu, cuda',
  precision: 'must be an object: model id → fp32, fp16 or int8',
  'precision.*': 'must be one of fp32, fp16, int8',
  mediaRoots: 'must be an array of folder paths (strings)',
  mediaAllowHosts: 'must be an array of host names, addresses or CIDRs (strings)',
  mediaProxy: 'must be an http:// or https:// URL, or {http, https} of such URLs',
  mediaNoProxy: 'must be an array of host names, addresses, CIDRs or * (strings)',
  remoteUrls: 'must be an array of http:// or https:// URLs (strings)',
  ...Object.fromEntries(['maxDocuments', 'maxFrames', 'mediaConcurrency', 'maxConcurrentRequests', 'maxTokensPerDoc'].map((k) => [k, 'must be a positive integer'])),
  fps: 'must be a number above 0',
  remoteTimeoutMs: 'must be a number above 0',
  apiBudgetMs: `must be a number of ms from 0 (none) to ${MAX_BUDGET_MS}`,
  passageMix: 'must be a number from 0 to 1',
  ocr: 'must be a boolean',
  queryVectors: 'must be a boolean',
  weights: 'must be an object: signal name → weight',
  'weights.*': 'must be a number ≥ 0',
  ...Object.fromEntries(['calibration', 'bridge', 'visualPassage', 'admission'].map((k) => [k, 'must be an object'])),
  scoreFusion: 'must be { kind: "calibrated" | "logodds" } or { kind: "raw", a, b }',
  'scoreFusion.kind': 'must be calibrated, logodds or raw',
  chunking: 'must be an object or false',
  framePooling: 'must be mean, max or topK (K 1–99)',
  store: 'must be an object as the configuration\'s store section: { disk?: { path, maxBytes }, redis?: { url, … } }',
  'store.disk': 'must be { path?: "<folder>", maxBytes? }',
  'store.disk.path': 'must be a non-empty string (a folder, or off)',
  'store.redis': 'must be { url?: "redis://…", ttlSeconds?, keyPrefix?, … }',
  ...Object.fromEntries(['store.disk.maxBytes', 'store.redis.ttlSeconds', 'store.redis.maxValueBytes', 'store.redis.lockMs', 'store.redis.commandTimeoutMs'].map((k) => [k, 'must be a positive integer'])),
  featureStore: 'must be { diskPath: "<folder>", diskMaxBytes? }',
  'featureStore.diskPath': 'must be a non-empty string (a folder)',
  'featureStore.diskMaxBytes': 'must be a positive integer',
  ports: 'must be the ports object or a function returning it',
  // process()
  signal: 'must be an AbortSignal',
  deadline: 'must be a number (performance.now() clock)',
  budgetMs: `must be a number of ms above 0, at most ${MAX_BUDGET_MS}`,
  client: 'must be a string',
  kind: 'must be a string',
  recordOrigin: 'must be a string',
  records: 'must be an array, one entry per document',
  recordStandIns: 'must be an array of booleans, one entry per document',
};

/** What an unknown key at a path is called, where it is not an option. */
const UNKNOWN_KEY: Record<string, string> = { weights: `unknown signal; one of ${SIGNAL_NAMES.join(', ')}` };

/** The keys a (strict) object schema at `path` knows, for "did you mean". */
function keysAt(schema: z.ZodType, path: readonly PropertyKey[]): string[] {
  let s: z.ZodType | undefined = schema;
  for (const seg of [...path, undefined]) {
    while (s instanceof z.ZodOptional || s instanceof z.ZodDefault) s = s.unwrap() as z.ZodType;
    if (s instanceof z.ZodUnion) s = (s.options as z.ZodType[]).find((o) => o instanceof z.ZodObject);
    if (!(s instanceof z.ZodObject)) return [];
    if (seg === undefined) return Object.keys(s.shape);
    s = s.shape[String(seg)] as z.ZodType | undefined;
  }
  return [];
}

function refuse(schema: z.ZodType, value: unknown): void {
  const r = schema.safeParse(value);
  if (r.success) return;
  // an unknown key first: a typo's value is checked by nothing, say so before anything else
  const issue = r.error.issues.find((i) => i.code === 'unrecognized_keys') ?? r.error.issues[0]!;
  const named = issue.path.filter((p): p is string => typeof p === 'string');
  let field: string[];
  let rule: string;
  if (issue.code === 'unrecognized_keys') {
    const key = issue.keys[0]!;
    field = [...named, key];
    const near = closestName(key, keysAt(schema, issue.path));
    rule = UNKNOWN_KEY[named.join('.')] ?? `unknown option${near ? `; did you mean ${near}?` : ''}`;
  } else {
    // a list's element is named by its list; a record's key by itself (`precision.<model id>`)
    const exact = named.join('.');
    const anyKey = [...named.slice(0, -1), '*'].join('.');
    field = named;
    rule = RULES[exact] ?? (named.length > 1 ? RULES[anyKey] : undefined) ?? issue.message;
  }
  const name = ['options', ...field].join('.');
  throw vlrError('VLR_BAD_REQUEST', `[${name}] ${rule}`, { details: { field: name } });
}

/**
 * `process()`'s options: a caller's `null`, a signal that is not an AbortSignal or a deadline that
 * is not a number was a raw TypeError from deep inside (held-out probe round 4); a misspelt option
 * (`budget`) was ignored.
 */
export function checkProcessOptions(options: unknown): ProcessOptions {
  if (options === undefined) return {};
  if (!isObject(options)) throw vlrError('VLR_BAD_REQUEST', '[options] process() options must be an object (or left out)', { details: { field: 'options' } });
  refuse(processOptionsSchema, options);
  return options as ProcessOptions;
}

/**
 * `new Reranker(options)`: a `mediaRoots` string, a `device: 'gpu'` or a bad `precision` threw a raw
 * ZodError naming config keys (`media.roots`) at the first process(); a numeric `cacheDir` or a
 * `featureStore` path string a TypeError; a weight of `'x'` scored every document 0;
 * `maxDocuments: -1` refused every request later; a misspelt key (`modelDir`) was ignored (held-out
 * probe round 11b).
 */
export function checkRerankerOptions(options: object): void {
  refuse(rerankerOptionsSchema, options);
  const o = options as RerankerOptions;
  if (o.featureStore && o.store?.disk) throw vlrError('VLR_BAD_REQUEST', '[options.featureStore] is the older spelling of store.disk: give one of them', { details: { field: 'options.featureStore' } });
}

/** `Reranker.records()` options: each mistake a VLR_BAD_REQUEST naming the option. */
export function checkRecordOptions(options: unknown): RecordOptions {
  if (options === undefined) return {};
  if (!isObject(options)) throw vlrError('VLR_BAD_REQUEST', '[options] records() options must be an object (or left out)', { details: { field: 'options' } });
  refuse(recordOptionsSchema, options);
  return options as RecordOptions;
}
