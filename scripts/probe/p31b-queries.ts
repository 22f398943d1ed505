/**
 * Held-out probe round 31b: every first-stage query type of the Query DSL with a rerank asked, each
 * compared with the engine answering the same search directly (same hits in the window, the extra
 * response parts, each hit's extras). Usage:
 *   npx tsx scripts/probe/p31b-queries.ts <proxyUrl> <engineUrl> <es|os> [filter]
 * Indices from scripts/probe/p31b-setup.ts; pipeline `p31b` (default: true) over `p31b-*`.
 */
import { isDeepStrictEqual } from 'node:util';

const [proxy, engine, kind, only] = [process.argv[2]!, process.argv[3]!, process.argv[4] as 'es' | 'os', process.argv[5]];
const IDX = process.env.P31B_INDEX ?? 'p31b-items';
const TEXT = 'a man on a street';
type Case = { name: string; body: Record<string, unknown>; index?: string; path?: string; only?: 'es' | 'os'; textless?: boolean };

const m = (q: unknown) => ({ query: q });
const b64 = (q: unknown) => Buffer.from(JSON.stringify(q)).toString('base64');
const cases: Case[] = [
  { name: 'match_all', body: m({ match_all: {} }), textless: true },
  { name: 'match_none', body: m({ match_none: {} }), textless: true },
  { name: 'match operator and', body: m({ match: { title: { query: 'man street', operator: 'and' } } }) },
  { name: 'match fuzziness', body: m({ match: { title: { query: 'stret', fuzziness: 'AUTO' } } }) },
  { name: 'match msm', body: m({ match: { title: { query: 'man woman street kitchen', minimum_should_match: '50%' } } }) },
  ...['best_fields', 'most_fields', 'cross_fields', 'phrase', 'phrase_prefix', 'bool_prefix'].map((type) => ({ name: `multi_match ${type}`, body: m({ multi_match: { query: type.startsWith('phrase') ? 'a man' : 'man street', type, fields: ['title^2', 'description'] } }) })),
  { name: 'combined_fields', body: m({ combined_fields: { query: 'man street', fields: ['title', 'description'] } }) },
  { name: 'query_string fields+wildcard', body: m({ query_string: { query: 'stre* OR kitch*', fields: ['title', 'desc*'] } }) },
  { name: 'query_string default_field *', body: m({ query_string: { query: 'title:man AND description:*' } }) },
  { name: 'simple_query_string', body: m({ simple_query_string: { query: 'man + stre*', fields: ['title', 'description'], default_operator: 'and' } }) },
  { name: 'term', body: m({ term: { tag: 'kitchen' } }), textless: true },
  { name: 'terms', body: m({ terms: { tag: ['kitchen', 'red'] } }), textless: true },
  { name: 'terms lookup', body: m({ terms: { tag: { index: 'p31b-lookup', id: 'u1', path: 'tags' } } }), textless: true },
  { name: 'terms_set', body: m({ terms_set: { tag: { terms: ['kitchen', 'red', 'blue'], minimum_should_match_field: 'tags_needed' } } }), textless: true },
  { name: 'range', body: m({ range: { price: { gte: 3, lt: 15 } } }), textless: true },
  { name: 'exists', body: m({ exists: { field: 'popularity' } }), textless: true },
  { name: 'prefix', body: m({ prefix: { title: 'kit' } }), textless: true },
  { name: 'wildcard', body: m({ wildcard: { title: { value: 'st*t' } } }), textless: true },
  { name: 'regexp', body: m({ regexp: { title: 'st.*' } }), textless: true },
  { name: 'fuzzy', body: m({ fuzzy: { title: { value: 'stret' } } }), textless: true },
  { name: 'ids', body: m({ ids: { values: ['1', '3', '5', '99'] } }), textless: true },
  { name: 'bool filter/must_not/should only', body: m({ bool: { filter: [{ range: { price: { lte: 20 } } }], must_not: [{ term: { tag: 'red' } }], should: [{ match: { title: 'man' } }, { match: { description: 'street' } }] } }) },
  { name: 'bool nested bool', body: m({ bool: { should: [{ bool: { must: [{ match: { title: 'kitchen' } }], filter: { term: { tag: 'green' } } } }, { bool: { must: { match: { description: 'man' } } } }], minimum_should_match: 1 } }) },
  { name: 'boosting', body: m({ boosting: { positive: { match: { title: 'man' } }, negative: { term: { tag: 'red' } }, negative_boost: 0.2 } }) },
  { name: 'constant_score', body: m({ constant_score: { filter: { match: { title: 'man' } }, boost: 1.5 } }) },
  { name: 'dis_max', body: m({ dis_max: { queries: [{ match: { title: 'man' } }, { match: { description: 'street' } }], tie_breaker: 0.3 } }) },
  { name: 'function_score fvf+decay+weight', body: m({ function_score: { query: { match: { title: 'man' } }, functions: [{ field_value_factor: { field: 'price', modifier: 'log1p', missing: 1 } }, { gauss: { created: { origin: '2026-01-10', scale: '5d' } } }, { filter: { term: { tag: 'red' } }, weight: 3 }], score_mode: 'sum', boost_mode: 'multiply' } }) },
  { name: 'function_score random_score', body: m({ function_score: { query: { match: { description: 'man' } }, random_score: { seed: 7, field: '_seq_no' } } }) },
  { name: 'nested + inner_hits', body: m({ nested: { path: 'comments', query: { match: { 'comments.text': 'man' } }, inner_hits: { size: 2, highlight: { fields: { 'comments.text': {} } } } } }) },
  { name: 'nested textless', body: m({ nested: { path: 'comments', query: { term: { 'comments.author': 'a1' } }, inner_hits: {} } }), textless: true },
  { name: 'more_like_this like docs', body: m({ more_like_this: { fields: ['title', 'description'], like: [{ _index: IDX, _id: '1' }, 'a man riding'], min_term_freq: 1, min_doc_freq: 1 } }) },
  { name: 'pinned', only: 'es', body: m({ pinned: { ids: ['7', '2'], organic: { match: { title: 'man' } } } }) },
  { name: 'wrapper', body: m({ wrapper: { query: b64({ match: { title: 'man' } }) } }) },
  { name: 'wrapper in bool', body: m({ bool: { must: [{ wrapper: { query: b64({ match: { title: 'man' } }) } }] } }) },
  { name: 'intervals', body: m({ intervals: { title: { match: { query: 'man street', max_gaps: 5, ordered: false } } } }) },
  { name: 'span_near', body: m({ span_near: { clauses: [{ span_term: { title: 'a' } }, { span_term: { title: 'man' } }], slop: 2, in_order: true } }), textless: true },
  { name: 'span_or/first', body: m({ span_first: { match: { span_or: { clauses: [{ span_term: { title: 'a' } }, { span_term: { title: 'the' } }] } }, end: 2 } }), textless: true },
  { name: 'span_multi', body: m({ span_multi: { match: { prefix: { title: { value: 'stre' } } } } }), textless: true },
  { name: 'geo_distance', body: m({ bool: { must: { match: { title: 'man' } }, filter: { geo_distance: { distance: '200km', location: { lat: 48.5, lon: 2.5 } } } } }) },
  { name: 'geo_bounding_box', body: m({ geo_bounding_box: { location: { top_left: { lat: 50, lon: 2 }, bottom_right: { lat: 48, lon: 3.5 } } } }), textless: true },
  { name: 'geo_polygon/geo_shape on point', body: m({ geo_shape: { location: { shape: { type: 'envelope', coordinates: [[2, 50], [3.5, 48]] }, relation: 'within' } } }), textless: true },
  { name: 'distance_feature date', body: m({ bool: { must: { match: { title: 'man' } }, should: { distance_feature: { field: 'created', pivot: '7d', origin: '2026-01-10' } } } }) },
  { name: 'distance_feature geo', body: m({ bool: { must: { match: { title: 'man' } }, should: { distance_feature: { field: 'location', pivot: '10km', origin: [2.5, 48.5] } } } }) },
  { name: 'rank_feature', body: m({ bool: { must: { match: { title: 'man' } }, should: { rank_feature: { field: 'popularity', saturation: { pivot: 10 } } } } }) },
  { name: 'knn query', body: kind === 'es' ? m({ knn: { field: 'vec', query_vector: [1, 0.5, 0.5], k: 5, num_candidates: 20 } }) : m({ knn: { vec: { vector: [1, 0.5, 0.5], k: 5 } } }), textless: true },
  { name: 'knn in bool with match', body: kind === 'es' ? m({ bool: { should: [{ match: { title: 'man' } }, { knn: { field: 'vec', query_vector: [1, 0.5, 0.5], k: 5, num_candidates: 20 } }] } }) : m({ bool: { should: [{ match: { title: 'man' } }, { knn: { vec: { vector: [1, 0.5, 0.5], k: 5 } } }] } }) },
  { name: 'top-level knn', only: 'es', body: { knn: { field: 'vec', query_vector: [1, 0.5, 0.5], k: 5, num_candidates: 20 } }, textless: true },
  { name: 'script_score', body: m({ script_score: { query: { match: { title: 'man' } }, script: { source: "_score * doc['price'].value" } } }) },
  { name: 'match_bool_prefix', body: m({ match_bool_prefix: { title: 'man on a stre' } }) },
  { name: 'match_phrase_prefix', body: m({ match_phrase_prefix: { title: 'a man on' } }) },
  { name: 'named queries', body: m({ bool: { should: [{ match: { title: { query: 'man', _name: 'by_title' } } }, { match: { description: { query: 'street', _name: 'by_desc' } } }, { term: { tag: { value: 'red', _name: 'red_tag' } } }] } }) },
  { name: 'named queries scores', path: `/${IDX}/_search?include_named_queries_score=true`, only: 'es', body: m({ bool: { should: [{ match: { title: { query: 'man', _name: 'by_title' } } }, { match: { description: { query: 'street', _name: 'by_desc' } } }] } }) },
  { name: 'has_child + inner_hits', index: 'p31b-qa', body: m({ has_child: { type: 'answer', query: { match: { title: 'man' } }, inner_hits: { size: 1 } } }) },
  { name: 'has_child textless', index: 'p31b-qa', body: m({ has_child: { type: 'answer', query: { match_all: {} }, score_mode: 'max' } }), textless: true },
  { name: 'has_parent + inner_hits', index: 'p31b-qa', body: m({ has_parent: { parent_type: 'question', query: { match: { title: 'man' } }, inner_hits: {} } }) },
  { name: 'parent_id', index: 'p31b-qa', body: m({ parent_id: { type: 'answer', id: 'q1' } }), textless: true },
  { name: 'percolate', index: 'p31b-perc', body: m({ percolate: { field: 'pq', document: { title: 'a red kitchen on a street' } } }), textless: true },
  { name: 'percolate + match', index: 'p31b-perc', body: m({ bool: { must: [{ percolate: { field: 'pq', document: { title: 'a red kitchen on a street' } } }], should: [{ match: { description: 'man' } }] } }) },
  { name: 'min_score', body: { ...m({ match: { title: 'man' } }), min_score: 0.5 } },
  { name: 'post_filter', body: { ...m({ match: { title: 'man' } }), post_filter: { term: { tag: 'kitchen' } }, aggs: { t: { terms: { field: 'tag' } } } } },
  { name: 'indices_boost', path: `/${IDX},p31b-qa/_search`, body: { ...m({ match: { title: 'man' } }), indices_boost: [{ 'p31b-qa': 2 }] } },
  { name: 'explain true', body: { ...m({ match: { title: 'man' } }), explain: true } },
  { name: 'version+seq_no', body: { ...m({ match: { title: 'man' } }), version: true, seq_no_primary_term: true } },
  { name: 'track_scores', body: { ...m({ match: { title: 'man' } }), track_scores: true } },
  { name: 'stored_fields', body: { ...m({ match: { title: 'man' } }), stored_fields: ['title'] } },
  { name: 'stored_fields + _source', body: { ...m({ match: { title: 'man' } }), stored_fields: ['title'], _source: ['price'] } },
  { name: 'docvalue_fields', body: { ...m({ match: { title: 'man' } }), docvalue_fields: ['price', { field: 'created', format: 'yyyy' }] } },
  { name: 'fields', body: { ...m({ match: { title: 'man' } }), fields: ['title', 'tag', { field: 'created', format: 'epoch_millis' }], _source: false } },
  { name: '_source filtering', body: { ...m({ match: { title: 'man' } }), _source: { includes: ['tag', 'comments.*'], excludes: ['comments.author'] } } },
  { name: '_source false', body: { ...m({ match: { title: 'man' } }), _source: false } },
  { name: 'highlight', body: { ...m({ match: { title: 'man' } }), highlight: { fields: { title: {}, description: { number_of_fragments: 0 } }, pre_tags: ['<b>'], post_tags: ['</b>'] } } },
  { name: 'suggest beside query', body: { ...m({ match: { title: 'man' } }), suggest: { t: { text: 'stret', term: { field: 'title' } }, c: { prefix: 'a ma', completion: { field: 'suggest_title' } } } } },
  { name: 'aggs beside', body: { ...m({ match: { title: 'man' } }), aggs: { t: { terms: { field: 'tag' } }, p: { avg: { field: 'price' } }, th: { top_hits: { size: 2 } } } } },
  { name: 'profile', body: { ...m({ match: { title: 'man' } }), profile: true } },
  { name: 'sort _score', body: { ...m({ match: { title: 'man' } }), sort: ['_score'] } },
  { name: 'sort price', body: { ...m({ match: { title: 'man' } }), sort: [{ price: 'desc' }] } },
  { name: 'collapse', body: { ...m({ match: { title: 'man' } }), collapse: { field: 'tag' } } },
  { name: 'rescore', body: { ...m({ match: { title: 'man' } }), rescore: { window_size: 5, query: { rescore_query: { match: { description: 'street' } } } } } },
  { name: 'size 0 aggs', body: { ...m({ match: { title: 'man' } }), size: 0, aggs: { t: { terms: { field: 'tag' } } } } },
  { name: 'from 5', body: { ...m({ match: { title: 'man' } }), from: 5, size: 5 } },
  { name: 'terminate_after', body: { ...m({ match: { title: 'man' } }), terminate_after: 3 } },
];

async function search(base: string, path: string, body: unknown): Promise<{ status: number; body: any; ms: number }> {
  const t = Date.now();
  const ctl = AbortSignal.timeout(120_000);
  try {
    const r = await fetch(base + path, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body), signal: ctl });
    const text = await r.text();
    let parsed: any = text;
    try {
      parsed = JSON.parse(text);
    } catch {}
    return { status: r.status, body: parsed, ms: Date.now() - t };
  } catch (e) {
    return { status: 0, body: String(e), ms: Date.now() - t };
  }
}

const SKIP_HIT = new Set(['_score', '_explanation', '_vlrerank', '_ignored']);
function hitDiffs(e: any, p: any): string[] {
  const out: string[] = [];
  for (const k of new Set([...Object.keys(e), ...Object.keys(p)])) {
    if (SKIP_HIT.has(k)) continue;
    if (!isDeepStrictEqual(e[k], p[k])) out.push(`${k}: engine ${JSON.stringify(e[k])?.slice(0, 160)} proxy ${JSON.stringify(p[k])?.slice(0, 160)}`);
  }
  return out;
}

const reason = (b: any) => (typeof b === 'object' ? `${b?.error?.type}: ${b?.error?.reason ?? b?.error?.root_cause?.[0]?.reason}`.slice(0, 300) : String(b).slice(0, 200));

for (const c of cases) {
  if (c.only && c.only !== kind) continue;
  if (only && !c.name.includes(only)) continue;
  const path = c.path ?? `/${c.index ?? IDX}/_search`;
  const size = (c.body.size as number | undefined) ?? 30;
  const eng = await search(engine, path, { size, ...c.body });
  for (const mode of ['ext', 'default'] as const) {
    const body = mode === 'ext' ? { size, ...c.body, ext: { vlrerank: { query: { text: TEXT } } } } : { size, ...c.body };
    const px = await search(proxy, path, body);
    const notes: string[] = [];
    const reranked = !!px.body?.vlrerank && px.body.vlrerank.degraded === false;
    if (px.status !== eng.status) notes.push(`STATUS engine ${eng.status} ${eng.status >= 400 ? reason(eng.body) : ''} proxy ${px.status} ${reason(px.body)}`);
    else if (px.status >= 400) notes.push(`both ${px.status}: engine ${reason(eng.body)} | proxy ${reason(px.body)}`);
    if (px.status === 200 && eng.status === 200) {
      const eh: any[] = eng.body.hits.hits;
      const ph: any[] = px.body.hits.hits;
      const key = (h: any) => `${h._index}/${h._id}`;
      const es = new Set(eh.map(key));
      const ps = new Set(ph.map(key));
      const missing = [...es].filter((x) => !ps.has(x));
      const extra = [...ps].filter((x) => !es.has(x));
      if (missing.length || extra.length) notes.push(`HITSET missing ${missing.slice(0, 5)} extra ${extra.slice(0, 5)} (engine ${eh.length}, proxy ${ph.length})`);
      const byKey = new Map(ph.map((h) => [key(h), h]));
      let diffs = 0;
      for (const h of eh) {
        const p = byKey.get(key(h));
        if (!p) continue;
        const d = hitDiffs(h, p);
        if (d.length && diffs++ < 2) notes.push(`HIT ${key(h)} ${d.join(' ; ')}`);
      }
      if (diffs > 2) notes.push(`… ${diffs} hits differ`);
      for (const k of new Set([...Object.keys(eng.body), ...Object.keys(px.body)])) {
        if (['took', 'hits', 'vlrerank', '_shards', 'profile', 'timed_out'].includes(k)) continue;
        if (!isDeepStrictEqual(eng.body[k], px.body[k])) notes.push(`TOP ${k}: engine ${JSON.stringify(eng.body[k])?.slice(0, 200)} proxy ${JSON.stringify(px.body[k])?.slice(0, 200)}`);
      }
      if (!!eng.body.profile !== !!px.body.profile) notes.push(`TOP profile engine ${!!eng.body.profile} proxy ${!!px.body.profile}`);
      if (!isDeepStrictEqual(eng.body.hits.total, px.body.hits.total)) notes.push(`TOTAL engine ${JSON.stringify(eng.body.hits.total)} proxy ${JSON.stringify(px.body.hits.total)}`);
      if (eng.body.hits.max_score !== null && px.body.hits.max_score === null && ph.length) notes.push('max_score null');
      if (ph.length && ph.some((h) => h._score === null) && !eh.some((h) => h._score === null)) notes.push('some _score null');
    }
    const status = px.status === 200 ? (reranked ? 'RERANKED' : px.body?.vlrerank ? `vlr:${px.body.vlrerank.degraded}` : 'engine') : `${px.status}`;
    console.log(`${kind} ${mode.padEnd(7)} ${c.name.padEnd(36)} ${status.padEnd(9)} ${px.ms}ms${c.textless && mode === 'default' && reranked ? ' (textless reranked?)' : ''}${notes.length ? '\n    ' + notes.join('\n    ') : ''}`);
  }
}
