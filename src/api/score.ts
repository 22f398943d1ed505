/**
 * vLLM's score API, `POST /score` and `/v1/score`, served by the same reranker (same models,
 * same admission) as the rerank-compatible APIs (rerank.ts): `{model?, text_1, text_2,
 * truncate_prompt_tokens?}` (newer vLLM also takes the pair as `queries`/`documents` or
 * `data_1`/`data_2`), each side a string, an item object or a list of them →
 * `{id, object: "list", created, model, data: [{index, object: "score", score}], usage}`, data in
 * pair order. vLLM's pairing (vllm/entrypoints/…/score utils, `_validate_score_input_lens`): one
 * text_1 against N text_2 scores each pair; N against N pairs them element-wise; anything else is
 * refused with vLLM's own words ("Input lengths must be either 1:1, 1:N or N:N").
 * A pair's score depends on the pair alone (fusion.ts: no per-request normalisation), so the
 * pairs are scored as one process() call per distinct text_1, one call after another: a client's
 * N:N request never competes with itself for its admission share.
 */
import { randomUUID } from 'node:crypto';
import { vlrError } from '../errors.js';
import type { RerankOutput } from '../rerank/types.js';
import { callOptions, compatItem, inClientNames, contentParts, degradedOf, errorHeader, timingHeaders, withSampling, type ApiAnswer, type ApiCall, type ApiReranker } from './rerank.js';

/** The pair's two fields, in the spellings vLLM's ScoreRequest takes. */
const SPELLINGS = [
  ['text_1', 'text_2'],
  ['queries', 'documents'],
  ['data_1', 'data_2'],
] as const;

type Item = ReturnType<typeof compatItem>;

function bad(field: string, reason: string): never {
  throw vlrError('VLR_BAD_REQUEST', `[${field}] ${reason}`, { details: { field } });
}

/** A side's inputs, each with the name the client knows it by (`text_2[3]`, `text_1`, `text_2.content[1]`) for the errors. */
interface Side {
  items: Item[];
  names: string[];
}

/**
 * One side: a string, an item object (compatItem: `{text,image,video}`, with its own `fps` and
 * `max_frames` as on /v1/rerank — they were dropped here, held-out probe round 31a), a list of them,
 * or vLLM's `{content:[parts]}` — one item per part.
 */
function side(v: unknown, field: string): Side {
  // vLLM's `{content: [parts]}` as the whole side: one input per part (rerank.ts contentParts)
  const parts = contentParts(v, field);
  if (parts) return { items: parts.map((x, i) => compatItem(x, field, i)), names: parts.map((_, i) => `${field}.content[${i}]`) };
  if (!Array.isArray(v)) return { items: [withSampling(compatItem(v, field), v)], names: [field] };
  return { items: v.map((x, i) => withSampling(compatItem(x, `${field}[${i}]`), x)), names: v.map((_, i) => `${field}[${i}]`) };
}

function pairsOf(body: Record<string, unknown>): { first: Side; second: Side; names: readonly [string, string] } {
  const given = SPELLINGS.filter(([a, b]) => body[a] !== undefined || body[b] !== undefined);
  if (given.length === 0) bad('text_1', 'is required (with text_2)');
  if (given.length > 1) bad(given[1]![0], `give the pair once: ${given.map(([a, b]) => `${a}/${b}`).join(' or ')}`);
  const names = given[0]!;
  for (const n of names) if (body[n] === undefined) bad(n, 'is required');
  const first = side(body[names[0]], names[0]);
  const second = side(body[names[1]], names[1]);
  // vLLM's rule and messages (_validate_score_input_lens)
  if (first.items.length > 1 && first.items.length !== second.items.length) bad(names[0], `Input lengths must be either 1:1, 1:N or N:N (${first.items.length}:${second.items.length})`);
  if (first.items.length === 0) bad(names[0], 'At least one text element must be given');
  if (second.items.length === 0) bad(names[1], 'At least one text_pair element must be given');
  return { first, second, names };
}

/** `truncate_prompt_tokens`: vLLM's -1 is the model's own length; a positive count cuts each text_2 to that many tokens. */
function tokenCap(v: unknown): number | undefined {
  if (v === undefined || v === null || v === -1) return undefined;
  if (typeof v === 'number' && Number.isInteger(v) && v >= 1) return v;
  return bad('truncate_prompt_tokens', 'must be a positive integer or -1');
}

export interface ScoreDeps {
  reranker: ApiReranker & { options?: { maxDocuments?: number } };
}

/** `POST /score`, `/v1/score`. */
export async function scoreVllm(deps: ScoreDeps, input: unknown, call: ApiCall = {}): Promise<ApiAnswer> {
  const options = callOptions(deps.reranker, call);
  // one budget for the whole call: each group gets what its predecessors left
  const deadline = options.budgetMs !== undefined ? performance.now() + options.budgetMs : undefined;
  if (input === null || typeof input !== 'object' || Array.isArray(input)) bad('(root)', 'the request must be a JSON object');
  // a field sent as `null` is not given, as on /v1/rerank (rerank.ts): a client built from vLLM's
  // pydantic ScoreRequest sends its unset spellings so — `queries: null` beside `text_1` was a 400
  // "give the pair once" (held-out probe round 31a)
  const body = Object.fromEntries(Object.entries(input).filter(([, v]) => v !== null));
  const maxTokensPerDoc = tokenCap(body.truncate_prompt_tokens);
  const { first, second, names } = pairsOf(body);
  const max = deps.reranker.options?.maxDocuments ?? 1000;
  if (second.items.length > max) bad(names[1], `too many pairs: ${second.items.length} > ${max} (rerank.maxDocuments)`);

  // pairs by their text_1 (one group for 1:N), scored group after group
  const groups = new Map<string, { query: Item; queryName: string; at: number[] }>();
  second.items.forEach((_, i) => {
    const at = first.items.length === 1 ? 0 : i;
    const q = first.items[at]!;
    const key = JSON.stringify(q);
    const g = groups.get(key);
    if (g) g.at.push(i);
    else groups.set(key, { query: q, queryName: first.names[at]!, at: [i] });
  });
  const scores = new Array<number>(second.items.length).fill(0);
  const errors: RerankOutput['errors'] = [];
  const timings: RerankOutput['timings'] = { queue_ms: 0, features_ms: 0, inference_ms: 0, fusion_ms: 0, total_ms: 0 };
  let tokens = 0;
  for (const g of groups.values()) {
    const left = deadline !== undefined ? Math.floor(deadline - performance.now()) : undefined;
    if (left !== undefined && left < 1) throw vlrError('VLR_TIMEOUT', `the score request exceeded its budget of ${options.budgetMs} ms (x-vlrerank-budget-ms, rerank.apiBudgetMs)`);
    const out = await deps.reranker
      .process(
        { query: g.query, documents: g.at.map((i) => second.items[i]!) },
        { ...options, ...(left !== undefined ? { budgetMs: left } : {}), ...(maxTokensPerDoc !== undefined ? { maxTokensPerDoc } : {}) },
      )
      .catch((e: unknown) => Promise.reject(inClientNames(e, { query: g.queryName, documents: names[1], document: (k) => second.names[g.at[k]!] })));
    g.at.forEach((i, k) => (scores[i] = out.scores[k]!));
    for (const e of out.errors) errors.push({ ...e, index: g.at[e.index]! });
    for (const k of Object.keys(timings) as Array<keyof typeof timings>) timings[k] += out.timings[k];
    tokens += out.usage.tokens;
  }
  errors.sort((a, b) => a.index - b.index);
  return {
    headers: { ...timingHeaders({ timings }), ...errorHeader({ errors }) },
    ...degradedOf({ errors }),
    body: {
      id: `score-${randomUUID()}`,
      object: 'list',
      created: Math.floor(Date.now() / 1000),
      model: typeof body.model === 'string' ? body.model : 'vlrerank',
      data: scores.map((score, index) => ({ index, object: 'score', score })),
      usage: { prompt_tokens: tokens, total_tokens: tokens, completion_tokens: 0, prompt_tokens_details: null },
      ...(errors.length ? { errors } : {}),
    },
  };
}
