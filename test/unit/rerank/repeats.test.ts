/** Runs of a repeated word or phrase read once (src/rerank/repeats.ts, held-out probe round 26b). */
import { describe, expect, it } from 'vitest';
import { COLLAPSE_MAX_CHARS, collapseRepeats, MIN_REPEATS } from '../../../src/rerank/repeats.js';

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

  it('reads only the head of a text past COLLAPSE_MAX_CHARS for runs and keeps the tail as written (a 10 MiB text held the event loop for seconds)', () => {
    const tail = 'a a a b '.repeat(Math.ceil((2 * COLLAPSE_MAX_CHARS) / 8));
    const t = `Garlic ${'Banana '.repeat(20)}${'z '.repeat(COLLAPSE_MAX_CHARS / 2)}${tail}`;
    const out = collapseRepeats(t);
    expect(out.startsWith('Garlic Banana z ')).toBe(true);
    expect(out.endsWith(tail)).toBe(true);
    expect(out.length).toBeGreaterThan(tail.length);
    // past the head, a run is left alone
    const late = `${'x y z w '.repeat(COLLAPSE_MAX_CHARS / 8 + 10)}${'Banana '.repeat(50)}`;
    expect(collapseRepeats(late).endsWith('Banana '.repeat(50))).toBe(true);
  });
});
