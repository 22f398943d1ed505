/**
 * A query text of whitespace, zero-width spaces, direction marks, a BOM, NUL or combining marks
 * alone holds nothing to rank by. Held-out probe round 7: through `ext.vlrerank` spaces passed the
 * search's checks, ran the first stage and failed the rerank after it (a 200 `degraded: "failed"`,
 * on a fail-closed pipeline a 503, for the client's own mistake), and zero-width characters were
 * ranked as an empty query (200, the scores of nothing) by the rerank APIs too, where a text of
 * spaces is their 400. Now each syntax refuses them up front (400 naming the field), a default
 * pipeline leaves such a search to the engine, and the rerank APIs refuse them as they refuse spaces.
 */
import { describe, expect, it } from 'vitest';
import { detectRerank } from '../../../src/search/detect.js';
import { isVlrerankError } from '../../../src/errors.js';
import { validateRerankInput } from '../../../src/rerank/types.js';
import { registry } from './helpers.js';

const P = (s = '') => new URLSearchParams(s);
const EMPTY = ['  ', '\u200b', '\u200b\u200d\u2060', '\u202e', '\ufeff', '\u0000', '\u0301\u0301', ' \u200b\t\u0301 '];
const RULE = 'must be a non-empty string (not only whitespace or invisible characters)';

function outcome(f: () => unknown): string {
  try {
    const r = f() as { kind?: string };
    return r?.kind ?? 'accepted';
  } catch (e) {
    if (isVlrerankError(e)) return `${e.status} ${e.message}`;
    throw e;
  }
}

describe('query texts with nothing visible', () => {
  it.each(EMPTY.map((t) => [JSON.stringify(t), t]))('%s is refused by ext.vlrerank and ext.rerank, and left to the engine by a default pipeline', (_n, text) => {
    const search = (body: Record<string, unknown>, params = '') => () => detectRerank({ index: 'products', params: P(params), body }, registry);
    expect(outcome(search({ query: { match: { title: 'milk' } }, ext: { vlrerank: { query: text } } }))).toBe(`400 [ext.vlrerank.query] ${RULE}`);
    expect(outcome(search({ query: { match: { title: 'milk' } }, ext: { vlrerank: { query: { text } } } }))).toBe(`400 [ext.vlrerank.query.text] ${RULE}`);
    expect(outcome(search({ query: { match: { title: 'milk' } }, ext: { rerank: { query_context: { query_text: text } } } }, 'search_pipeline=products'))).toBe('400 [ext.rerank.query_context.query_text] must be a non-empty string');
    const retriever = { text_similarity_reranker: { retriever: { standard: { query: { match_all: {} } } }, field: 'title', inference_text: text } };
    expect(outcome(search({ retriever }))).toBe(`400 [retriever.text_similarity_reranker.inference_text] ${RULE}`);
    // no ext.vlrerank.query, and the search's own text is invisible: nothing to take it from
    expect(outcome(search({ query: { match: { title: text } }, ext: { vlrerank: {} } }))).toMatch(/^400 \[ext\.vlrerank\.query\] is required/);
    // a default pipeline (kb): the search was not asked to rerank, its text is nothing to rerank by
    expect(detectRerank({ index: 'kb', params: P(), body: { query: { match: { body: text } } } }, registry)).toEqual({ kind: 'passthrough' });
    expect(detectRerank({ index: 'kb', params: P(`q=${encodeURIComponent(text)}`), body: undefined }, registry)).toEqual({ kind: 'passthrough' });
  });

  it.each(EMPTY.map((t) => [JSON.stringify(t), t]))('%s is a 400 on the rerank APIs, in both query forms', (_n, text) => {
    expect(outcome(() => validateRerankInput({ query: text, documents: ['a'] }, { maxDocuments: 10 }))).toBe(`400 [query] ${RULE}`);
    expect(outcome(() => validateRerankInput({ query: { text }, documents: ['a'] }, { maxDocuments: 10 }))).toBe('400 [query] needs at least one of text, image, video');
    // beside a photo, the invisible text is dropped: the query is the photo
    expect(validateRerankInput({ query: { text, image: 'a.jpg' }, documents: ['a'] }, { maxDocuments: 10 }).query).toEqual({ image: 'a.jpg' });
  });

  it('visible text among invisible characters is a query as before', () => {
    for (const text of ['e\u0301', '\u200bcat', '👨‍👩‍👧‍👦', '東京', '\u202eevil', '5']) {
      expect(validateRerankInput({ query: text, documents: ['a'] }, { maxDocuments: 10 }).query).toEqual({ text });
      const d = detectRerank({ index: 'products', params: P(), body: { query: { match_all: {} }, ext: { vlrerank: { query: text } } } }, registry);
      expect(d.kind === 'rerank' && d.spec.query).toEqual({ text });
    }
  });
});
