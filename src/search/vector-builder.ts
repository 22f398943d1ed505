/**
 * Elasticsearch's `query_vector_builder` naming a vlrerank pipeline (held-out probe round 32d): the ES
 * docs build a kNN's query vector in the cluster — `"knn": {"field": …, "query_vector_builder":
 * {"text_embedding": {"model_id": …, "model_text": …}}, …}` in the top-level `knn`, in a `knn` query
 * and in a `knn` retriever (also under `text_similarity_reranker`). With vlrerank in front, a
 * `model_id` that names a pipeline gets its `query_vector` here, from `model_text`, with the same text
 * encoding the pipeline's own `first_stage.text_query` kNN uses (rerank/embedder `queryText`, through
 * the text-vector cache the rerank reads too), and the search then goes on exactly as a search sent
 * with that `query_vector` (reranked only when it asks, or the index's pipeline is a default one).
 *
 * Only the pipeline's text-space vectors (`vectors.bridge`) can be searched with a text: a builder on
 * another field, or a malformed one, is a 400 naming the field. A `model_id` that names no pipeline
 * is left as it is (the engine's own answer). Never touches anything but the clauses it builds for.
 * The embedding itself, under the search's admission and budget, is search/query-vectors.ts's.
 */
import { vlrError } from '../errors.js';
import type { Pipeline, PipelineRegistry } from '../pipelines/index.js';
import { isObject } from '../util/is-object.js';

const bad = (field: string, rule: string): never => {
  throw vlrError('VLR_BAD_REQUEST', `[${field}] ${rule}`, { details: { field } });
};

/** The text_embedding builder's parameters (QueryVectorBuilder's `TextEmbeddingQueryVectorBuilder`). */
const TEXT_EMBEDDING_KEYS = new Set(['model_id', 'model_text']);

/** One kNN clause with a builder naming a pipeline, where it stands in the body. */
interface Found {
  clause: Record<string, unknown>;
  at: string;
}

/** Does the body mention a builder at all (a string test before any walk)? Used by handle.ts. */
export const BUILDER_MARKER = 'query_vector_builder';

/**
 * Every `knn` object (a top-level `knn` clause or one of its array, a `knn` query anywhere in a query
 * tree, a `knn` retriever at any depth) whose builder's `model_id` names a pipeline.
 */
function findClauses(node: unknown, at: string, pipelines: PipelineRegistry, out: Found[]): void {
  if (Array.isArray(node)) {
    node.forEach((x, i) => findClauses(x, `${at}[${i}]`, pipelines, out));
    return;
  }
  if (!isObject(node)) return;
  for (const [k, v] of Object.entries(node)) {
    const here = at ? `${at}.${k}` : k;
    if (k === 'knn') {
      for (const [clause, where] of Array.isArray(v) ? v.map((c, i) => [c, `${here}[${i}]`] as const) : [[v, here] as const]) {
        if (isObject(clause) && namesPipeline(clause.query_vector_builder, pipelines)) out.push({ clause, at: where });
        else findClauses(clause, where, pipelines, out); // a knn query's `filter` may hold another
      }
    } else if (v !== null && typeof v === 'object') findClauses(v, here, pipelines, out);
  }
}

function namesPipeline(builder: unknown, pipelines: PipelineRegistry): boolean {
  if (!isObject(builder) || !isObject(builder.text_embedding)) return false;
  const id = builder.text_embedding.model_id;
  return typeof id === 'string' && pipelines.get(id) !== undefined;
}

/** The builder's pipeline and text, checked: a 400 naming the field for anything that could not be meant. */
function checked(c: Found, pipelines: PipelineRegistry): { text: string; dims: number; pipeline: Pipeline } {
  const builder = c.clause.query_vector_builder as Record<string, unknown>;
  const b = `${c.at}.query_vector_builder`;
  const other = Object.keys(builder).find((k) => k !== 'text_embedding');
  if (other !== undefined) bad(`${b}.${other}`, 'unknown field: a query_vector_builder holds one builder, [text_embedding]');
  const te = builder.text_embedding as Record<string, unknown>;
  const unknown = Object.keys(te).find((k) => !TEXT_EMBEDDING_KEYS.has(k));
  if (unknown !== undefined) bad(`${b}.text_embedding.${unknown}`, 'unknown field: [text_embedding] takes model_id and model_text');
  const p = pipelines.get(te.model_id as string)!;
  if (typeof te.model_text !== 'string' || te.model_text.trim() === '') bad(`${b}.text_embedding.model_text`, 'must be a non-empty string: the text the query vector is built from');
  if (c.clause.query_vector !== undefined) bad(`${c.at}.query_vector`, 'cannot be given with [query_vector_builder]: give one of the two');
  const field = c.clause.field;
  if (typeof field !== 'string' || field === '') bad(`${c.at}.field`, 'must name the vector field');
  const bridge = p.vectors.bridge;
  if (!bridge) bad(`${c.at}.field`, `pipeline [${p.name}] stores no text-space vectors (vectors.bridge): [model_id] [${p.name}] cannot build a query vector for [${String(field)}]`);
  if (field !== bridge!.field) {
    bad(`${c.at}.field`, `[${String(field)}] holds no text-space vectors of pipeline [${p.name}]: a text builds a query vector for its bridge field [${bridge!.field}] only`);
  }
  return { text: te.model_text as string, dims: bridge!.dims, pipeline: p };
}

/** One builder to build: where, the pipeline whose text encoding it takes, the text, the field's dimensions. */
export interface BuilderAsk {
  clause: Record<string, unknown>;
  at: string;
  pipeline: Pipeline;
  text: string;
  dims: number;
}

/** Every kNN clause of `body` whose builder names a pipeline, checked (a 400 naming the field before anything is embedded). */
export function builderAsks(body: unknown, pipelines: PipelineRegistry): BuilderAsk[] {
  const found: Found[] = [];
  findClauses(body, '', pipelines, found);
  return found.map((c) => ({ ...c, ...checked(c, pipelines) }));
}

/** The clause with its `query_vector` in place of the builder. */
export function setBuilt(a: BuilderAsk, v: Float32Array): void {
  if (v.length !== a.dims) throw vlrError('VLR_INTERNAL', `the query text's vector has ${v.length} dimensions where [${a.clause.field as string}] has ${a.dims}`);
  delete a.clause.query_vector_builder;
  a.clause.query_vector = Array.from(v);
}
