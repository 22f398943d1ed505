/**
 * `vlrerank rerank` over more documents than one model queue holds: the documents are ranked in
 * slices, one after the other, and the slices merged into one answer. A document's score does not
 * depend on the rest of the request (README, "Rerank API and library"), so the merge — best first,
 * equal scores in input order, `top_n` a prefix — is the order one call would give. One call of
 * 1,100 texts or more failed with "model bge-small-en-v1.5 is overloaded: 1024 inputs already
 * queued; retry later" (held-out probe round 11b): the text model's queue (`models.batch.maxQueue`,
 * 1024) bounds what a server takes at once, not what a command-line run may rank.
 */
import type { DocumentInput, RerankInput, RerankOutput, RerankUsage } from '../rerank/types.js';

/** Documents per slice: well inside the text model's queue (1024), a text and a passage or two per document. */
export const SLICE_DOCUMENTS = 400;

type Input = Omit<RerankInput, 'documents'> & { documents: Array<string | DocumentInput> };

function addCounts(a: Record<string, number>, b: Record<string, number>): Record<string, number> {
  const out = { ...a };
  for (const [k, v] of Object.entries(b)) out[k] = (out[k] ?? 0) + v;
  return out;
}

function addUsage(a: RerankUsage, b: RerankUsage): RerankUsage {
  const out: RerankUsage = {
    ...a,
    documents: a.documents + b.documents,
    images: a.images + b.images,
    video_frames: a.video_frames + b.video_frames,
    texts: a.texts + b.texts,
    tokens: a.tokens + b.tokens,
    model_calls: addCounts(a.model_calls, b.model_calls),
    cache_hits: a.cache_hits + b.cache_hits,
    cache_misses: a.cache_misses + b.cache_misses,
    feature_sources: addCounts(a.feature_sources, b.feature_sources),
  };
  return out;
}

/** process() over `input` in slices of `size` documents, merged as one call's answer. */
export async function processInSlices(process: (input: Input) => Promise<RerankOutput>, input: Input, size = SLICE_DOCUMENTS): Promise<RerankOutput> {
  if (input.documents.length <= size) return process(input);
  const { top_n: topN, ...rest } = input;
  const results: RerankOutput[number][] = [];
  const scores: number[] = [];
  const errors: RerankOutput['errors'] = [];
  let first: RerankOutput | undefined;
  let usage: RerankUsage | undefined;
  const timings = { queue_ms: 0, features_ms: 0, inference_ms: 0, fusion_ms: 0, total_ms: 0 };
  for (let at = 0; at < input.documents.length; at += size) {
    const out = await process({ ...rest, documents: input.documents.slice(at, at + size) });
    first ??= out;
    for (const r of out) results.push({ ...r, index: r.index + at });
    scores.push(...out.scores);
    errors.push(...out.errors.map((e) => ({ ...e, index: e.index + at })));
    usage = usage ? addUsage(usage, out.usage) : out.usage;
    for (const k of Object.keys(timings) as Array<keyof typeof timings>) timings[k] = Math.round((timings[k] + out.timings[k]) * 1000) / 1000;
  }
  // best first; equal scores keep the input order, as within one call
  results.sort((a, b) => b.score - a.score || a.index - b.index);
  const ranked = (topN !== undefined ? results.slice(0, topN) : results) as RerankOutput;
  return Object.assign(ranked, { scores, errors, usage: usage!, timings, instruction: first!.instruction });
}
