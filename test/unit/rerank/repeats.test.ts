/** Runs of a repeated word or phrase read once (src/rerank/repeats.ts, held-out probe round 26b). */
import { describe, expect, it } from 'vitest';
import { COLLAPSE_MAX_CHARS, COLLAPSE_MAX_READ, collapseRepeats, MIN_REPEATS } from '../../../src/rerank/repeats.js';

describe('collapseRepeats', () => {
  it('writes a run of a word or a phrase once, keeping everything around it byte for byte', () => {
    expect(collapseRepeats('Banana Banana Banana Banana Garlic Class 1')).toBe('Banana Garlic Class 1');
    expect(collapseRepeats('Banana, banana, BANANA! Banana. Garlic')).toBe('Banana, Garlic');
    expect(collapseRepeats('Garlic\n\n  organic tomato organic tomato organic tomato organic tomato  \tend')).toBe('Garlic\n\n  organic tomato  \tend');
    expect(collapseRepeats(`Title\n${'claim one, claim two. '.repeat(30)}`)).toBe('Title\nclaim one, claim two. ');
    expect(collapseRepeats('x y x y x y x y x y')).toBe('x y');
  });

  it('leaves fewer than MIN_REPEATS in a row, and punctuation-only runs, as written (the same string)', () => {
    expect(MIN_REPEATS).toBe(4);
    for (const t of ['MAP kinase kinase kinase', 'very very good', 'ba, ba, ba', '(1 1 1) planes', '- - - - -', '', '   ', 'a b a b a b c']) expect(collapseRepeats(t)).toBe(t);
    const long = `${'An abstract without runs. '.repeat(3)}${'word'.repeat(80)}`;
    expect(collapseRepeats(long)).toBe(long);
  });

  it('is a fixed point: collapsing the result again changes nothing', () => {
    for (const t of ['a a a a b a a a a b a a a a b a a a a b', 'p q r p q r p q r p q r s s s s', `${'milk '.repeat(300)}${'x '.repeat(600)}`]) {
      const once = collapseRepeats(t);
      expect(collapseRepeats(once)).toBe(once);
    }
    expect(collapseRepeats('a a a a b a a a a b a a a a b a a a a b')).toBe('a b');
  });

  it('reads a long text from its memo alike', () => {
    const t = `Garlic ${'Banana '.repeat(200)}end`;
    expect(collapseRepeats(t)).toBe('Garlic Banana end');
    expect(collapseRepeats(t)).toBe('Garlic Banana end');
  });

  it('reads a long text a segment at a time: a text of runs as a short one is read, past as much text without runs or past COLLAPSE_MAX_READ as written (a 10 MiB text held the event loop for seconds)', () => {
    // a long filler of one word is that word once, whatever the length (a body past SMALL_BODY scored as its 40,000-character prefix)
    const filler = ' lorem'.repeat(50_000);
    expect(filler.length).toBeGreaterThan(4 * COLLAPSE_MAX_CHARS);
    expect(collapseRepeats(`oat milk for coffee${filler}`)).toBe(collapseRepeats(`oat milk for coffee${filler.slice(0, 6 * 6_000)}`));
    expect(collapseRepeats(`oat milk for coffee${filler}`)).toBe('oat milk for coffee lorem');
    // past COLLAPSE_MAX_CHARS of text without runs, a run is kept as written
    const words = Array.from({ length: COLLAPSE_MAX_CHARS / 2 }, (_, i) => `w${i}`).join(' ');
    const late = `${words} ${'Banana '.repeat(50)}`;
    expect(collapseRepeats(late)).toBe(late);
    // and past COLLAPSE_MAX_READ characters read
    const runs = `${'lorem '.repeat(Math.ceil((COLLAPSE_MAX_READ + 200_000) / 6))}${'Banana '.repeat(50)}`;
    const out = collapseRepeats(runs);
    expect(out.endsWith('Banana '.repeat(50))).toBe(true);
    expect(out.length).toBeLessThan(runs.length);
  });
});
