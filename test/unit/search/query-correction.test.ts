/**
 * The query the reranker reads (task q25, search/correction.ts): the term suggesters asked beside
 * the fuzzy text match, and the corrected text read back from the engine's suggestions — a word
 * corrected only when every field offers a correction within the fuzzy clause's edits and the top
 * hits hold the corrected word, our entries taken off the answer, a client's own `suggest` kept.
 */
import { describe, expect, it } from 'vitest';
import { applyCorrections, askCorrection, completeLastWord, editDistance, readCorrections, wordsOf } from '../../../src/search/correction.js';

const FUZZY = { boost: 0.3, fuzziness: 'AUTO' as const, prefix_length: 1, max_expansions: 50, correct: 'missing' as const };
const entry = (text: string, offset: number, options: Array<[string, number, number]>) => ({ text, offset, length: text.length, options: options.map(([t, score, freq]) => ({ text: t, score, freq })) });

describe('query correction', () => {
  it('asks one term suggester per field, boosts and patterns left out, beside the client\'s own', () => {
    const body: Record<string, unknown> = { suggest: { mine: { text: 'x', term: { field: 'title' } } } };
    const ask = askCorrection(body, 'bananna bread', ['title^2', 'description', 'meta.*'], FUZZY)!;
    expect(ask.keys).toHaveLength(2);
    const s = body.suggest as Record<string, { text?: string; term: { field: string; suggest_mode?: string; prefix_length?: number } }>;
    expect(s.mine).toEqual({ text: 'x', term: { field: 'title' } });
    expect(ask.keys.map((k) => s[k]!.term.field)).toEqual(['title', 'description']);
    expect(s[ask.keys[0]!]).toMatchObject({ text: 'bananna bread', term: { suggest_mode: 'missing', prefix_length: 1 } });
    expect(askCorrection({}, 'bananna', ['title'], { ...FUZZY, correct: false })).toBeUndefined();
    expect(askCorrection({}, 'bananna', ['title'], undefined)).toBeUndefined();
  });

  it('replaces a word every field corrects, and takes our suggestions off the answer', () => {
    const body: Record<string, unknown> = {};
    const ask = askCorrection(body, 'Ripe bananna bread', ['title', 'description'], FUZZY)!;
    const upstream: Record<string, unknown> = {
      suggest: {
        [ask.keys[0]!]: [entry('ripe', 0, []), entry('bananna', 5, [['banana', 0.83, 3]]), entry('bread', 13, [])],
        [ask.keys[1]!]: [entry('ripe', 0, []), entry('bananna', 5, [['bananas', 0.71, 9]]), entry('bread', 13, [['breed', 0.8, 1]])],
      },
    };
    // "bread" is held by the title (no option there): kept as typed
    const corrections = readCorrections(upstream, ask);
    expect(corrections).toEqual([{ offset: 5, length: 7, to: 'banana' }]);
    expect(upstream.suggest).toBeUndefined();
    expect(applyCorrections(ask.text, corrections, wordsOf(['Banana bread', 'a loaf of ripe fruit']))).toBe('Ripe banana bread');
  });

  it('reads and takes off suggestions named by typed_keys', () => {
    const ask = askCorrection({}, 'bananna', ['title'], FUZZY)!;
    const upstream: Record<string, unknown> = { suggest: { [`term#${ask.keys[0]}`]: [entry('bananna', 0, [['banana', 0.83, 3]])], 'term#mine': [] } };
    expect(readCorrections(upstream, ask)).toEqual([{ offset: 0, length: 7, to: 'banana' }]);
    expect(upstream.suggest).toEqual({ 'term#mine': [] });
  });

  it('keeps a word whose correction none of the top hits holds', () => {
    // "herd" is no caption's word in a small index, "head" is some other photo's: not in the elephants found
    expect(applyCorrections('a herd of elephants', [{ offset: 2, length: 4, to: 'head' }], wordsOf(['An elephant walking with its calf.', 'Elephants at a watering hole']))).toBeUndefined();
  });

  it('keeps the word being typed when a word of the window other than the correction begins with it (search as you type)', () => {
    const window = wordsOf(['Pineapple Klass 1', 'Apple Pink Lady Klass 1', 'Banana Klass 1', 'ripe bananas']);
    // "pine" of "pineapple" is unfinished, not "pink" misspelt (held-out probe round 26c)
    expect(applyCorrections('pine', [{ offset: 0, length: 4, to: 'pink' }], window)).toBeUndefined();
    expect(applyCorrections('fresh pin', [{ offset: 6, length: 3, to: 'pink' }], window)).toBeUndefined();
    // the window's only way to finish it (its endings aside: "bananas"), a finished word (a space after it), a word before the last: corrected
    expect(applyCorrections('banan', [{ offset: 0, length: 5, to: 'banana' }], window)).toBe('banana');
    expect(applyCorrections('pine ', [{ offset: 0, length: 4, to: 'pink' }], window)).toBe('pink ');
    expect(applyCorrections('pine lady', [{ offset: 0, length: 4, to: 'pink' }], window)).toBe('pink lady');
  });

  it('under a prefix match (first_stage.match_type: bool_prefix) never corrects the last word, spaces after it or not', () => {
    const window = wordsOf(['Banana Klass 1', 'Lemon Klass 1']);
    const both = [{ offset: 0, length: 7, to: 'banana' }, { offset: 8, length: 3, to: 'lemon' }];
    expect(applyCorrections('bananna lem', both, window, { lastIsPrefix: true })).toBe('banana lem');
    expect(applyCorrections('bananna lem ', both, window, { lastIsPrefix: true })).toBe('banana lem ');
    expect(applyCorrections('bananna lem', both, window)).toBe('banana lemon');
  });

  it('completes the last word to the window word it begins that most documents hold', () => {
    const texts = ['Lemon Klass 1, from Spain', 'Lemonade, sparkling', 'Lemon and lime', 'Melon Klass 1'].map((t) => wordsOf([t]));
    expect(completeLastWord('class 1 lemo', texts)).toBe('class 1 lemon');
    // punctuation after the word kept; case of the stump read without
    expect(completeLastWord('fresh LEMO!', texts)).toBe('fresh lemon!');
    // a word some document holds whole, too short a stump, nothing it begins: as typed
    expect(completeLastWord('lemon', texts)).toBeUndefined();
    expect(completeLastWord('le', texts)).toBeUndefined();
    expect(completeLastWord('grapef', texts)).toBeUndefined();
    // ties: the shorter, then the first in order
    expect(completeLastWord('spa', [wordsOf(['spain']), wordsOf(['sparkling'])])).toBe('spain');
    expect(completeLastWord('ab', [wordsOf(['abd abc'])], 2)).toBe('abc');
  });

  it('keeps a clean word no field holds when the suggestion lies further than the fuzzy clause reaches', () => {
    const ask = askCorrection({}, 'orange bell pepper', ['title'], FUZZY)!;
    // "best" is two edits from a 4-letter word: AUTO allows one
    const upstream = { suggest: { [ask.keys[0]!]: [entry('orange', 0, []), entry('bell', 7, [['best', 0.75, 4]]), entry('pepper', 12, [])] } };
    expect(readCorrections(upstream, ask)).toEqual([]);
  });

  it('counts a swap of neighbours as one edit, as the fuzzy query does', () => {
    expect(editDistance('glaia', 'galia')).toBe(1);
    expect(editDistance('bell', 'best')).toBe(2);
    expect(editDistance('yoghrt', 'yoghurt')).toBe(1);
  });
});
