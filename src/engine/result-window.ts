/**
 * The engine's refusal of a page past an index's `index.max_result_window` ("Result window is too
 * large, from + size must be less than or equal to: [N] but was [M]"), read from its 400 so that a
 * reranked search can ask for a window the index allows (search/execute.ts). Elasticsearch and
 * OpenSearch write the same words (SearchService / DefaultSearchContext in both). Never throws.
 */
const RESULT_WINDOW = /Result window is too large, from \+ size must be less than or equal to: \[(\d+)\]/;

/** The index's `max_result_window` a first-stage refusal names, if the refusal is that one. */
export function maxResultWindowRefused(body: Buffer | string): number | undefined {
  const m = RESULT_WINDOW.exec(typeof body === 'string' ? body : body.toString('utf8', 0, Math.min(body.length, 64 * 1024)));
  if (!m) return undefined;
  const n = Number(m[1]);
  return Number.isSafeInteger(n) && n > 0 ? n : undefined;
}
