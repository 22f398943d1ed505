/**
 * The query vectors a search body asks vlrerank to compute before anything else reads it: kNN
 * clauses whose `query_vector_builder` names a pipeline (vector-builder.ts, round 32d) and OpenSearch
 * `neural` queries naming a pipeline inside another query (neural-nested.ts, round 33b). Each is
 * replaced in place by what the client could have sent itself (a `query_vector`, a `knn` query), so
 * detection and the rest of the search read an ordinary body.
 *
 * These embeddings are rerank work (held-out probe round 33b; before, they ran outside both): a
 * pipeline whose admission would refuse a rerank now (its queue or the client's share full, the
 * estimated wait too long) refuses them too when it is `fail_closed` (its 429, before any model
 * runs); a `fail_open` pipeline computes them anyway, as a search by photo still embeds its photo —
 * the kNN has no first stage without its vector. They run within the pipeline's `budget_ms` (the
 * smallest of the pipelines named), and the time they took counts against the search's budget:
 * `vlrerank.timings.query_vector_ms` on a reranked answer, the rest of the budget for the search.
 *
 * Each distinct input (a text, a photo, per encoder) is embedded once per body.
 */
import { credentialHeaders } from '../engine/targets.js';
import { isVlrerankError, vlrError } from '../errors.js';
import type { PipelineRegistry, Pipeline } from '../pipelines/index.js';
import type { Embedder } from '../rerank/embedder.js';
import type { SearchDeps } from './execute.js';
import { withBudget } from './search-budget.js';
import { checkNestedNeurals, findNestedNeurals, rewriteNeural, type VectorAsk } from './neural-nested.js';
import { BUILDER_MARKER, builderAsks, setBuilt } from './vector-builder.js';

export interface QueryVectorDeps {
  pipelines: PipelineRegistry;
  /** What engine is behind (a nested neural's kNN query is written in its dialect). */
  engine?: SearchDeps['engine'];
  scorer?: SearchDeps['scorer'];
  embedder?: Pick<Embedder, 'visual' | 'queryText'> & Partial<Pick<Embedder, 'bridge'>>;
}

export interface QueryVectorContext {
  /** The body's text (or one line of an `_msearch`): which walks are worth doing. */
  text: string | undefined;
  /** Whether a parsed-off-thread body held a marker word (no text to test then). */
  hasMarker?: boolean;
  headers: readonly string[];
  client?: string;
  signal?: AbortSignal;
}

/** What was built: nothing (send the body as it came), or the time it took (ms). */
export type QueryVectorsOutcome = { built: false } | { built: true; ms: number };

const mayHold = (ctx: QueryVectorContext, word: string) => (ctx.text === undefined ? ctx.hasMarker !== false : ctx.text.includes(word));

/** Build every query vector `body` asks of a pipeline, in place. */
export async function buildQueryVectors(body: unknown, deps: QueryVectorDeps, ctx: QueryVectorContext): Promise<QueryVectorsOutcome> {
  const builders = mayHold(ctx, BUILDER_MARKER) ? builderAsks(body, deps.pipelines) : [];
  const found = mayHold(ctx, 'neural') ? findNestedNeurals(body, deps.pipelines) : [];
  if (!builders.length && !found.length) return { built: false };
  // the engine (cached after the first ask): the kNN query is written in its dialect
  if (found.length && !deps.engine) throw vlrError('VLR_INTERNAL', 'no engine to write a neural query\'s kNN for');
  const dialect = found.length ? (await deps.engine!.info(credentialHeaders(ctx.headers))).distribution : undefined;
  const neurals = dialect ? checkNestedNeurals(found, deps.pipelines, dialect) : [];
  const asks: Array<VectorAsk & { at: string }> = [
    ...builders.map((b) => ({ kind: 'text' as const, input: b.text, pipeline: b.pipeline, at: `${b.at}.query_vector_builder.text_embedding.model_text` })),
    ...neurals.map((n) => ({ ...n.ask, at: n.at })),
  ];
  if (!deps.embedder) throw vlrError('VLR_MODEL_MISSING', `no query embedder is configured (models not available): [${asks[0]!.at}] names a pipeline whose query vector cannot be built`);
  const pipelines = [...new Map(asks.map((a) => [a.pipeline.name, a.pipeline])).values()];
  admit(pipelines, deps, ctx.client);

  const t0 = performance.now();
  const budgetMs = Math.min(...pipelines.map((p) => p.budget_ms));
  const embedder = deps.embedder;
  const key = (a: VectorAsk) => `${a.kind}\u0000${a.input}`;
  const vectors = await withBudget(t0 + budgetMs, budgetMs, ctx.signal, async (signal) => {
    const runs = new Map<string, { at: string; v: Promise<Float32Array> }>();
    for (const a of asks) {
      if (runs.has(key(a))) continue;
      const v = embed(embedder, a, signal);
      v.catch(() => undefined); // awaited below, in order: a later one failing first is not unhandled
      runs.set(key(a), { at: a.at, v });
    }
    const out = new Map<string, Float32Array>();
    for (const [k, r] of runs) {
      try {
        out.set(k, await r.v);
      } catch (e) {
        throw failed(e, r.at);
      }
    }
    return out;
  }).catch((e: unknown) => {
    throw isVlrerankError(e) && e.code === 'VLR_TIMEOUT' ? failed(e, asks[0]!.at) : e;
  });
  for (const b of builders) setBuilt(b, vectors.get(key({ kind: 'text', input: b.text, pipeline: b.pipeline }))!);
  for (const n of neurals) rewriteNeural(n, vectors.get(key(n.ask))!, dialect!);
  return { built: true, ms: Math.round((performance.now() - t0) * 100) / 100 };
}

/** A pipeline whose admission would refuse a rerank now refuses its query vectors when it fails closed. */
function admit(pipelines: Pipeline[], deps: QueryVectorDeps, client: string | undefined): void {
  for (const p of pipelines) {
    if (p.failure !== 'fail_closed') continue;
    const refusal = deps.scorer?.refusal?.(client, p.name);
    if (refusal) throw refusal;
  }
}

function embed(e: NonNullable<QueryVectorDeps['embedder']>, a: VectorAsk, signal: AbortSignal): Promise<Float32Array> {
  if (a.kind === 'text') return e.queryText(a.input, signal);
  if (a.kind === 'visual') return e.visual(a.input, 'image', signal);
  if (!e.bridge) return Promise.reject(vlrError('VLR_MODEL_MISSING', 'no image-to-text-space encoder is configured'));
  return e.bridge(a.input, 'image', signal);
}

/** The client's own mistake (a 4xx: a photo that does not decode) as it is; any other fault, this search's 503 naming the input. */
function failed(e: unknown, at: string): unknown {
  if (isVlrerankError(e) && e.status < 500) return e;
  return vlrError('VLR_RERANK_FAILED', `the [${at}] could not be embedded: ${e instanceof Error ? e.message : String(e)}`, { cause: e });
}
