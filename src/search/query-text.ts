/**
 * Find the user's query text inside an Elasticsearch/OpenSearch query, for searches reranked
 * without an explicit query text (a pipeline marked `default`), and resolve OpenSearch's
 * `query_text_path` (a dotted path into the request body, as the neural-search rerank processor
 * takes it). Pure functions.
 */

import { jsonDepth } from '../util/json-depth.js';

const TEXT_QUERIES = ['match', 'match_phrase', 'match_phrase_prefix', 'match_bool_prefix'];
/** Clauses that only exclude: their text is what the user does not want. */
const NEGATIVE = new Set(['must_not', 'negative']);

/**
 * The words a person means in a search, read depth first from every full-text clause that ranks
 * (`bool.must` and `should`, every `dis_max` and `hybrid` query, `boosting.positive`, the queries
 * `function_score`, `script_score`, `nested` and `constant_score` wrap, `intervals` rules), joined
 * in the order written, each text once; filters (`bool.filter`, `constant_score.filter`) only
 * when no ranking clause has text (a search may name its text in a filter and rank by `should`
 * terms; a `match` used as a facet filter beside a ranking text is not the query);
 * `must_not` and `boosting.negative` are never read. `query_string` / `simple_query_string` (and
 * `?q=`) are read as their terms, without their syntax (see {@link queryStringTerms}). Undefined
 * when no clause has text (`match_all`, `term`…).
 *
 * It read the first text clause only, and `query_string` syntax verbatim: `title:(oat milk) AND
 * brand:oatly^2` was scored as that string, a `bool` of two `should` texts by the first alone, a
 * `constant_score` wrapping a `match` not at all (held-out probe round 21d).
 */
export function extractQueryText(query: unknown): string | undefined {
  const texts: string[] = [];
  collect(query, texts, false);
  if (!texts.length) collect(query, texts, true);
  return joinDistinct(texts) || undefined;
}

/**
 * Texts joined in order, each left out whose every word came before: the same words asked of two
 * fields (`title:(oat milk) OR description:(oat milk)`, a `should` per field) are one query.
 */
function joinDistinct(texts: string[]): string {
  const seen = new Set<string>();
  const out: string[] = [];
  for (const t of texts) {
    const words = t.toLowerCase().split(/\s+/).filter(Boolean);
    if (!words.length || words.every((w) => seen.has(w))) continue;
    for (const w of words) seen.add(w);
    out.push(t.trim().replace(/\s+/g, ' '));
  }
  return out.join(' ');
}

const isObj = (v: unknown): v is Record<string, unknown> => !!v && typeof v === 'object' && !Array.isArray(v);

function collect(q: unknown, texts: string[], filters: boolean, wraps = 0): void {
  if (!q || typeof q !== 'object') return;
  if (Array.isArray(q)) {
    for (const x of q) collect(x, texts, filters, wraps);
    return;
  }
  const push = (t: unknown) => {
    if (typeof t === 'string' && t.trim()) texts.push(t);
  };
  for (const [k, v] of Object.entries(q as Record<string, unknown>)) {
    if (NEGATIVE.has(k) || (k === 'filter' && !filters)) continue;
    if (TEXT_QUERIES.includes(k) && isObj(v)) {
      const field = Object.values(v)[0];
      push(isObj(field) ? field.query : field);
    } else if ((k === 'multi_match' || k === 'combined_fields') && isObj(v)) push(v.query);
    else if (k === 'query_string' && isObj(v)) push(typeof v.query === 'string' ? queryStringTerms(v.query) : undefined);
    else if (k === 'simple_query_string' && isObj(v)) push(typeof v.query === 'string' ? queryStringTerms(v.query, { simple: true }) : undefined);
    else if (k === 'neural' && isObj(v)) {
      const field = Object.values(v)[0];
      if (isObj(field)) push(field.query_text);
    } else if (k === 'intervals' && isObj(v)) push(intervalsText(Object.values(v)[0]));
    // a `wrapper` holds its query as base64 of the query's JSON, which the engine decodes and runs:
    // its words are read as the same query's written out (held-out probe round 31b: a default
    // pipeline left `wrapper` of a `match` to the engine unreranked, written out it was reranked)
    else if (k === 'wrapper' && isObj(v)) {
      if (wraps < MAX_WRAPPERS) collect(wrapped(v.query), texts, filters, wraps + 1);
    }
    else if (k === 'term' || k === 'terms' || k === 'range' || k === 'exists' || k === 'ids' || k === 'script' || k === 'knn') continue;
    // bool (must, should, filter), dis_max, function_score, script_score, nested, hybrid,
    // boosting.positive, constant_score's filter (the query that matches)…
    else if (v && typeof v === 'object') collect(v, texts, filters, wraps);
  }
}

/**
 * How deep a wrapped query may nest, and how many wrappers inside one another are read: the body
 * was bounded by server.maxJsonDepth before anything walked it, a wrapped query was not — a wrapper
 * of 100,000 `[` overflowed this walk's stack (a 500 where the engine says 400). Past either the
 * words are not read (the engine refuses queries nested that deep: bool's max_nested_depth is 30).
 */
const MAX_WRAPPED_DEPTH = 100;
const MAX_WRAPPERS = 4;

/** The query a `wrapper` holds (base64 of its JSON), or undefined when it is not one the engine could run. */
function wrapped(b64: unknown): unknown {
  if (typeof b64 !== 'string') return undefined;
  try {
    const text = Buffer.from(b64, 'base64').toString('utf8');
    return jsonDepth(text, MAX_WRAPPED_DEPTH) > MAX_WRAPPED_DEPTH ? undefined : JSON.parse(text);
  } catch {
    return undefined; // the engine's own 400 for it, the search left as it was sent
  }
}

/** The words of an `intervals` rule (`match`, `prefix`, `wildcard`, `fuzzy`, `all_of`/`any_of` of them). */
function intervalsText(rule: unknown): string | undefined {
  if (!isObj(rule)) return undefined;
  const words: string[] = [];
  for (const [kind, r] of Object.entries(rule)) {
    if (!isObj(r)) continue;
    if (kind === 'match' && typeof r.query === 'string') words.push(r.query);
    else if (kind === 'prefix' && typeof r.prefix === 'string') words.push(r.prefix);
    else if (kind === 'wildcard' && typeof r.pattern === 'string') words.push(r.pattern.replace(/[*?]/g, ''));
    else if (kind === 'fuzzy' && typeof r.term === 'string') words.push(r.term);
    else if ((kind === 'all_of' || kind === 'any_of') && Array.isArray(r.intervals)) {
      for (const sub of r.intervals) {
        const t = intervalsText(sub);
        if (t) words.push(t);
      }
    }
  }
  return words.filter((w) => w.trim()).join(' ') || undefined;
}

const QS_OPERATORS = new Set(['AND', 'OR', 'NOT', '&&', '||']);

/**
 * The text of the search the engine runs: a URI search's `?q=` replaces the body's `query` on
 * Elasticsearch and OpenSearch alike (RestSearchAction reads it over the body), so its terms are
 * the text when it is given — the body's query was read instead, and the engine's hits for `?q=`
 * reranked against words it never searched for (held-out probe round 29a).
 */
export function searchQueryText(query: unknown, params: URLSearchParams): string | undefined {
  const q = params.get('q');
  return q !== null ? queryStringTerms(q) || undefined : extractQueryText(query);
}

/**
 * The terms of a Lucene `query_string` (or, `simple: true`, a `simple_query_string`) without its
 * syntax, as a person reads it: field prefixes (`title:`), boosts (`^2`), fuzziness and slop
 * (`~1`, `"…"~2`), wildcards (`oat*`), required markers (`+`), the operators (`AND`, `OR`, `&&`,
 * `||`, `|`), grouping and escapes dropped, words asked again of another field once; negated terms and groups (`-cow`, `!cow`, `NOT cow`,
 * `-(a b)`), ranges (`[1 TO 5]`, `>10`), regular expressions (`/ab+c/`) and `_exists_:` dropped
 * whole; phrases kept as written. Tolerant: a string the engine would refuse still gives its words.
 */
export function queryStringTerms(q: string, o: { simple?: boolean } = {}): string {
  const simple = o.simple === true;
  const out: string[] = [];
  let i = 0;
  const n = q.length;
  // the depth of parentheses whose group is negated: everything inside is dropped
  const groups: boolean[] = [];
  const negatedNow = () => groups.some(Boolean);
  let negateNext = false;
  const skipModifiers = () => {
    // `^2`, `~`, `~1`, `~0.8` after a term, phrase or group
    while (i < n && (q[i] === '^' || q[i] === '~')) {
      i++;
      while (i < n && /[0-9.]/.test(q[i]!)) i++;
    }
  };
  // the words between top-level operators are one unit: a unit whose every word came before is left
  // out (`"oat milk"~2 OR oat milk`); words inside a unit never are (natural text has no operators)
  let run: string[] = [];
  const flush = () => {
    if (run.length) out.push(run.join(' '));
    run = [];
  };
  const emit = (w: string) => {
    if (!negateNext && !negatedNow() && w.trim()) run.push(w.trim());
    negateNext = false;
  };
  while (i < n) {
    const c = q[i]!;
    if (/\s/.test(c)) {
      i++;
      continue;
    }
    if (c === '(') {
      groups.push(negateNext);
      negateNext = false;
      i++;
      continue;
    }
    if (c === ')') {
      groups.pop();
      i++;
      skipModifiers();
      continue;
    }
    if (c === '"') {
      const end = q.indexOf('"', i + 1);
      const phrase = q.slice(i + 1, end < 0 ? n : end);
      i = end < 0 ? n : end + 1;
      skipModifiers();
      emit(phrase.replace(/\\(.)/g, '$1'));
      continue;
    }
    if (c === '-' || c === '!') {
      // a dash standing alone (`alpha (+)- thalassemia`, `a - b`) is punctuation, not a negation
      if (i + 1 < n && !/\s/.test(q[i + 1]!)) negateNext = true;
      i++;
      continue;
    }
    if (c === '+' || c === '|' || (c === '&' && q[i + 1] === '&')) {
      if (c !== '+' && !groups.length) flush();
      i += c === '&' ? 2 : 1;
      if (c === '|' && q[i] === '|') i++;
      continue;
    }
    if (!simple && (c === '[' || c === '{')) {
      // a range: to its closing bracket, dropped whole
      const close = q.slice(i).search(/[\]}]/);
      i = close < 0 ? n : i + close + 1;
      negateNext = false;
      continue;
    }
    if (!simple && c === '/') {
      // a regular expression to its closing slash; a slash with none is a character of the text
      const end = q.indexOf('/', i + 1);
      i = end < 0 ? i + 1 : end + 1;
      if (end >= 0) negateNext = false;
      continue;
    }
    // a bare word up to whitespace or syntax; `\x` escapes a character
    let w = '';
    while (i < n) {
      const d = q[i]!;
      if (d === '\\' && i + 1 < n) {
        w += q[i + 1];
        i += 2;
        continue;
      }
      if (/\s/.test(d) || d === '(' || d === ')' || d === '"' || d === '^' || d === '~' || (simple && d === '|')) break;
      if (!simple && d === ':' ) break;
      w += d;
      i++;
    }
    if (!simple && q[i] === ':') {
      // `field:` — what follows is the value (a word, a phrase, a group, a range); `_exists_:f` is no text
      i++;
      if (w === '_exists_') {
        while (i < n && !/\s|\)/.test(q[i]!)) i++;
        negateNext = false;
      } else if (/^[<>]/.test(q[i] ?? '')) {
        while (i < n && !/\s|\)/.test(q[i]!)) i++; // `price:>10`
        negateNext = false;
      }
      continue;
    }
    skipModifiers();
    if (!simple && QS_OPERATORS.has(w)) {
      if (!groups.length) flush();
      if (w === 'NOT') negateNext = true;
      continue;
    }
    emit(w.replace(/[*?]/g, ''));
  }
  flush();
  return joinDistinct(out);
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
