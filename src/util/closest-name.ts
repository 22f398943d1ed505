/**
 * The known name closest to a misspelt one, for "did you mean" in messages naming a key (`modelDir`
 * → `modelsDir`). Plain string work, no dependencies; never used to decide anything but a hint.
 */

/** Levenshtein distance of two strings (one row kept). */
export function editDistance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let prev = row[0]!;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const cur = row[j]!;
      row[j] = Math.min(row[j]! + 1, row[j - 1]! + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
      prev = cur;
    }
  }
  return row[b.length]!;
}

/** The name of `known` closest to `name` (case ignored) within `maxDistance` edits (default 3); the first of equals wins. */
export function closestName(name: string, known: Iterable<string>, maxDistance = 3): string | undefined {
  let best: string | undefined;
  let bestD = maxDistance + 1;
  for (const k of known) {
    const d = editDistance(name.toLowerCase(), k.toLowerCase());
    if (d < bestD) [best, bestD] = [k, d];
  }
  return best;
}
