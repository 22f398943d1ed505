/**
 * The schema of a rerank pipeline (`pipelines/*.yaml`): which index(es) it applies to, which fields
 * of a hit hold text / image / video, how the reranker scores them, how the first-stage order is
 * kept, the window, the time budget and failure policy, and the vector fields used for kNN and
 * ingest. Keys are snake_case like the Elasticsearch/OpenSearch request options they mirror
 * (`min_score`, `rank_window_size`), and unknown keys are refused so that a typo never silently
 * turns a setting off.
 *
 * Pure data + validation: never touches the network or the models.
 */
import { z } from 'zod';

const positiveInt = z.number().int().positive();
/**
 * A dotted path into `_source` (`image.url`, `media.0.src` is not allowed: arrays are walked). A
 * field name may hold spaces and any letter, as the engines' do (`Product Name`, `médias.photo
 * principale`: refused before held-out probe round 29b, a catalog imported from a spreadsheet keeps
 * its column names); `*` is a wildcard, refused.
 */
const fieldPath = z
  .string()
  .min(1)
  .regex(/^[^.*][^*]*$/, 'must be a dotted field path without wildcards')
  .refine((s) => s.trim() !== '', 'must name a field (not only spaces)')
  .refine((s) => !s.endsWith('.') && !s.includes('..'), 'must not have empty path segments');
const fieldList = z.preprocess((v) => (typeof v === 'string' ? [v] : v), z.array(fieldPath)).default([]);

/**
 * A pair-only map of the engine's first-stage `_score` into [0, 1] (src/search/shape.ts): a fitted
 * logistic `1 / (1 + e^−(a·s + b))`, or a saturation `s / (s + k)` for scores ≥ 0 (BM25, kNN).
 */
export const firstStageMapSchema = z.union([
  z.strictObject({ logistic: z.strictObject({ a: z.number().finite(), b: z.number().finite() }) }),
  z.strictObject({ saturation: z.number().positive() }),
]);

/** How the first-stage order enters the final score. */
export const fusionSchema = z.preprocess(
  (v) => (typeof v === 'string' ? { method: v } : v),
  z.discriminatedUnion('method', [
    z.strictObject({ method: z.literal('none') }),
    /**
     * `_score` = (1 − weight) · rerank score + weight · map(first-stage `_score`): in [0, 1] and a
     * function of the (query, document) pair alone, so it reads as relevance and thresholds keep
     * their meaning across requests.
     */
    z.strictObject({ method: z.literal('blend'), weight: z.number().min(0).max(1), map: firstStageMapSchema.default({ saturation: 1 }) }),
    /**
     * Kept for compatibility: reciprocal-rank fusion Σ 1/(k + rank) of the first-stage and rerank
     * ranks. Its `_score` is that rank sum (≤ 2/(k+1)), not a relevance; prefer `blend`.
     */
    z.strictObject({ method: z.literal('rrf'), k: positiveInt.default(60) }),
    /** Kept for compatibility: `blend` with `map: {saturation: 1}` (it used to divide by the window's best first-stage score). */
    z.strictObject({ method: z.literal('weight'), weight: z.number().min(0).max(1) }),
  ]),
);
export type FirstStageMap = z.infer<typeof firstStageMapSchema>;

/** `first_stage.fuzzy`: a fuzzy `multi_match` beside the exact one (see its use in the schema below). */
export const fuzzySchema = z.preprocess(
  (v) => (v === true ? {} : v),
  z.strictObject({
    boost: z.number().finite().positive().max(1).default(0.3),
    fuzziness: z.union([z.literal('AUTO'), z.literal(1), z.literal(2)]).default('AUTO'),
    prefix_length: z.number().int().min(0).default(1),
    max_expansions: positiveInt.max(1024).default(50),
    /**
     * The reranker reads the query as the user meant it (task q25): a `term` suggester per text field
     * in the same first-stage request (search/correction.ts) corrects a word no field holds, and the
     * rerank encodes the corrected text. `missing` (default) suggests only for a word a field does
     * not hold, `popular` also for a rarer word than its suggestion; `false` reads the query as typed.
     */
    correct: z.union([z.literal(false), z.literal('missing'), z.literal('popular')]).default('missing'),
  }),
);

/**
 * Long document texts in overlapping chunks, each scored, the document by an aggregate of them
 * (src/rerank/chunking.ts). `true` takes the defaults, `false` cuts texts at the model's window.
 */
export const chunkingSchema = z.preprocess(
  (v) => (v === true ? {} : v),
  z.union([
    z.literal(false),
    z.strictObject({
      /** Tokens per chunk (special tokens included); default and most: the text model's window (bge-small: 512). */
      max_tokens: z.number().int().min(16).optional(),
      /** Tokens consecutive chunks share (at most half a chunk). */
      overlap: z.number().int().min(0).default(128),
      /** The document's text value: its best chunk (`max`), the mean of its chunks, or the mean of those two. */
      aggregate: z.enum(['max', 'mean', 'max_mean']).default('max'),
      /** Chunks of one text read at most (each one model run at ingest or search); the text past the last is not read and the explanation says where reading stopped. */
      max_chunks: z.number().int().min(1).max(256).optional(),
    }),
  ]),
);

const vectorFieldSchema = z.strictObject({
  field: fieldPath,
  dims: positiveInt,
  /** Similarity used in the mapping (`vlrerank index setup`); the stored vectors are L2-normalised. */
  similarity: z.enum(['cosine', 'dot_product']).default('cosine'),
});

/**
 * A `multi_match` field as the engine reads it: a name (`*` allowed), optionally `^boost` — a
 * number ≥ 0 a float holds. `title^x`, `title^-1`, `title^`, `title^2^3` or `title^1e40` were
 * taken, and every search of the pipeline's own first stage was then the engine's 400 ("For input
 * string: \"x\"", "all shards failed") — a file's mistake said to each client (held-out probe round 30b).
 */
const matchField = z
  .string()
  .min(1)
  .superRefine((f, ctx) => {
    const at = f.indexOf('^');
    const name = at < 0 ? f : f.slice(0, at);
    const boost = at < 0 ? undefined : f.slice(at + 1);
    if (!name || name.trim() !== name) ctx.addIssue({ code: 'custom', message: `"${f}": the field name is empty or has spaces at an end` });
    else if (boost !== undefined && !(/^(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$/.test(boost) && Number(boost) <= 3.4e38)) {
      ctx.addIssue({ code: 'custom', message: `"${f}": a boost is a number of at least 0 after "^" (title^2, title^0.5)` });
    }
  });

/**
 * Why an `index_patterns` entry can cover no index, alias or data stream (undefined when it can).
 * Such an entry was kept and matched nothing, in silence (held-out probe round 30b): an
 * **exclusion** written as a search writes it (`[logs-*, -logs-debug*]`) left `logs-debug-1`
 * reranked by the pipeline — by default, with `default: true` — since `-logs-debug*` is no
 * exclusion here, only a name no index can have; `_all`, `<logs-{now/d}>`, `logs-?` likewise.
 * The engines' own rules for index and alias names (Elasticsearch 8.19: "must not start with
 * '_', '-', or '+'", "must not contain … ['"', '/', '<', '>', '?', '\\', '|']", not `.`/`..`),
 * checked on the part after a remote cluster's `cluster:`.
 */
export function indexPatternProblem(pattern: string): string | undefined {
  const local = pattern.slice(pattern.lastIndexOf(':') + 1);
  if (local.startsWith('-')) {
    return `"${pattern}" is an exclusion, and index_patterns only include (an index matching it is still covered by this pipeline's other patterns): list the indices to cover, or give the ones to leave out a more specific pattern in a pipeline of their own that is not default`;
  }
  if (local === '_all') return `"${pattern}" names no index here: write "*" for every index`;
  if (/^[_+]/.test(local)) return `"${pattern}" can name no index or alias (the engines refuse names starting with "_" or "+")`;
  if (local.startsWith('<')) return `"${pattern}" is a date math name: cover the indices it makes with a pattern (logs-* covers <logs-{now/d}>)`;
  const bad = local.match(/["/<>?\\|]/);
  if (bad) return `"${pattern}" can name no index or alias (the engines refuse names holding "${bad[0]}"; the only wildcard is *)`;
  if (local === '.' || local === '..' || local === '') return `"${pattern}" can name no index or alias`;
  if (!local.includes('*') && Buffer.byteLength(local) > 255) return `"${pattern.slice(0, 40)}…" is longer than an index name can be (255 bytes)`;
  return undefined;
}

export const pipelineSchema = z
  .strictObject({
    /** Defaults to the file name without `.yaml`. Used by `search_pipeline=` and `ext.vlrerank.pipeline`. */
    name: z
      .string()
      .regex(/^[a-z0-9][a-z0-9_.-]*$/, 'must be lowercase letters, digits, "_", "-" or "." and start with a letter or digit')
      .optional(),
    description: z.string().optional(),
    /** Index names or patterns (`*` wildcard) this pipeline applies to. */
    index_patterns: z.preprocess(
      (v) => (typeof v === 'string' ? [v] : v),
      z
        .array(
          z
            .string()
            .min(1)
            .regex(/^[^\s,]+$/, 'must be one index name or pattern, no spaces or commas')
            .superRefine((p, ctx) => {
              const why = indexPatternProblem(p);
              if (why) ctx.addIssue({ code: 'custom', message: why });
            }),
        )
        .min(1),
    ),
    /** Rerank every search on these indices, even ones that do not ask for it. */
    default: z.boolean().default(false),
    /** Passed to scorer backends that take an instruction. */
    instruction: z.string().optional(),
    fields: z
      .strictObject({
        text: fieldList,
        image: fieldList,
        video: fieldList,
        /** Base (folder or http(s) URL) that relative media values are resolved against. */
        media_base: z.string().min(1).optional(),
        /** Joins the values of several text fields into one passage. */
        text_separator: z.string().default('\n'),
      })
      .refine((f) => f.text.length + f.image.length + f.video.length > 0, 'at least one text, image or video field is required'),
    scorer: z
      .strictObject({
        backend: z.enum(['local', 'remote']).default('local'),
        /** Signal weights handed to the reranker (signal name → weight). */
        weights: z.record(z.string(), z.number().min(0)).default({}),
        /** Video sampling for this index (unset: media.fps / media.maxFrames): its records, reranking, the kNN vectors ingest adds and a query clip's vector alike. */
        fps: z.number().positive().optional(),
        max_frames: positiveInt.optional(),
        /** Long texts in chunks for this index (at ingest and at search); unset: the server's `rerank.chunking`. */
        chunking: chunkingSchema.optional(),
        /**
         * How the signals become the rerank score (src/rerank/fusion.ts): `calibrated` (default), the
         * weighted mean of calibrated probabilities, or `raw`, `raw_logistic` applied to the weighted
         * mean of the raw cosines. Both are in [0, 1] and functions of the pair alone.
         */
        fusion: z.enum(['calibrated', 'logodds', 'raw']).default('logodds'),
        /** The logistic of the `raw` fusion, 1 / (1 + e^−(a·m + b)), fitted by `vlrerank eval --fit`. */
        raw_logistic: z.strictObject({ a: z.number().finite(), b: z.number().finite() }).optional(),
        /** How a video's frames' values become its value: `mean` (default), `max` (best frame), `topK` (mean of the K best, e.g. `top3`). */
        frame_pooling: z.string().regex(/^(mean|max|top[1-9][0-9]?)$/, 'must be mean, max or topK (top1…top99)').optional(),
      })
      .default({ backend: 'local', weights: {}, fusion: 'logodds' }),
    first_stage: z
      .strictObject({
        fusion: fusionSchema.default({ method: 'none' }),
        /**
         * How a rerank query text runs its first stage when the search has no query of its own
         * (only `ext.vlrerank.query`): `multi_match` on `match_fields` (`bm25`), kNN over the bridge
         * vector (`knn`), or both (`hybrid`). A search that carries its own query keeps it as the
         * first stage, so its aggregations and totals stay the engine's. Image and video queries
         * always use kNN on `vectors.image` (a filter-only request query becomes the kNN filter).
         */
        text_query: z.enum(['bm25', 'knn', 'hybrid']).default('bm25'),
        /** Text fields searched with `multi_match` when the request carries no query of its own. */
        match_fields: z.array(matchField).optional(),
        /** kNN candidates per shard = max(window, num_candidates). */
        num_candidates: positiveInt.default(100),
        /**
         * `hybrid`: the factor on the kNN clause's score beside the `multi_match` (the engine adds the
         * two). A kNN similarity lies in [0, 1] and a BM25 score in [0, ~20], so at 1 the BM25 hits
         * fill the window and the kNN's own hits are cut off (models/CALIBRATION.md, "The hybrid first
         * stage's window"). Fitted with the pipeline's blend map, which reads the summed score
         * (`vlrerank eval --fit` chooses both; a search may set its own with `ext.vlrerank.knn_boost`).
         */
        knn_boost: z.number().finite().positive().default(1),
        /**
         * Misspelt words (held-out probe round 23a: "bananna", "yoghrt" matched nothing): the text
         * query's `multi_match` gets a second, fuzzy `multi_match` beside it in a `bool.should`, at
         * `boost` (below 1, so a document with the exact words still leads). `fuzziness` and
         * `prefix_length` are the engine's own (`AUTO`: one edit from 3 characters, two from 6).
         * Off unless set: it changes the first-stage `_score` a fitted `fusion.map` reads
         * (models/CALIBRATION.md "Misspelt queries"). `true` takes the defaults.
         */
        fuzzy: fuzzySchema.optional(),
        /**
         * The `multi_match` `type` of the text query (held-out probe round 26c: a search box that
         * reranks on every keystroke). `bool_prefix` reads the last word as a prefix ("pinea" finds
         * the pineapple; on a `search_as_you_type` field and its `._2gram`/`._3gram` subfields, or
         * any text field), and that word is then never taken for a misspelling by `fuzzy.correct`.
         * Unset: the engine's default (`best_fields`).
         */
        match_type: z.enum(['best_fields', 'most_fields', 'cross_fields', 'bool_prefix']).optional(),
      })
      .default({ fusion: { method: 'none' }, text_query: 'bm25', num_candidates: 100, knn_boost: 1 }),
    window: z
      .strictObject({ default: positiveInt.default(50), max: positiveInt.default(200) })
      .default({ default: 50, max: 200 })
      .refine((w) => w.max >= w.default, { message: 'window.max must be greater than or equal to window.default', path: ['max'] }),
    /** Hits whose final score is below this are dropped from the reranked window. */
    min_score: z.number().optional(),
    /** Time budget of the rerank stage (features + models); past it the policy below applies. */
    // at most an hour, as rerank.apiBudgetMs: 9999999999 ("no budget") was taken, and every rerank of
    // the pipeline then failed (`VLR_INTERNAL`: a timer's delay "must be <= 4294967295"), the
    // first-stage hits served `degraded: "failed"` (held-out probe round 30b)
    budget_ms: positiveInt.max(3_600_000, 'must be at most 3600000 (an hour)').default(5_000),
    failure: z.enum(['fail_open', 'fail_closed']).default('fail_open'),
    vectors: z
      .strictObject({
        /** Add the vectors below to documents indexed through the proxy (`_bulk`, `_doc`, `_create`, `_update`). */
        ingest: z.boolean().default(false),
        /** Visual embedding of the image/video field (EfficientNet-Lite2: 1280-d). */
        image: vectorFieldSchema.optional(),
        /** Text-space ("bridge") vector of the image/video field (bge-small: 384-d). */
        bridge: vectorFieldSchema.optional(),
      })
      .default({ ingest: false }),
    /**
     * What else documents written through the proxy get (feat23o). `ocr_text`: a field that receives
     * the text OCR reads in the document's image — the text its feature record keeps (OCR runs once),
     * mapped as `text` by `vlrerank index setup`, filled for existing documents by `vlrerank index
     * backfill` — so a BM25 first stage finds a screenshot by the words in its picture. Off by default.
     */
    ingest: z.strictObject({ ocr_text: fieldPath.optional() }).default({}),
    /**
     * Feature records (issue 12): `store: index` keeps each document's record (every feature the
     * reranker needs, see src/features/record/) in the index itself, added by the proxy at ingest
     * and read back with the first-stage hits, so a reranked search runs no image or video model
     * for them. Default: `index` for pipelines with image or video fields, `none` otherwise.
     */
    features: z
      .strictObject({
        store: z.enum(['index', 'none']).optional(),
        /** The field holding the record: a `binary` stored field, left out of `_source` (src/engine/mapping.ts). */
        field: fieldPath.default('vlrerank_features'),
        /**
         * An indexed keyword beside the record holding its signature (rerank/records/keys.ts
         * `recordSignature`), so that documents whose record is missing or stale are found with a
         * `term` query (backfill, resume). Default: the record field's name + `_key`.
         */
        key_field: fieldPath.optional(),
        /**
         * A reranked search that had to compute a hit's features (no usable record) writes the
         * record back to the index, in the background, bounded, never overwriting a newer write.
         */
        write_back: z.boolean().default(false),
      })
      .default({ field: 'vlrerank_features', write_back: false }),
  })
  .transform((p) => ({
    ...p,
    features: {
      field: p.features.field,
      keyField: p.features.key_field ?? `${p.features.field}_key`,
      writeBack: p.features.write_back,
      store: p.features.store ?? (p.fields.image.length + p.fields.video.length > 0 ? 'index' : 'none'),
    } as { field: string; keyField: string; writeBack: boolean; store: 'index' | 'none' },
  }))
  .superRefine((p, ctx) => {
    if (p.scorer.fusion === 'raw' && !p.scorer.raw_logistic) {
      ctx.addIssue({ code: 'custom', path: ['scorer', 'raw_logistic'], message: 'scorer.fusion "raw" needs scorer.raw_logistic {a, b} (vlrerank eval --fit writes one)' });
    }
    if (p.vectors.ingest && !p.vectors.image && !p.vectors.bridge) {
      ctx.addIssue({ code: 'custom', path: ['vectors', 'ingest'], message: 'vectors.ingest needs vectors.image or vectors.bridge' });
    }
    if (p.vectors.ingest && p.fields.image.length + p.fields.video.length === 0) {
      ctx.addIssue({ code: 'custom', path: ['vectors', 'ingest'], message: 'vectors.ingest needs at least one fields.image or fields.video' });
    }
    const ocrField = p.ingest.ocr_text;
    if (ocrField !== undefined) {
      // its text comes from the image's feature record (never a second OCR): an image field and records kept in the index
      if (p.fields.image.length === 0) ctx.addIssue({ code: 'custom', path: ['ingest', 'ocr_text'], message: 'ingest.ocr_text needs at least one fields.image (OCR reads images)' });
      if (p.features.store !== 'index') ctx.addIssue({ code: 'custom', path: ['ingest', 'ocr_text'], message: 'ingest.ocr_text needs features.store: index (the OCR text comes from the feature record)' });
      if (p.scorer.weights?.ocr_text === 0) ctx.addIssue({ code: 'custom', path: ['ingest', 'ocr_text'], message: 'ingest.ocr_text needs OCR: scorer.weights.ocr_text is 0, so no OCR runs for this pipeline' });
      const taken = [...p.fields.text, ...p.fields.image, ...p.fields.video, p.features.field, p.features.keyField, p.vectors.image?.field, p.vectors.bridge?.field];
      if (taken.includes(ocrField)) ctx.addIssue({ code: 'custom', path: ['ingest', 'ocr_text'], message: `ingest.ocr_text [${ocrField}] is already one of the pipeline's fields: name a field of its own` });
    }
    if (p.first_stage.text_query !== 'bm25' && !p.vectors.bridge) {
      ctx.addIssue({ code: 'custom', path: ['first_stage', 'text_query'], message: `text_query "${p.first_stage.text_query}" needs vectors.bridge` });
    }
  });

export type PipelineInput = z.input<typeof pipelineSchema>;
export type PipelineSpec = z.infer<typeof pipelineSchema>;
/** A loaded pipeline: the spec with its name resolved and where it came from. */
export type Pipeline = PipelineSpec & { name: string; source: string };
export type Fusion = PipelineSpec['first_stage']['fusion'];
