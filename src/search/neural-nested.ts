/**
 * An OpenSearch `neural` query naming a vlrerank pipeline as its `model_id` *inside* another query
 * (held-out probe round 33b) — `{"bool": {"should": [{"match": …}, {"neural": {"image_vector":
 * {"query_image": …, "model_id": "<pipeline>", "k": 10}}}]}}`, or below `boosting`, `constant_score`,
 * `dis_max`, `function_score`… — is rewritten in place into the engine's own kNN query on that field,
 * with the vector the pipeline's encoder for that field gives: the image field (`vectors.image`) from
 * `query_image` (the visual embedding ingest stores), the bridge field (`vectors.bridge`) from
 * `query_text` (the text encoding its `text_query` kNN uses) or, without one, from `query_image` (the
 * photo's text-space vector ingest stores). The search then goes on as if the client had sent that
 * kNN. The whole-query `neural` is round 32c's search by image (neural.ts), not this; one below
 * `hybrid` is left for neural.ts to refuse (the builds here have no neural-search plugin: the engine
 * does not know `hybrid` at all, so a rewritten clause below it would only get the engine's 400).
 *
 * Pure apart from the vectors it is handed: the embedding is the caller's (search/query-vectors.ts).
 * Bad values throw VLR_BAD_REQUEST naming the field, before anything is embedded.
 */
import type { Dialect } from '../engine/dialect.js';
import { vlrError } from '../errors.js';
import type { Pipeline, PipelineRegistry } from '../pipelines/index.js';
import { isObject } from '../util/is-object.js';
import { hasVisibleText } from '../util/visible-text.js';

const bad = (field: string, rule: string): never => {
  throw vlrError('VLR_BAD_REQUEST', `[${field}] ${rule}`, { details: { field } });
};

/** The neural query's keys read here, and those passed on to the kNN query as given. */
const READ = ['query_image', 'query_text', 'model_id', 'k', 'min_score', 'max_distance', 'filter'];
const PASSED_OS = ['_name', 'boost', 'method_parameters', 'rescore', 'expand_nested_docs'];
/** Elasticsearch's `knn` query takes these of them (KnnVectorQueryBuilder); the others are OpenSearch k-NN's. */
const PASSED_ES = new Set(['_name', 'boost']);
const BASE64 = /^[A-Za-z0-9+/_\-\s]+={0,2}\s*$/;
const MAX_K = 10_000;
/** The neural query's k when neither radius is given (NeuralQueryBuilder.DEFAULT_K). */
const DEFAULT_K = 10;

/** What one nested neural needs embedded: the encoder (`visual` image, `bridge` of an image, `text`) and its input. */
export interface VectorAsk {
  kind: 'visual' | 'bridge' | 'text';
  /** A data URI (an image) or the text. */
  input: string;
  pipeline: Pipeline;
}

export interface NestedNeural {
  /** The query object holding `neural` (rewritten in place). */
  node: Record<string, unknown>;
  at: string;
  field: string;
  options: Record<string, unknown>;
  dims: number;
  ask: VectorAsk;
}

/** A neural below `query` (not the whole query, not below `hybrid`) naming a pipeline, where it stands. */
export type FoundNeural = { node: Record<string, unknown>; at: string };

/** Every neural below `query` (not the whole query, not below `hybrid`) that names a pipeline. */
export function findNestedNeurals(body: unknown, registry: PipelineRegistry): FoundNeural[] {
  if (!isObject(body) || !isObject(body.query)) return [];
  const out: FoundNeural[] = [];
  walk(body.query, 'query', registry, 0, out);
  return out;
}

/** Each found neural checked for the engine behind: what to embed, and the kNN options it becomes. */
export function checkNestedNeurals(found: FoundNeural[], registry: PipelineRegistry, dialect: Dialect): NestedNeural[] {
  return found.map((n) => checked(n, registry, dialect));
}

function walk(q: unknown, path: string, registry: PipelineRegistry, depth: number, out: FoundNeural[]): void {
  if (Array.isArray(q)) {
    q.forEach((x, i) => walk(x, `${path}[${i}]`, registry, depth + 1, out));
    return;
  }
  if (!isObject(q)) return;
  if (depth > 0 && 'neural' in q && namesPipeline(q.neural, registry)) {
    out.push({ node: q, at: `${path}.neural` });
    return;
  }
  for (const [k, v] of Object.entries(q)) {
    if (depth === 0 && k === 'neural') continue; // the whole query: neural.ts's
    if (k === 'hybrid') continue; // left as it is: neural.ts refuses a pipeline's neural below it
    if (typeof v === 'object' && v !== null) walk(v, `${path}.${k}`, registry, depth + 1, out);
  }
}

function namesPipeline(neural: unknown, registry: PipelineRegistry): boolean {
  if (!isObject(neural)) return false;
  return Object.values(neural).some((v) => isObject(v) && typeof v.model_id === 'string' && registry.get(v.model_id) !== undefined);
}

function checked(n: FoundNeural, registry: PipelineRegistry, dialect: Dialect): NestedNeural {
  const neural = n.node.neural as Record<string, unknown>;
  const fields = Object.keys(neural);
  if (fields.length !== 1) bad(n.at, `must name exactly one vector field, got [${fields.join(', ')}]`);
  const field = fields[0]!;
  const at = `${n.at}.${field}`;
  const o = neural[field] as Record<string, unknown>;
  const p = registry.get(o.model_id as string)!;
  for (const key of Object.keys(o)) {
    if (READ.includes(key) || PASSED_ES.has(key)) continue;
    if (!PASSED_OS.includes(key)) bad(`${at}.${key}`, `unknown field [${key}]: the neural query takes ${[...READ, ...PASSED_OS].join(', ')}`);
    if (dialect === 'elasticsearch') bad(`${at}.${key}`, 'is an OpenSearch k-NN parameter: the Elasticsearch behind takes k, filter, boost and _name');
  }
  const image = o.query_image;
  const text = o.query_text;
  if (image !== undefined && (typeof image !== 'string' || image.trim() === '' || !BASE64.test(image))) bad(`${at}.query_image`, 'must be the photo base64-encoded (A–Z, a–z, 0–9, +, /, = padding; or base64url)');
  if (text !== undefined && (typeof text !== 'string' || !hasVisibleText(text))) bad(`${at}.query_text`, 'must be a non-empty string (not only whitespace or invisible characters)');
  if (image === undefined && text === undefined) bad(at, 'needs query_image or query_text');
  const dataUri = typeof image === 'string' ? `data:;base64,${image.replace(/\s+/g, '')}` : undefined;

  // the encoder that fills this field at ingest (vectors.image: the photo's visual embedding;
  // vectors.bridge: its text-space vector, which a text is encoded into too)
  let ask: VectorAsk;
  let dims = 0;
  if (p.vectors.image && field === p.vectors.image.field) {
    if (dataUri === undefined) bad(`${at}.query_image`, `is required: [${field}] holds the photos' visual vectors of vlrerank pipeline [${p.name}], which a text cannot be encoded into (its text-space field is ${p.vectors.bridge ? `[${p.vectors.bridge.field}]` : 'not configured'})`);
    ask = { kind: 'visual', input: dataUri!, pipeline: p };
    dims = p.vectors.image.dims;
  } else if (p.vectors.bridge && field === p.vectors.bridge.field) {
    ask = text !== undefined ? { kind: 'text', input: text as string, pipeline: p } : { kind: 'bridge', input: dataUri!, pipeline: p };
    dims = p.vectors.bridge.dims;
  } else {
    const filled = [p.vectors.image?.field, p.vectors.bridge?.field].filter((f): f is string => f !== undefined);
    bad(at, `is not a vector field of vlrerank pipeline [${p.name}] (${filled.length ? `it fills [${filled.join(', ')}]` : 'it fills no vector field'})`);
  }

  const radial = (['k', 'min_score', 'max_distance'] as const).filter((key) => o[key] !== undefined);
  if (radial.length > 1) bad(`${at}.${radial[1]}`, 'only one of k, max_distance or min_score can be given');
  if (o.k !== undefined && (typeof o.k !== 'number' || !Number.isInteger(o.k) || o.k < 1 || o.k > MAX_K)) bad(`${at}.k`, `must be an integer from 1 to ${MAX_K}`);
  for (const key of ['min_score', 'max_distance'] as const) {
    if (o[key] === undefined) continue;
    if (typeof o[key] !== 'number' || !Number.isFinite(o[key]) || (o[key] as number) < 0) bad(`${at}.${key}`, 'must be a number, zero or more');
    if (dialect === 'elasticsearch') bad(`${at}.${key}`, 'min_score and max_distance (a radial search) are OpenSearch k-NN parameters: Elasticsearch behind takes k');
  }
  if (o.filter !== undefined && !isObject(o.filter)) bad(`${at}.filter`, 'must be a query object');
  if (o._name !== undefined && typeof o._name !== 'string') bad(`${at}._name`, 'must be a string');
  if (o.boost !== undefined && (typeof o.boost !== 'number' || !Number.isFinite(o.boost) || o.boost < 0)) bad(`${at}.boost`, 'must be a number, zero or more');

  const options: Record<string, unknown> = {};
  const k = radial.length ? o.k : DEFAULT_K;
  if (k !== undefined) options.k = k;
  for (const key of ['min_score', 'max_distance', 'filter', ...PASSED_OS]) if (o[key] !== undefined) options[key] = o[key];
  return { node: n.node, at, field, options, dims, ask: ask! };
}

/** The engine's kNN query in place of the neural (OpenSearch k-NN's `knn` query, or Elasticsearch's `knn` query). */
export function rewriteNeural(n: NestedNeural, vector: Float32Array, dialect: Dialect): void {
  if (vector.length !== n.dims) throw vlrError('VLR_INTERNAL', `the query vector has ${vector.length} dimensions where [${n.field}] has ${n.dims}`);
  const v = Array.from(vector);
  delete n.node.neural;
  if (dialect === 'elasticsearch') {
    const k = n.options.k as number;
    // num_candidates as vlrerank's own kNN sets it (engine/dialect.ts addKnn): never below k
    n.node.knn = { field: n.field, query_vector: v, k, num_candidates: Math.min(MAX_K, Math.max(k, 100)), ...n.options };
  } else {
    n.node.knn = { [n.field]: { vector: v, ...n.options } };
  }
}
