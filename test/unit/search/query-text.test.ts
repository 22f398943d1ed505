/**
 * The query text a default pipeline reranks with, read from the search's own query (held-out probe
 * round 21d): a person's words, without `query_string` syntax, from every text clause that asks
 * for something (not from the ones that exclude). It read the first text clause only and
 * `query_string` verbatim (`title:(oat milk) AND brand:oatly^2` was scored as that string).
 */
import { describe, expect, it } from 'vitest';
import { extractQueryText, queryStringTerms } from '../../../src/search/query-text.js';
import { detectRerank } from '../../../src/search/detect.js';
import { registry } from './helpers.js';

describe('queryStringTerms: the words of a Lucene query string', () => {
  it.each([
    ['title:(oat milk) AND brand:oatly^2', 'oat milk oatly'],
    ['"oat milk"~2', 'oat milk'],
    ['oat*', 'oat'],
    ['m?lk fuzzy~1 oat~', 'mlk fuzzy oat'],
    ['+oat +milk', 'oat milk'],
    ['milk -cow', 'milk'],
    ['milk !cow', 'milk'],
    ['milk NOT cow', 'milk'],
    ['milk AND NOT (cow OR goat) OR soy', 'milk soy'],
    ['milk && (oat || soy)', 'milk oat soy'],
    ['title:milk -title:cow', 'milk'],
    ['price:[1 TO 5] price:>10 _exists_:title milk', 'milk'],
    ['/m.lk/ milk', 'milk'],
    ['gluten-free bread', 'gluten-free bread'],
    ['c\\+\\+ 1\\:1', 'c++ 1:1'],
    ['title:(golden delicious)^2 OR description:(golden delicious)', 'golden delicious'],
    ['"golden delicious"~2 OR golden delicious', 'golden delicious'],
    ['(oat milk', 'oat milk'], // the engine refuses it; its words still
    // natural text as an app sends it: no word of it left out, a repeated word kept (SciFact claims)
    ['1 in 5 million in UK have (abnormal) PrP positivity.', '1 in 5 million in UK have abnormal PrP positivity.'],
    ['stress in response to general endoplasmic reticulum stress markers', 'stress in response to general endoplasmic reticulum stress markers'],
    ['homozygous alpha (+)- thalassemia trait', 'homozygous alpha thalassemia trait'],
    ['the T cell receptor (TCR) signal to the tail of the T cell receptor (TCR).', 'the T cell receptor TCR signal to the tail of the T cell receptor TCR .'],
    ['T cell receptor /CD3 microdomains', 'T cell receptor CD3 microdomains'],
    ['', ''],
  ])('%s → %s', (q, want) => expect(queryStringTerms(q)).toBe(want));

  it('reads simple_query_string syntax: + - | * ~N "…" ( ), and no field prefixes or AND/OR words', () => {
    expect(queryStringTerms('+oat +milk -cow', { simple: true })).toBe('oat milk');
    expect(queryStringTerms('oat | soy milk*', { simple: true })).toBe('oat soy milk');
    expect(queryStringTerms('"oat milk"~2 fuzzy~1 -(cow goat)', { simple: true })).toBe('oat milk fuzzy');
    expect(queryStringTerms('rock and roll', { simple: true })).toBe('rock and roll');
  });
});

describe('extractQueryText: every text clause that asks for something', () => {
  const m = (text: string, field = 'title') => ({ match: { [field]: text } });
  it.each<[string, unknown, string | undefined]>([
    ['query_string', { query_string: { query: 'title:(oat milk) AND brand:oatly^2', default_field: 'title' } }, 'oat milk oatly'],
    ['simple_query_string', { simple_query_string: { query: 'milk -cow', fields: ['title^2'] } }, 'milk'],
    ['bool must + should', { bool: { must: [m('oat')], should: [m('milk', 'description'), m('barista')] } }, 'oat milk barista'],
    ['bool must_not left out', { bool: { must: [m('milk')], must_not: [m('cow')] } }, 'milk'],
    ['the same text asked of two fields once', { bool: { should: [m('oat milk'), m('oat milk', 'description')] } }, 'oat milk'],
    ['dis_max', { dis_max: { queries: [m('oat'), { match_phrase: { description: 'plant milk' } }] } }, 'oat plant milk'],
    ['boosting: positive only', { boosting: { positive: m('milk'), negative: m('cow'), negative_boost: 0.2 } }, 'milk'],
    ['constant_score', { constant_score: { filter: m('oat milk'), boost: 2 } }, 'oat milk'],
    ['text in a filter, ranking in should terms', { bool: { filter: [m('oat milk')], should: [{ term: { brand: 'oatly' } }] } }, 'oat milk'],
    ['a match used as a facet filter beside the ranking text is not the query', { bool: { must: [m('oat milk')], filter: [{ match: { category: 'dairy' } }] } }, 'oat milk'],
    ['function_score', { function_score: { query: { multi_match: { query: 'oat milk', fields: ['title^2', 'description'], type: 'cross_fields' } }, functions: [{ weight: 2 }] } }, 'oat milk'],
    ['script_score', { script_score: { query: { combined_fields: { query: 'oat milk', fields: ['title', 'description'] } }, script: { source: '_score' } } }, 'oat milk'],
    ['nested', { nested: { path: 'reviews', query: { match: { 'reviews.text': { query: 'creamy', operator: 'and', fuzziness: 'AUTO' } } } } }, 'creamy'],
    ['intervals all_of', { intervals: { title: { all_of: { ordered: true, intervals: [{ match: { query: 'oat' } }, { prefix: { prefix: 'mil' } }, { wildcard: { pattern: 'drin*' } }] } } } }, 'oat mil drin'],
    ['match_phrase_prefix', { match_phrase_prefix: { title: { query: 'oat mi' } } }, 'oat mi'],
    ['term/terms only', { bool: { filter: [{ term: { brand: 'oatly' } }, { terms: { tags: ['milk'] } }] } }, undefined],
    ['match_all', { match_all: {} }, undefined],
    ['wrapper: base64 of a query, read as written out', { wrapper: { query: Buffer.from(JSON.stringify(m('oat milk'))).toString('base64') } }, 'oat milk'],
    ['wrapper in bool, a wrapper inside it', { bool: { must: [{ wrapper: { query: Buffer.from(JSON.stringify({ bool: { should: [{ wrapper: { query: Buffer.from(JSON.stringify(m('barista'))).toString('base64') } }] } })).toString('base64') } }, m('oat')] } }, 'barista oat'],
    ['wrapper of a term only', { wrapper: { query: Buffer.from(JSON.stringify({ term: { brand: 'oatly' } })).toString('base64') } }, undefined],
    ['wrapper of no JSON (the engine refuses it)', { wrapper: { query: 'not base64 json!' } }, undefined],
  ])('%s', (_name, q, want) => expect(extractQueryText(q)).toBe(want));

  it('a wrapper nested past its bound is not read, and never overflows the stack', () => {
    const b64 = (q: unknown) => Buffer.from(typeof q === 'string' ? q : JSON.stringify(q)).toString('base64');
    // 100,000 `[` in a wrapper: the body's depth check never saw them (it overflowed the walk: a 500)
    expect(extractQueryText({ bool: { must: [{ wrapper: { query: b64(`{"bool":{"should":${'['.repeat(100_000)}${']'.repeat(100_000)}}}`) } }, m('oat')] } })).toBe('oat');
    // wrappers in wrappers: four are read, a fifth is not
    let q: unknown = m('milk');
    for (let i = 0; i < 4; i++) q = { wrapper: { query: b64(q) } };
    expect(extractQueryText(q)).toBe('milk');
    expect(extractQueryText({ wrapper: { query: b64(q) } })).toBeUndefined();
  });

  it('reads a URI search’s ?q= as query_string terms', () => {
    const d = detectRerank({ index: 'products', params: new URLSearchParams('q=title:(oat milk) -cow^2'), body: { ext: { vlrerank: {} } } }, registry);
    expect(d.kind === 'rerank' && d.spec.query.text).toBe('oat milk');
  });
});
